package interop_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/scopes"
)

// Scopes granted to the test clients and required by the resource server's
// routes.
const (
	scopeRead  = "orders:read"
	scopeWrite = "orders:write"
)

// testTimeout bounds every test's network calls; all of them go to
// 127.0.0.1.
const testTimeout = 30 * time.Second

// testContext returns a context that ends with the test or after testTimeout.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// clock is a time source for the resource server that a test moves forward,
// so that cache windows pass without sleeping. The authorization servers keep
// the real time; the offsets used are far below token lifetimes.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// hits counts the requests an authorization server receives, per path.
type hits struct {
	mu sync.Mutex
	n  map[string]int
}

// wrap returns h counting each request by its path.
func (c *hits) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		if c.n == nil {
			c.n = make(map[string]int)
		}
		c.n[r.URL.Path]++
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// count returns the requests seen on path.
func (c *hits) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}

// ccConfig returns the client_credentials configuration (RFC 6749 §4.4) of
// a client, for golang.org/x/oauth2, authenticating with client_secret_basic.
func ccConfig(tokenURL, id, secret string, params url.Values) clientcredentials.Config {
	return clientcredentials.Config{
		ClientID: id, ClientSecret: secret, TokenURL: tokenURL,
		EndpointParams: params, AuthStyle: oauth2.AuthStyleInHeader,
	}
}

// fetchToken obtains an access token from tokenURL with the client_credentials
// grant, through golang.org/x/oauth2, as a client of the authorization server
// would.
func fetchToken(t *testing.T, tokenURL, id, secret string, params url.Values, scope ...string) *oauth2.Token {
	t.Helper()
	cc := ccConfig(tokenURL, id, secret, params)
	cc.Scopes = scope
	tok, err := cc.Token(testContext(t))
	if err != nil {
		t.Fatalf("client_credentials token from %s: %v", tokenURL, err)
	}
	if tok.AccessToken == "" || !strings.EqualFold(tok.TokenType, "bearer") {
		t.Fatalf("token response: access_token empty or token_type %q, want a bearer token", tok.TokenType)
	}
	return tok
}

// revoke revokes token at endpoint (RFC 7009 §2.1), authenticating as the
// client it was issued to with client_secret_basic.
func revoke(t *testing.T, endpoint, id, secret, token string) {
	t.Helper()
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// RFC 6749 §2.3.1: each part form-encoded before Basic encoding.
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("revoke: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: status %d (%s), want 200", resp.StatusCode, body)
	}
}

// jwtValidator trusts issuer's JWT access tokens for the audience aud and the
// "typ" values types (nil: rsguard's default), with the keys of the jwks_uri
// in its metadata, found by discovery.
func jwtValidator(t *testing.T, issuer, aud string, types []string, hooks *middleware.Hooks) (*middleware.Validator, *jwks.Remote) {
	t.Helper()
	rk, err := jwks.NewRemote(testContext(t), issuer, &jwks.Config{Hooks: hooks.JWKS()})
	if err != nil {
		t.Fatalf("jwks.NewRemote(%q): %v", issuer, err)
	}
	t.Cleanup(func() { rk.Close() })
	v, err := middleware.NewValidator(middleware.Issuer{URL: issuer, Audiences: []string{aud}, Keys: rk, Types: types}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v, rk
}

// newIntrospector returns an introspection client with rsguard's defaults.
func newIntrospector(t *testing.T, endpoint string, auth introspection.ClientAuth) *introspection.Introspector {
	t.Helper()
	in, err := introspection.New(endpoint, auth, nil)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// introspectionValidator trusts issuer's tokens for aud through in only.
func introspectionValidator(t *testing.T, issuer, aud string, in *introspection.Introspector) *middleware.Validator {
	t.Helper()
	v, err := middleware.NewValidator(middleware.Issuer{URL: issuer, Audiences: []string{aud}, Introspector: in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// whoami is what the resource server's routes answer: the claims rsguard put
// in the request context.
type whoami struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes"`
}

// newAPI starts the protected API: a middleware.Guard over a mux whose
// routes each require one scope, behind an httptest.Server.
func newAPI(t *testing.T, v *middleware.Validator) string {
	t.Helper()
	g, err := middleware.NewGuard(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := middleware.FromContext(r.Context())
		if !ok {
			http.Error(w, "no claims in context", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(whoami{c.Issuer, c.Subject, c.ClientID, c.Scopes.List()})
	})
	mux := http.NewServeMux()
	mux.Handle("GET /orders", g.Require(scopes.AllOf(scopeRead), echo))
	mux.Handle("POST /orders", g.Require(scopes.AllOf(scopeWrite), echo))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// apiAnswer is the resource server's answer to one request.
type apiAnswer struct {
	status    int
	challenge string // WWW-Authenticate
	who       whoami // for a 200
}

// callAPI sends method /orders to the API with token as a bearer token.
func callAPI(t *testing.T, api, method, token string) apiAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), method, api+"/orders", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s /orders: %v", method, err)
	}
	defer resp.Body.Close()
	a := apiAnswer{status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate")}
	if a.status == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&a.who); err != nil {
			t.Fatalf("%s /orders: decoding answer: %v", method, err)
		}
	}
	return a
}

// wantStatus checks the API's answer to method with token.
func wantStatus(t *testing.T, api, method, token string, want int) apiAnswer {
	t.Helper()
	a := callAPI(t, api, method, token)
	if a.status != want {
		t.Fatalf("%s /orders = %d (WWW-Authenticate: %s), want %d", method, a.status, a.challenge, want)
	}
	return a
}

// wantScopeMapping checks that a token granted only scopeRead reads (200) but
// cannot write (403 insufficient_scope naming scopeWrite), and that the claims
// reached the handler.
func wantScopeMapping(t *testing.T, api, token, iss, sub string) {
	t.Helper()
	a := wantStatus(t, api, http.MethodGet, token, http.StatusOK)
	if a.who.Issuer != iss || a.who.Subject != sub {
		t.Errorf("claims iss=%q sub=%q, want iss=%q sub=%q", a.who.Issuer, a.who.Subject, iss, sub)
	}
	if len(a.who.Scopes) != 1 || a.who.Scopes[0] != scopeRead {
		t.Errorf("claims scopes = %q, want [%s]", a.who.Scopes, scopeRead)
	}
	a = wantStatus(t, api, http.MethodPost, token, http.StatusForbidden)
	want := `error="insufficient_scope"`
	if !strings.Contains(a.challenge, want) || !strings.Contains(a.challenge, `scope="`+scopeWrite+`"`) {
		t.Errorf("POST /orders WWW-Authenticate = %q, want %s and scope=%q", a.challenge, want, scopeWrite)
	}
}

// wantRefused checks that the API answers 401 invalid_token to token.
func wantRefused(t *testing.T, api, token string) {
	t.Helper()
	a := wantStatus(t, api, http.MethodGet, token, http.StatusUnauthorized)
	if !strings.Contains(a.challenge, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate = %q, want error=\"invalid_token\"", a.challenge)
	}
}
