package dpop_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rsguard/rsguard/internal/jose"
	"github.com/rsguard/rsguard/middleware/dpop"
)

// stub is a server that answers every request with a fixed refusal carrying
// a new DPoP-Nonce ("n1", "n2", …) until it has seen a proof with the nonce
// it gave last, and records the proofs' claims.
type stub struct {
	*httptest.Server
	mu     sync.Mutex
	claims []map[string]any
	bodies []string
}

func newStub(t *testing.T, status int, challenge, body string, sameNonce bool) *stub {
	t.Helper()
	s := &stub{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := proofClaims(t, r.Header.Get("DPoP"))
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.claims = append(s.claims, c)
		s.bodies = append(s.bodies, string(b))
		n := len(s.claims)
		s.mu.Unlock()
		nonce := "n" + string(rune('0'+n))
		if sameNonce {
			nonce = "n1"
		}
		w.Header().Set("DPoP-Nonce", nonce)
		if c["nonce"] == "n"+string(rune('0'+n-1)) && !sameNonce {
			io.WriteString(w, "ok")
			return
		}
		if challenge != "" {
			w.Header().Set("WWW-Authenticate", challenge)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *stub) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.claims)
}

// proofClaims decodes the claims of a proof (its signature is checked by the
// guard tests; here only what the client put in it matters).
func proofClaims(t *testing.T, proof string) map[string]any {
	parts := strings.Split(proof, ".")
	if len(parts) != 3 {
		t.Errorf("DPoP header %q is not a compact JWS", proof)
		return nil
	}
	b, _ := jose.Decode(parts[1])
	var c map[string]any
	json.Unmarshal(b, &c)
	return c
}

// TestTransportRetryDecision: which answers are retried (once) with the new
// nonce, and which are handed back as they are.
func TestTransportRetryDecision(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		challenge string
		body      string
		sameNonce bool
		wantTries int
	}{
		{"401 DPoP use_dpop_nonce", 401, `DPoP error="use_dpop_nonce", error_description="nonce required"`, "", false, 2},
		{"401 after Bearer challenge", 401, `Bearer realm="api", DPoP realm="api", algs="ES256", error="use_dpop_nonce"`, "", false, 2},
		{"401 unquoted", 401, `dpop error=use_dpop_nonce`, "", false, 2},
		{"400 token endpoint", 400, "", `{"error":"use_dpop_nonce"}`, false, 2},
		{"401 Bearer use_dpop_nonce", 401, `Bearer error="use_dpop_nonce"`, "", false, 1},
		{"401 DPoP invalid_token", 401, `DPoP error="invalid_token"`, "", false, 1},
		{"401 use_dpop_nonce in a description", 401, `DPoP error="invalid_dpop_proof", error_description="use_dpop_nonce"`, "", false, 1},
		{"400 invalid_grant", 400, "", `{"error":"invalid_grant"}`, false, 1},
		{"400 not JSON", 400, "", `use_dpop_nonce`, false, 1},
		{"403", 403, `DPoP error="use_dpop_nonce"`, "", false, 1},
		{"the nonce that was sent", 401, `DPoP error="use_dpop_nonce"`, "", true, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStub(t, c.status, c.challenge, c.body, c.sameNonce)
			client := &http.Client{Transport: &dpop.Transport{Key: newKey(t, "ES256")}}
			resp, err := client.Post(s.URL+"/x", "text/plain", strings.NewReader("body"))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if got := s.requests(); got != c.wantTries {
				t.Errorf("%d requests, want %d", got, c.wantTries)
			}
			if c.wantTries == 2 && !c.sameNonce && (resp.StatusCode != 200 || string(b) != "ok") {
				t.Errorf("after retry: %d %q, want 200 ok", resp.StatusCode, b)
			}
			if c.wantTries == 1 && (resp.StatusCode != c.status || string(b) != c.body) {
				t.Errorf("answer %d %q, want the server's %d %q intact", resp.StatusCode, b, c.status, c.body)
			}
			for i, body := range s.bodies {
				if body != "body" {
					t.Errorf("request %d body %q, want %q", i, body, "body")
				}
			}
		})
	}
}

// TestTransportRetriesOnce: a server that always wants a newer nonce gets
// two requests, not more; the sameNonce stub above gets a retry only when
// the nonce changed, so at most 2 there too.
func TestTransportRetriesOnce(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("DPoP-Nonce", "n"+string(rune('a'+n.Add(1))))
		w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce"`)
		w.WriteHeader(401)
	}))
	defer srv.Close()
	client := &http.Client{Transport: &dpop.Transport{Key: newKey(t, "EdDSA")}}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || n.Load() != 2 {
		t.Errorf("status %d after %d requests, want 401 after 2", resp.StatusCode, n.Load())
	}
}

// TestTransportUnreplayableBody: a body without GetBody is not sent twice.
func TestTransportUnreplayableBody(t *testing.T) {
	s := newStub(t, 401, `DPoP error="use_dpop_nonce"`, "", false)
	client := &http.Client{Transport: &dpop.Transport{Key: newKey(t, "ES256")}}
	req, _ := http.NewRequest("POST", s.URL, io.NopCloser(strings.NewReader("body")))
	req.GetBody = nil
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || s.requests() != 1 {
		t.Errorf("status %d after %d requests, want the 401 after 1", resp.StatusCode, s.requests())
	}
	// The nonce was still learnt: the next request carries it.
	req, _ = http.NewRequest("POST", s.URL, strings.NewReader("body"))
	if resp, err = client.Do(req); err == nil {
		resp.Body.Close()
	}
	if got := s.claims[1]["nonce"]; got != "n1" {
		t.Errorf("next request's nonce = %v, want n1", got)
	}
}

// TestProofClaims: htm, htu without query and fragment, ath of the token
// sent with the DPoP scheme, a fresh jti per request, and nonces kept per
// origin.
func TestProofClaims(t *testing.T) {
	a := newStub(t, 401, `DPoP error="use_dpop_nonce"`, "", false)
	b := newStub(t, 401, `DPoP error="use_dpop_nonce"`, "", false)
	tr := &dpop.Transport{Key: newKey(t, "ES256")}
	client := &http.Client{Transport: tr}
	get := func(u, auth string) {
		req, _ := http.NewRequest("PUT", u, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if req.Header.Get("DPoP") != "" {
			t.Error("RoundTrip modified the caller's request")
		}
	}
	get(a.URL+"/p/a%2Fb?q=1#frag", "DPoP tok-1")
	get(b.URL+"/", "Bearer tok-2")
	jtis := map[any]bool{}
	for i, c := range a.claims {
		if c["htm"] != "PUT" || c["htu"] != a.URL+"/p/a%2Fb" || c["ath"] != dpop.AccessTokenHash("tok-1") {
			t.Errorf("a proof %d = %v", i, c)
		}
		jtis[c["jti"]] = true
	}
	for _, c := range b.claims {
		if _, ok := c["ath"]; ok {
			t.Errorf("proof with a Bearer token has ath: %v", c)
		}
		jtis[c["jti"]] = true
	}
	if len(jtis) != 4 {
		t.Errorf("%d distinct jti in 4 proofs", len(jtis))
	}
	if a.claims[0]["nonce"] != nil || a.claims[1]["nonce"] != "n1" || b.claims[0]["nonce"] != nil {
		t.Errorf("nonces a %v %v, b %v: want none, n1, none (per origin)", a.claims[0]["nonce"], a.claims[1]["nonce"], b.claims[0]["nonce"])
	}
}

// TestAccessTokenHash is the example of RFC 9449 §7.1.
func TestAccessTokenHash(t *testing.T) {
	const tok = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"
	if got, want := dpop.AccessTokenHash(tok), "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"; got != want {
		t.Errorf("AccessTokenHash = %s, want %s", got, want)
	}
}

type failingRT struct{ err error }

func (f failingRT) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }

type closeCounter struct {
	io.Reader
	closed atomic.Int32
}

func (c *closeCounter) Close() error { c.closed.Add(1); return nil }

func TestTransportErrors(t *testing.T) {
	boom := errors.New("boom")
	body := &closeCounter{Reader: strings.NewReader("x")}
	req, _ := http.NewRequest("POST", "http://127.0.0.1:1/", body)
	if _, err := (&dpop.Transport{}).RoundTrip(req); err == nil || body.closed.Load() != 1 {
		t.Errorf("no Key: err %v, body closed %d times, want an error and 1", err, body.closed.Load())
	}
	req, _ = http.NewRequest("GET", "http://127.0.0.1:1/", nil)
	if _, err := (&dpop.Transport{Key: newKey(t, "ES256"), Base: failingRT{boom}}).RoundTrip(req); !errors.Is(err, boom) {
		t.Errorf("base error = %v, want boom", err)
	}
	tr := &dpop.Transport{Key: newKey(t, "ES256"), Token: failingToken{boom}, Base: failingRT{errors.New("not reached")}}
	if _, err := tr.RoundTrip(req); !errors.Is(err, boom) {
		t.Errorf("token source error = %v, want boom", err)
	}
}

type failingToken struct{ err error }

func (f failingToken) AccessToken(context.Context) (string, error) { return "", f.err }
