package oauthtest

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware/dpop"
)

// dpopClient is a confidential client for the DPoP token endpoint tests.
var dpopClient = Client{ID: "svc", Secret: "s3cret", Scopes: []string{"read"}}

// postProofs posts a client credentials request with the given DPoP header
// values.
func postProofs(t *testing.T, s *Server, proofs ...string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.TokenURL(), strings.NewReader(form("grant_type", "client_credentials")))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", basic(dpopClient.ID, dpopClient.Secret))
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, body}
}

func TestTokenEndpointBindsDPoP(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA", "RS256", "PS384"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, &Config{Clients: []Client{dpopClient}})
			k := NewDPoPKey(alg)
			r := postProofs(t, s, k.NewProof("POST", s.TokenURL(), "", ""))
			if r.status != http.StatusOK {
				t.Fatalf("token request = %s", r.string())
			}
			o := r.object(t)
			if o["token_type"] != "DPoP" {
				t.Errorf("token_type = %v, want DPoP (RFC 9449 §5)", o["token_type"])
			}
			tok, _ := o["access_token"].(string)
			d, err := decodeJWS(tok)
			if err != nil {
				t.Fatal(err)
			}
			cnf, _ := d.claims["cnf"].(map[string]any)
			if cnf["jkt"] != k.Thumbprint() {
				t.Errorf("cnf = %v, want jkt %s", d.claims["cnf"], k.Thumbprint())
			}
			in := s.Introspect(tok)
			if in["token_type"] != "DPoP" || in["active"] != true {
				t.Errorf("introspection = %v, want active DPoP token", in)
			}
		})
	}
}

func TestTokenEndpointWithoutProofIsBearer(t *testing.T) {
	s := newServer(t, &Config{Clients: []Client{dpopClient}})
	o := postProofs(t, s).object(t)
	if o["token_type"] != "Bearer" {
		t.Errorf("token_type = %v, want Bearer", o["token_type"])
	}
	d, _ := decodeJWS(o["access_token"].(string))
	if _, ok := d.claims["cnf"]; ok {
		t.Errorf("unbound token has cnf %v", d.claims["cnf"])
	}
}

func TestOpaqueDPoPToken(t *testing.T) {
	c := dpopClient
	c.OpaqueTokens = true
	s := newServer(t, &Config{Clients: []Client{c}})
	k := NewDPoPKey("ES256")
	o := postProofs(t, s, k.NewProof("POST", s.TokenURL(), "", "")).object(t)
	in := s.Introspect(o["access_token"].(string))
	cnf, _ := in["cnf"].(map[string]any)
	if o["token_type"] != "DPoP" || in["token_type"] != "DPoP" || cnf["jkt"] != k.Thumbprint() {
		t.Errorf("response %v, introspection %v: want DPoP bound to %s", o, in, k.Thumbprint())
	}
}

// TestTokenEndpointRefusesProofs has one case per RFC 9449 §4.3 check the
// token endpoint makes; each proof differs from a valid one in that check
// alone.
func TestTokenEndpointRefusesProofs(t *testing.T) {
	s := newServer(t, &Config{Clients: []Client{dpopClient}})
	k := NewDPoPKey("ES256")
	other := NewDPoPKey("ES256")
	valid := func(o ProofOptions) ProofOptions {
		o.Method, o.URI = orDefault(o.Method, "POST"), orDefault(o.URI, s.TokenURL())
		return o
	}
	priv := k.JWK()
	priv["d"] = "AAAA"
	replayed := k.NewProof("POST", s.TokenURL(), "", "")
	if r := postProofs(t, s, replayed); r.status != http.StatusOK {
		t.Fatalf("first use = %s", r.string())
	}
	cases := []struct {
		name   string
		proofs []string
	}{
		{"two proofs", []string{k.NewProof("POST", s.TokenURL(), "", ""), k.NewProof("POST", s.TokenURL(), "", "")}},
		{"not a JWS", []string{"abc.def"}},
		{"typ JWT", []string{k.MakeProof(valid(ProofOptions{Header: map[string]any{"typ": "JWT"}}))}},
		{"alg none", []string{k.MakeProof(valid(ProofOptions{Header: map[string]any{"alg": "none"}}))}},
		{"alg HS256", []string{k.MakeProof(valid(ProofOptions{Header: map[string]any{"alg": "HS256"}}))}},
		{"alg of another key type", []string{k.MakeProof(valid(ProofOptions{Header: map[string]any{"alg": "RS256"}}))}},
		{"no jwk", []string{k.MakeProof(valid(ProofOptions{Header: map[string]any{"jwk": nil}}))}},
		{"private jwk", []string{k.MakeProof(valid(ProofOptions{Header: map[string]any{"jwk": priv}}))}},
		{"signed by another key", []string{k.MakeProof(valid(ProofOptions{Header: map[string]any{"jwk": other.JWK()}}))}},
		{"htm GET", []string{k.MakeProof(valid(ProofOptions{Method: "GET"}))}},
		{"htu of another endpoint", []string{k.MakeProof(valid(ProofOptions{URI: s.IntrospectionURL()}))}},
		{"iat too old", []string{k.MakeProof(valid(ProofOptions{IssuedAt: time.Now().Add(-2 * DPoPProofWindow)}))}},
		{"iat in the future", []string{k.MakeProof(valid(ProofOptions{IssuedAt: time.Now().Add(2 * DPoPProofWindow)}))}},
		{"iat a string", []string{k.MakeProof(valid(ProofOptions{Claims: map[string]any{"iat": "1700000000"}}))}},
		{"no jti", []string{k.MakeProof(valid(ProofOptions{Claims: map[string]any{"jti": nil}}))}},
		{"replayed", []string{replayed}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			postProofs(t, s, c.proofs...).wantError(t, http.StatusBadRequest, "invalid_dpop_proof")
		})
	}
	// The same variations, normalized, are accepted: htu case and default port.
	up := strings.Replace(s.TokenURL(), "http://", "HTTP://", 1)
	if r := postProofs(t, s, k.MakeProof(valid(ProofOptions{URI: up + "?q=1"}))); r.status != http.StatusOK {
		t.Errorf("htu differing in scheme case and query = %s, want 200", r.string())
	}
}

func TestTokenEndpointNonce(t *testing.T) {
	s := newServer(t, &Config{Clients: []Client{dpopClient}, RequireDPoPNonce: true})
	k := NewDPoPKey("EdDSA")
	r := postProofs(t, s, k.NewProof("POST", s.TokenURL(), "", ""))
	r.wantError(t, http.StatusBadRequest, "use_dpop_nonce")
	n1 := r.header.Get("DPoP-Nonce")
	if n1 == "" || n1 != s.DPoPNonce() {
		t.Fatalf("DPoP-Nonce = %q, want the server's %q", n1, s.DPoPNonce())
	}
	r = postProofs(t, s, k.NewProof("POST", s.TokenURL(), "", n1))
	if r.status != http.StatusOK || r.header.Get("DPoP-Nonce") != n1 {
		t.Fatalf("with nonce = %s, nonce header %q", r.string(), r.header.Get("DPoP-Nonce"))
	}
	n2 := s.RotateDPoPNonce()
	if n2 == n1 {
		t.Fatal("RotateDPoPNonce returned the same nonce")
	}
	if r := postProofs(t, s, k.NewProof("POST", s.TokenURL(), "", n1)); r.status != http.StatusOK || r.header.Get("DPoP-Nonce") != n2 {
		t.Errorf("previous nonce = %s with nonce header %q, want 200 offering %q", r.string(), r.header.Get("DPoP-Nonce"), n2)
	}
	s.RotateDPoPNonce()
	postProofs(t, s, k.NewProof("POST", s.TokenURL(), "", n1)).wantError(t, http.StatusBadRequest, "use_dpop_nonce")
	postProofs(t, s, k.NewProof("POST", s.TokenURL(), "", "made-up")).wantError(t, http.StatusBadRequest, "use_dpop_nonce")
	if s.DPoPNonce() == "" || newServer(t, nil).DPoPNonce() != "" {
		t.Error("DPoPNonce: want a nonce only with RequireDPoPNonce")
	}
}

func TestCertificateBoundToken(t *testing.T) {
	s := newServer(t, nil)
	cert := NewClientCertificate("svc")
	thumb := CertThumbprint(cert.Leaf)
	for name, tok := range map[string]string{
		"JWT":    s.Token(TokenOptions{CertThumbprint: thumb}),
		"opaque": s.OpaqueToken(TokenOptions{CertThumbprint: thumb}),
	} {
		in := s.Introspect(tok)
		cnf, _ := in["cnf"].(map[string]any)
		if cnf["x5t#S256"] != thumb || in["token_type"] != "Bearer" {
			t.Errorf("%s: introspection %v, want Bearer with x5t#S256 %s", name, in, thumb)
		}
	}
	if _, err := x509.ParseCertificate(cert.Certificate[0]); err != nil || cert.Leaf.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		t.Errorf("NewClientCertificate: %v", err)
	}
	if other := NewClientCertificate("svc"); CertThumbprint(other.Leaf) == thumb {
		t.Error("two certificates with one thumbprint")
	}
}

func TestDPoPKeyFormatHidesPrivateKey(t *testing.T) {
	k := NewDPoPKey("ES256")
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if got := sprintf(f, k); !strings.Contains(got, k.Thumbprint()) || strings.Contains(got, "D:") {
			t.Errorf("Sprintf(%s) = %s", f, got)
		}
	}
	var _ *dpop.Key = k.Key
}

func sprintf(f string, v any) string { return fmt.Sprintf(f, v) }

// TestAuthorizationCodeDPoP: a public client redeeming a code with a proof
// gets a token bound to the proof's key.
func TestAuthorizationCodeDPoP(t *testing.T) {
	s := newServer(t, &Config{Clients: []Client{
		{ID: "spa", AuthMethod: AuthNone, Scopes: []string{"read"}, RedirectURIs: []string{redirectURI}},
	}})
	k := NewDPoPKey("EdDSA")
	verifier, challenge := pkce()
	code := redirected(t, s, authorize(t, s, authParams("spa", challenge))).Get("code")
	body := form("grant_type", "authorization_code", "code", code, "redirect_uri", redirectURI,
		"client_id", "spa", "code_verifier", verifier)
	req, _ := http.NewRequest(http.MethodPost, s.TokenURL(), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", k.NewProof("POST", s.TokenURL(), "", ""))
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var o map[string]any
	json.NewDecoder(resp.Body).Decode(&o)
	tok, _ := o["access_token"].(string)
	cnf, _ := s.Introspect(tok)["cnf"].(map[string]any)
	if resp.StatusCode != http.StatusOK || o["token_type"] != "DPoP" || cnf["jkt"] != k.Thumbprint() {
		t.Errorf("code exchange with a proof = %d %v, cnf %v; want a DPoP token bound to %s", resp.StatusCode, o, cnf, k.Thumbprint())
	}
}
