package middleware

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// newClientCert returns a self-signed client certificate and its TLS form.
func newClientCert(tb testing.TB, name string) (*x509.Certificate, tls.Certificate) {
	tb.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return cert, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv, Leaf: cert}
}

// certBound mints a token bound to cert (RFC 8705 §3.1).
func certBound(k *testKey, cert *x509.Certificate) string {
	return k.mint(nil, map[string]any{"cnf": map[string]any{"x5t#S256": CertificateThumbprint(cert)}})
}

// TestCertificateBinding checks RFC 8705 §3 in the core: the token's
// "x5t#S256" against the presented certificate.
func TestCertificateBinding(t *testing.T) {
	tk := keyFor(t, "ES256")
	v := dpopValidator(t, "ES256", DPoPOff, nil)
	cert, _ := newClientCert(t, "client")
	other, _ := newClientCert(t, "other")
	token := certBound(tk, cert)
	tests := []struct {
		name   string
		cert   *x509.Certificate
		reason error
	}{
		{"match", cert, nil},
		{"mismatch", other, ErrCertificateMismatch},
		{"none", nil, ErrSenderConstrained},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // the second is a cache hit
				_, err := v.Authenticate(context.Background(), &Credentials{Authorization: []string{"Bearer " + token}, PeerCertificate: tt.cert})
				if tt.reason == nil {
					if err != nil {
						t.Fatalf("Authenticate = %v, want accepted", err)
					}
					continue
				}
				wantRefused(t, token, err, tt.reason)
			}
		})
	}
}

// TestCertificateBindingHTTP checks certificate-bound tokens through the
// net/http guard: over real mutual TLS on loopback (match, mismatch, none),
// and behind a TLS-terminating proxy with the RFC 9440 Client-Cert header,
// believed from a trusted proxy only.
func TestCertificateBindingHTTP(t *testing.T) {
	tk := keyFor(t, "ES256")
	v := dpopValidator(t, "ES256", DPoPOff, nil)
	cert, tlsCert := newClientCert(t, "client")
	other, otherTLS := newClientCert(t, "other")
	token := certBound(tk, cert)
	handler := func(cfg *GuardConfig) http.Handler {
		g, err := NewGuard(v, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return g.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := FromContext(r.Context())
			io.WriteString(w, c.Subject)
		}))
	}
	mtls := httptest.NewUnstartedServer(handler(nil))
	mtls.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	mtls.StartTLS()
	t.Cleanup(mtls.Close)
	clientWith := func(c *tls.Certificate) *http.Client {
		tr := mtls.Client().Transport.(*http.Transport).Clone()
		if c != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*c}
		}
		return &http.Client{Transport: tr}
	}
	trusted := httptest.NewServer(handler(&GuardConfig{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}))
	t.Cleanup(trusted.Close)
	untrusted := httptest.NewServer(handler(&GuardConfig{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}))
	t.Cleanup(untrusted.Close)
	header := func(c *x509.Certificate) string { return ":" + base64.StdEncoding.EncodeToString(c.Raw) + ":" }
	tests := []struct {
		name      string
		client    *http.Client
		url       string
		clientHdr string
		status    int
		challenge string
	}{
		{"tls_match", clientWith(&tlsCert), mtls.URL, "", 200, ""},
		{"tls_mismatch", clientWith(&otherTLS), mtls.URL, "", 401, `Bearer realm="api", error="invalid_token", error_description="client certificate does not match the token"`},
		{"proxy_header_match", http.DefaultClient, trusted.URL, header(cert), 200, ""},
		{"proxy_header_mismatch", http.DefaultClient, trusted.URL, header(other), 401, `Bearer realm="api", error="invalid_token", error_description="client certificate does not match the token"`},
		{"proxy_header_malformed", http.DefaultClient, trusted.URL, ":not base64!:", 400, `Bearer realm="api", error="invalid_request", error_description="malformed Client-Cert header"`},
		{"proxy_no_header", http.DefaultClient, trusted.URL, "", 401, `Bearer realm="api", error="invalid_token", error_description="token is sender-constrained"`},
		{"header_from_untrusted_peer", http.DefaultClient, untrusted.URL, header(cert), 401, `Bearer realm="api", error="invalid_token", error_description="token is sender-constrained"`},
		{"tls_none", clientWith(nil), mtls.URL, "", 401, `Bearer realm="api", error="invalid_token", error_description="token is sender-constrained"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tt.url+"/orders/1", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			if tt.clientHdr != "" {
				req.Header.Set("Client-Cert", tt.clientHdr)
			}
			resp, err := tt.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("WWW-Authenticate") != tt.challenge {
				t.Fatalf("%d %q (body %q), want %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body, tt.status, tt.challenge)
			}
			if tt.status == 200 && string(body) != "user-1" {
				t.Fatalf("body = %q, want the subject", body)
			}
		})
	}
}

// TestDPoPHTTP checks the guard's DPoP answers (RFC 9449 §7.1, §9): both
// challenges when both schemes are accepted, the error on the scheme used,
// use_dpop_nonce with DPoP-Nonce, 503 with Retry-After when the replay
// store fails, and the request URI from ExternalURL or a trusted proxy only.
func TestDPoPHTTP(t *testing.T) {
	tk := keyFor(t, "ES256")
	c := newDPoPClient(t, "ES256")
	token := c.boundToken(tk)
	nonce, _ := NewNonceKey([]byte("0123456789abcdef0123456789abcdef"), 0)
	v := dpopValidator(t, "ES256", DPoPAllowed, &Config{DPoP: DPoPConfig{Nonce: nonce, Algorithms: []string{"ES256", "EdDSA"}}})
	down := dpopValidator(t, "ES256", DPoPAllowed, &Config{DPoP: DPoPConfig{ReplayStore: failingStore{}}})
	serve := func(v *Validator, cfg *GuardConfig) string {
		g, err := NewGuard(v, cfg)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(g.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	plain := serve(v, nil)
	external := serve(v, &GuardConfig{ExternalURL: "https://api.example.test/"})
	proxied := serve(v, &GuardConfig{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	required := serve(v, &GuardConfig{DPoPMode: DPoPRequired})
	failing := serve(down, nil)
	cur := nonce.Nonce(testNow)
	const (
		bearerCh = `Bearer realm="api"`
		dpopCh   = `DPoP realm="api", algs="ES256 EdDSA"`
	)
	withNonce := map[string]any{"nonce": cur}
	tests := []struct {
		name       string
		url        string
		auth       string
		proof      func(url string) string
		hdr        map[string]string
		status     int
		challenges []string
		nonce      bool
	}{
		{"ok", plain, "DPoP " + token, func(u string) string { return c.proof(token, nil, merge(withNonce, map[string]any{"htu": u})) }, nil, 200, nil, true},
		{"no_token", plain, "", nil, nil, 401, []string{bearerCh, dpopCh}, false},
		{"no_token_dpop_required", required, "", nil, nil, 401, []string{`DPoP realm="api", algs="ES256 EdDSA"`}, false},
		{"bearer_error_on_bearer", plain, "Bearer " + token, nil, nil, 401,
			[]string{bearerCh + `, error="invalid_token", error_description="token is sender-constrained"`, dpopCh}, false},
		{"bad_proof_error_on_dpop", plain, "DPoP " + token, func(u string) string {
			return c.proof(token, nil, merge(withNonce, map[string]any{"htm": "POST", "htu": u}))
		}, nil, 401,
			[]string{bearerCh, dpopCh + `, error="invalid_dpop_proof", error_description="DPoP proof htm does not match the request method"`}, true},
		{"use_dpop_nonce", plain, "DPoP " + token, func(u string) string { return c.proof(token, nil, map[string]any{"htu": u}) }, nil, 401,
			[]string{bearerCh, dpopCh + `, error="use_dpop_nonce", error_description="DPoP proof lacks the current server nonce"`}, true},
		{"external_url", external, "DPoP " + token, func(string) string { return c.proof(token, nil, withNonce) }, nil, 200, nil, true},
		{"external_url_wrong_htu", external, "DPoP " + token, func(u string) string { return c.proof(token, nil, merge(withNonce, map[string]any{"htu": u})) }, nil, 401,
			[]string{bearerCh, dpopCh + `, error="invalid_dpop_proof", error_description="DPoP proof htu does not match the request URI"`}, true},
		{"trusted_proxy_forwarded", proxied, "DPoP " + token, func(string) string { return c.proof(token, nil, withNonce) },
			map[string]string{"Forwarded": `for=192.0.2.1;proto=https;host="api.example.test"`}, 200, nil, true},
		{"trusted_proxy_x_forwarded", proxied, "DPoP " + token, func(string) string { return c.proof(token, nil, withNonce) },
			map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example.test"}, 200, nil, true},
		{"untrusted_peer_forwarded_ignored", plain, "DPoP " + token, func(string) string { return c.proof(token, nil, withNonce) },
			map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example.test"}, 401,
			[]string{bearerCh, dpopCh + `, error="invalid_dpop_proof", error_description="DPoP proof htu does not match the request URI"`}, true},
		{"replay_store_down", failing, "DPoP " + token, func(u string) string { return c.proof(token, nil, map[string]any{"htu": u}) }, nil, 503, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tt.url+"/orders/1", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.proof != nil {
				req.Header.Set("DPoP", tt.proof(tt.url+"/orders/1"))
			}
			for k, val := range tt.hdr {
				req.Header.Set(k, val)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := resp.Header.Values("WWW-Authenticate")
			if resp.StatusCode != tt.status || strings.Join(got, "\n") != strings.Join(tt.challenges, "\n") {
				t.Fatalf("%d %q, want %d %q", resp.StatusCode, got, tt.status, tt.challenges)
			}
			if n := resp.Header.Get("DPoP-Nonce"); (n == cur) != tt.nonce || (n != "" && n != cur) {
				t.Errorf("DPoP-Nonce = %q, want %v (current %q)", n, tt.nonce, cur)
			}
			if tt.status == 503 && resp.Header.Get("Retry-After") != "10" {
				t.Errorf("Retry-After = %q, want 10", resp.Header.Get("Retry-After"))
			}
		})
	}
	if _, err := NewGuard(v, &GuardConfig{ExternalURL: "api.example.test"}); err == nil {
		t.Error("NewGuard accepted a relative ExternalURL")
	}
}

// TestNestedGuardModes checks a route guard whose DPoP mode differs from
// the outer guard's: it does not verify the proof again (its jti is used
// up) but holds the presentation the outer guard saw to its own mode.
func TestNestedGuardModes(t *testing.T) {
	tk := keyFor(t, "ES256")
	c := newDPoPClient(t, "ES256")
	v := dpopValidator(t, "ES256", DPoPAllowed, nil)
	outer, _ := NewGuard(v, nil)
	required, _ := NewGuard(v, &GuardConfig{DPoPMode: DPoPRequired})
	off, _ := NewGuard(v, &GuardConfig{DPoPMode: DPoPOff})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux := http.NewServeMux()
	mux.Handle("/required", required.Protect(ok))
	mux.Handle("/off", off.Protect(ok))
	srv := httptest.NewServer(outer.Protect(mux))
	t.Cleanup(srv.Close)
	bound, unbound := c.boundToken(tk), tk.token()
	tests := []struct {
		name, path, auth string
		proof            bool
		status           int
	}{
		{"dpop_on_required", "/required", "DPoP " + bound, true, 200},
		{"bearer_on_required", "/required", "Bearer " + unbound, false, 401},
		{"bearer_on_off", "/off", "Bearer " + unbound, false, 200},
		{"dpop_on_off", "/off", "DPoP " + bound, true, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
			req.Header.Set("Authorization", tt.auth)
			if tt.proof {
				req.Header.Set("DPoP", c.proof(bound, nil, map[string]any{"htu": srv.URL + tt.path}))
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d (%q), want %d", resp.StatusCode, resp.Header.Values("WWW-Authenticate"), tt.status)
			}
		})
	}
}
