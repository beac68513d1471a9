package oauthtest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/internal/jose"
)

// FuzzIntrospect checks that no input makes introspection panic or answer
// active for a token the server did not mint: signatures cannot be forged by
// mutation (EdDSA and strict base64url leave no malleability).
func FuzzIntrospect(f *testing.F) {
	s := NewServer(&Config{Algorithm: "EdDSA"})
	defer s.Close()
	minted := map[string]bool{}
	for _, tok := range []string{
		s.Token(TokenOptions{}), s.OpaqueToken(TokenOptions{}), s.Token(TokenOptions{Header: map[string]any{"alg": "none"}}),
	} {
		minted[tok] = true
		f.Add(tok)
	}
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJFZERTQSJ9.e30.")
	f.Fuzz(func(t *testing.T, tok string) {
		if got := s.Introspect(tok)["active"]; got == true && !minted[tok] {
			t.Errorf("Introspect(%q) active, want inactive for a token never minted", tok)
		}
	})
}

// FuzzTokenEndpoint sends arbitrary Authorization headers and bodies to the
// token and introspection endpoints: every answer is 200, 400 or 401, and an
// error answer carries an RFC 6749 §5.2 error code.
func FuzzTokenEndpoint(f *testing.F) {
	s0, err := jose.GenerateKey("EdDSA")
	if err != nil {
		f.Fatal(err)
	}
	s := NewServer(&Config{Algorithm: "EdDSA", Clients: []Client{
		{ID: "c", Secret: "s", Scopes: []string{"read"}},
		{ID: "p", AuthMethod: AuthNone, RedirectURIs: []string{"https://a.test/cb"}},
		{ID: "k", AuthMethod: AuthPrivateKeyJWT, PublicKey: s0.Public()},
		{ID: "rs", AuthMethod: AuthBearer, BearerToken: "t"},
	}})
	defer s.Close()
	f.Add(basic("c", "s"), "grant_type=client_credentials&scope=read")
	f.Add("", "grant_type=authorization_code&client_id=p&code=x&code_verifier="+strings.Repeat("a", 43))
	f.Add("Bearer t", "token=abc")
	f.Add("", "client_assertion_type="+assertionType+"&client_assertion=a.b.c&token=x")
	f.Add("Basic Yzpz", "grant_type=client_credentials&scope=%zz")
	f.Add(basic("c", "s"), "grant_type=client_credentials&resource=https%3A%2F%2Fa.test%2Fapi&resource=urn%3Ax&resource=%23")
	codes := map[string]bool{"invalid_request": true, "invalid_client": true, "invalid_grant": true,
		"invalid_scope": true, "unauthorized_client": true, "unsupported_grant_type": true,
		"invalid_target": true} // RFC 8707 §2
	f.Fuzz(func(t *testing.T, auth, body string) {
		for _, u := range []string{s.TokenURL(), s.IntrospectionURL()} {
			req := httptest.NewRequest(http.MethodPost, u, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", auth)
			rec := httptest.NewRecorder()
			s.serveHTTP(rec, req)
			r := response{rec.Code, rec.Header(), rec.Body.Bytes()}
			switch r.status {
			case 200:
			case 400, 401:
				if code, _ := r.object(t)["error"].(string); !codes[code] {
					t.Errorf("POST %s: error %q, want an RFC 6749 code", u, code)
				}
			default:
				t.Errorf("POST %s: status %d, want 200, 400 or 401", u, r.status)
			}
		}
	})
}

// FuzzDPoPProof: the token endpoint's proof decoder never panics on any DPoP
// header, and accepts only a dpop+jwt proof whose embedded public key
// verifies its signature, with that key's thumbprint.
func FuzzDPoPProof(f *testing.F) {
	k := NewDPoPKey("ES256")
	f.Add(k.NewProof("POST", "http://127.0.0.1/token", "", ""))
	f.Add(k.MakeProof(ProofOptions{Header: map[string]any{"alg": "none"}}))
	f.Add(k.MakeProof(ProofOptions{Header: map[string]any{"jwk": map[string]any{"kty": "EC", "crv": "P-256", "x": "", "y": ""}}}))
	f.Add("e30.e30.")
	f.Fuzz(func(t *testing.T, proof string) {
		p, jkt, e := decodeProof(proof)
		if e != nil {
			if e.code != "invalid_dpop_proof" {
				t.Fatalf("decodeProof error code %q", e.code)
			}
			return
		}
		if p.header.Typ != "dpop+jwt" || jkt == "" {
			t.Fatalf("accepted %q: typ %q, jkt %q", proof, p.header.Typ, jkt)
		}
		pub, err := jose.ParsePublicJWK(p.header.JWK)
		if err != nil || !jose.Fits(p.header.Alg, pub) {
			t.Fatalf("accepted %q with an unusable key: %v", proof, err)
		}
	})
}
