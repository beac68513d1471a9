package dpop_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/dpop"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

const (
	clientID     = "svc"
	clientSecret = "s3cret"
)

// tokenRequest asks the token endpoint for a client credentials token
// through client.
func tokenRequest(t *testing.T, client *http.Client, as *oauthtest.Server) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", as.TokenURL(), strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, clientSecret)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func newAS(t *testing.T, nonce bool) *oauthtest.Server {
	t.Helper()
	as := oauthtest.NewServer(&oauthtest.Config{
		RequireDPoPNonce: nonce,
		Clients:          []oauthtest.Client{{ID: clientID, Secret: clientSecret, Scopes: []string{"read"}}},
	})
	t.Cleanup(as.Close)
	return as
}

func newKey(t *testing.T, alg string) *dpop.Key {
	t.Helper()
	k, err := dpop.GenerateKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestTransportTokenEndpointNonce: the token endpoint's 400 use_dpop_nonce
// (RFC 9449 §8) is retried once with the nonce, which is then remembered.
func TestTransportTokenEndpointNonce(t *testing.T) {
	as := newAS(t, true)
	k := newKey(t, "ES256")
	client := &http.Client{Transport: &dpop.Transport{Key: k}}
	status, body := tokenRequest(t, client, as)
	if status != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("token request = %d %v, want a DPoP token", status, body)
	}
	if n := as.Requests(oauthtest.EndpointToken); n != 2 {
		t.Errorf("first token request took %d round trips, want 2", n)
	}
	if got := as.Introspect(body["access_token"].(string))["cnf"]; got.(map[string]any)["jkt"] != k.Thumbprint() {
		t.Errorf("token bound to %v, want %s", got, k.Thumbprint())
	}
	tokenRequest(t, client, as)
	if n := as.Requests(oauthtest.EndpointToken); n != 3 {
		t.Errorf("second token request: %d round trips in all, want 3 (nonce remembered)", n)
	}
	as.RotateDPoPNonce()
	as.RotateDPoPNonce() // the remembered nonce is now two rotations old
	if status, _ := tokenRequest(t, client, as); status != http.StatusOK {
		t.Errorf("after rotation: %d", status)
	}
	if n := as.Requests(oauthtest.EndpointToken); n != 5 {
		t.Errorf("after rotation: %d round trips in all, want 5 (one retry)", n)
	}
}

// nonceStep is the life of the api's nonces: two steps (the current nonce
// and the previous one expire) fit in the proof window with the skew (90s).
const nonceStep = 40 * time.Second

func (a *api) nonceStep() time.Duration { return nonceStep }

// clock is a settable clock for the validator.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func newClock() *clock               { c := &clock{}; c.ns.Store(time.Now().UnixNano()); return c }

// api is a resource server protected by rsguard's own guard, requiring DPoP
// with server nonces, counting the requests it receives.
type api struct {
	*httptest.Server
	clock *clock
	hits  atomic.Int64
	seen  sync.Map // proofs received, to check each is fresh
}

func newAPI(t *testing.T, as *oauthtest.Server) *api {
	t.Helper()
	return newAPIMode(t, as, middleware.DPoPRequired)
}

// newAPIMode is newAPI with the issuer's DPoP mode.
func newAPIMode(t *testing.T, as *oauthtest.Server, mode middleware.DPoPMode) *api {
	t.Helper()
	keys, err := jwks.ParseStatic(as.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	nk, err := middleware.NewNonceKey([]byte(strings.Repeat("k", 32)), nonceStep)
	if err != nil {
		t.Fatal(err)
	}
	a := &api{clock: newClock()}
	v, err := middleware.NewValidator(middleware.Issuer{
		URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}, Keys: keys, DPoP: mode,
	}, &middleware.Config{Now: a.clock.now, DPoP: middleware.DPoPConfig{Nonce: nk}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := middleware.NewGuard(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := g.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := middleware.FromContext(r.Context())
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s", c.Subject, b)
	}))
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.hits.Add(1)
		if _, dup := a.seen.LoadOrStore(r.Header.Get("DPoP"), true); dup {
			t.Errorf("proof sent twice")
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(a.Close)
	return a
}

// call sends a request through client and returns the status and body.
func call(t *testing.T, client *http.Client, method, u, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, u, rd)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestTransportAgainstGuard: the round-tripper gets a DPoP-bound token from
// oauthtest and calls an API behind rsguard's guard with nonces on — the
// first call is answered use_dpop_nonce and retried once, the next ones go
// through at once, and after a nonce rotation one retry again.
func TestTransportAgainstGuard(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			as := newAS(t, true)
			a := newAPI(t, as)
			tr := &dpop.Transport{Key: newKey(t, alg), Now: a.clock.now} // one clock for both ends
			client := &http.Client{Transport: tr}
			_, body := tokenRequest(t, client, as)
			tr.Token = dpop.StaticToken(body["access_token"].(string))

			steps := []struct {
				name         string
				method, body string
				advance      time.Duration
				wantHits     int64
			}{
				{"first call learns the nonce", "GET", "", 0, 2},
				{"second call has it", "GET", "", 0, 1},
				{"POST body replayed on retry", "POST", "payload", 2 * time.Minute, 2},
				{"POST with the new nonce", "POST", "again", 0, 1},
			}
			for _, s := range steps {
				a.clock.add(s.advance)
				before := a.hits.Load()
				status, got := call(t, client, s.method, a.URL+"/orders?page=2", s.body)
				if want := clientID + " " + s.body; status != http.StatusOK || got != want {
					t.Errorf("%s: %d %q, want 200 %q", s.name, status, got, want)
				}
				if hits := a.hits.Load() - before; hits != s.wantHits {
					t.Errorf("%s: %d round trips, want %d", s.name, hits, s.wantHits)
				}
			}
		})
	}
}

// TestTransportDPoPAllowed: where the guard accepts Bearer too, its answer
// has two WWW-Authenticate fields, Bearer first (RFC 9449 §7.1); the
// Transport finds use_dpop_nonce in the second and retries.
func TestTransportDPoPAllowed(t *testing.T) {
	as := newAS(t, true)
	a := newAPIMode(t, as, middleware.DPoPAllowed)
	tr := &dpop.Transport{Key: newKey(t, "ES256"), Now: a.clock.now}
	client := &http.Client{Transport: tr}
	_, body := tokenRequest(t, client, as)
	tr.Token = dpop.StaticToken(body["access_token"].(string))
	if status, got := call(t, client, "GET", a.URL+"/x", ""); status != http.StatusOK || a.hits.Load() != 2 {
		t.Errorf("%d %q after %d requests, want 200 after 2", status, got, a.hits.Load())
	}
}
