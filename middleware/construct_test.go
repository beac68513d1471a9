package middleware_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// TestWiringFailsEarly checks that what cannot work fails when it is wired,
// with a message naming the mistake, instead of on the first request.
func TestWiringFailsEarly(t *testing.T) {
	f := newHTFixture(t)
	g := htGuard(t, f.v, nil)
	zero := &middleware.Guard{}
	for name, fn := range map[string]func(){
		"Protect(nil)":               func() { g.Protect(nil) },
		"Require(req, nil)":          func() { g.Require(scopes.AllOf("a"), nil) },
		"Require(nil, h)":            func() { g.Require(nil, htEcho) },
		"RequireFunc(req, nil)":      func() { g.RequireFunc(scopes.AllOf("a"), nil) },
		"Optional(nil)":              func() { g.Optional(nil) },
		"Middleware(nil)(nil)":       func() { g.Middleware(nil)(nil) },
		"zero Guard Protect":         func() { zero.Protect(htEcho) },
		"zero Guard Require":         func() { zero.Require(scopes.AllOf("a"), htEcho) },
		"zero Guard Middleware":      func() { zero.Middleware(nil) },
		"nil Guard Optional":         func() { (*middleware.Guard)(nil).Optional(htEcho) },
		"CookieToken(\"\")":          func() { middleware.CookieToken("") },
		"HeaderToken(Authorization)": func() { middleware.HeaderToken("authorization") },
	} {
		func() {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "middleware: ") {
					t.Errorf("%s: recovered %q, want a middleware panic", name, s)
				}
			}()
			fn()
		}()
	}
	for name, cfg := range map[string]*middleware.GuardConfig{
		"bad public pattern":       {PublicPaths: []string{"GET"}},
		"duplicate public pattern": {PublicPaths: []string{"/healthz", "/healthz"}},
		"nil token source":         {TokenSources: []middleware.TokenSource{nil}},
	} {
		if g, err := middleware.NewGuard(f.v, cfg); err == nil || g != nil {
			t.Errorf("NewGuard(%s) = %v, %v, want nil and an error", name, g, err)
		}
	}
	if g, err := middleware.NewGuard(&middleware.Validator{}, nil); err == nil || g != nil {
		t.Errorf("NewGuard(zero Validator) = %v, %v, want nil and an error", g, err)
	}
	var zv middleware.Validator
	_, err := zv.Validate(context.Background(), f.token(t, "", nil))
	if !errors.Is(err, middleware.ErrUnavailable) || !strings.Contains(err.Error(), "not made by NewValidator") {
		t.Errorf("zero Validator.Validate = %v, want ErrUnavailable naming the mistake", err)
	}
}

// TestRequireFunc mounts a plain handler function.
func TestRequireFunc(t *testing.T) {
	f := newHTFixture(t)
	g := htGuard(t, f.v, nil)
	srv := htServe(t, g.RequireFunc(scopes.AllOf("orders:write"), htEcho.ServeHTTP))
	for _, tc := range []struct {
		scope  string
		status int
	}{{"orders:write", 200}, {"orders:read", 403}} {
		resp, body := htDo(t, srv.URL, "GET", "/", "", "Authorization", "Bearer "+f.token(t, tc.scope, nil))
		if resp.StatusCode != tc.status {
			t.Errorf("scope %q: %d %q, want %d", tc.scope, resp.StatusCode, body, tc.status)
		}
	}
}

// TestPublicPaths checks PublicPaths on a Protect'ed mux: a public pattern
// is served without a token and without claims, a token there is not even
// looked at, a Require'd handler inside stays protected, and every other
// path needs a token.
func TestPublicPaths(t *testing.T) {
	f := newHTFixture(t)
	g := htGuard(t, f.v, &middleware.GuardConfig{PublicPaths: []string{"GET /healthz", "/docs/"}})
	mux := http.NewServeMux()
	mux.Handle("/", htEcho)
	mux.Handle("/docs/admin", g.Require(scopes.AllOf("admin"), htEcho))
	srv := htServe(t, g.Protect(mux))
	valid := "Bearer " + f.token(t, "read", nil)
	for _, tc := range []struct {
		method, path, auth string
		status             int
		body               string
	}{
		{"GET", "/healthz", "", 200, "anonymous"},
		{"GET", "/healthz", "Bearer not-a-valid-token", 200, "anonymous"},
		{"POST", "/healthz", "", 401, ""},
		{"GET", "/docs/intro", "", 200, "anonymous"},
		{"GET", "/docs/admin", "", 401, ""},
		{"GET", "/docs/admin", valid, 403, ""},
		{"GET", "/orders", "", 401, ""},
		{"GET", "/orders", valid, 200, "alice read"},
		{"GET", "/healthzz", "", 401, ""},
	} {
		var hdr []string
		if tc.auth != "" {
			hdr = []string{"Authorization", tc.auth}
		}
		resp, body := htDo(t, srv.URL, tc.method, tc.path, "", hdr...)
		if resp.StatusCode != tc.status || (tc.body != "" && body != tc.body) {
			t.Errorf("%s %s (auth %q) = %d %q, want %d %q", tc.method, tc.path, tc.auth, resp.StatusCode, body, tc.status, tc.body)
		}
	}
}

// TestTokenSources checks tokens in a cookie or another header, and that
// RFC 6750's one token per request holds across every place.
func TestTokenSources(t *testing.T) {
	f := newHTFixture(t)
	g := htGuard(t, f.v, &middleware.GuardConfig{TokenSources: []middleware.TokenSource{
		middleware.CookieToken("access_token"), middleware.HeaderToken("X-Access-Token"),
	}})
	srv := htServe(t, g.Protect(htEcho))
	tok := f.token(t, "read", nil)
	for _, tc := range []struct {
		name   string
		header []string
		status int
	}{
		{"cookie", []string{"Cookie", "access_token=" + tok}, 200},
		{"header", []string{"X-Access-Token", tok}, 200},
		{"authorization", []string{"Authorization", "Bearer " + tok}, 200},
		{"none", nil, 401},
		{"other cookie", []string{"Cookie", "session=" + tok}, 401},
		{"cookie and header", []string{"Cookie", "access_token=" + tok, "X-Access-Token", tok}, 400},
		{"cookie and authorization", []string{"Cookie", "access_token=" + tok, "Authorization", "Bearer " + tok}, 400},
		{"two cookies", []string{"Cookie", "access_token=" + tok + "; access_token=" + tok}, 400},
		{"two headers", []string{"X-Access-Token", tok, "X-Access-Token", tok}, 400},
		{"bad cookie token", []string{"Cookie", "access_token=" + tok[:20] + "x"}, 401},
	} {
		resp, body := htDo(t, srv.URL, "GET", "/", "", tc.header...)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d %q, want %d", tc.name, resp.StatusCode, body, tc.status)
		}
		if tc.status == 400 && !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_request"`) {
			t.Errorf("%s: WWW-Authenticate = %q, want invalid_request", tc.name, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

// TestNewIssuerValidator checks the one-call constructor against a real
// authorization server: it discovers and fetches the keys, validates, and
// Close stops its goroutines, so that none is left behind.
func TestNewIssuerValidator(t *testing.T) {
	as := oauthtest.NewServer(nil)
	defer as.Close()
	before := rsguardGoroutines()
	v, err := middleware.NewIssuerValidator(context.Background(),
		middleware.Issuer{URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}},
		&middleware.Config{RemoteKeys: &jwks.Config{HTTPClient: as.Client()}})
	if err != nil {
		t.Fatalf("NewIssuerValidator = %v", err)
	}
	if n := rsguardGoroutines(); n <= before {
		t.Fatalf("rsguard goroutines after NewIssuerValidator = %d, want more than %d (a refresh loop)", n, before)
	}
	if _, err := v.Validate(context.Background(), as.Token(oauthtest.TokenOptions{})); err != nil {
		t.Fatalf("Validate = %v", err)
	}
	if err := v.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := v.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if n := rsguardGoroutines(); n != before {
		t.Errorf("rsguard goroutines after Close = %d, want %d:\n%s", n, before, stacks())
	}
	kid := as.RotateKey("ES256")
	_, err = v.Validate(context.Background(), as.Token(oauthtest.TokenOptions{KeyID: kid}))
	if !errors.Is(err, middleware.ErrUnavailable) && !errors.Is(err, middleware.ErrUnknownKey) {
		t.Errorf("Validate(new key) after Close = %v, want no fetch: unavailable or unknown key", err)
	}

	for name, iss := range map[string]middleware.Issuer{
		"keys given":  {URL: as.Issuer(), Audiences: []string{"a"}, Keys: &jwks.Static{}},
		"no URL":      {Audiences: []string{"a"}},
		"no audience": {URL: as.Issuer()},
	} {
		before := rsguardGoroutines()
		cfg := &middleware.Config{RemoteKeys: &jwks.Config{HTTPClient: as.Client()}}
		if v, err := middleware.NewIssuerValidator(context.Background(), iss, cfg); err == nil || v != nil {
			t.Errorf("NewIssuerValidator(%s) = %v, %v, want nil and an error", name, v, err)
		}
		if n := rsguardGoroutines(); n != before {
			t.Errorf("NewIssuerValidator(%s) failed but left %d goroutines, want %d", name, n, before)
		}
	}
	as.SetFault(oauthtest.EndpointDiscovery, oauthtest.Fault{Status: http.StatusServiceUnavailable})
	if _, err := middleware.NewIssuerValidator(context.Background(),
		middleware.Issuer{URL: as.Issuer(), Audiences: []string{"a"}}, &middleware.Config{RemoteKeys: &jwks.Config{HTTPClient: as.Client()}}); !errors.Is(err, jwks.ErrDiscovery) {
		t.Errorf("NewIssuerValidator(discovery down) = %v, want ErrDiscovery", err)
	}
}

// rsguardGoroutines counts the goroutines of key sources, once the count
// has held still for a moment (goroutines that are ending).
func rsguardGoroutines() int {
	count := func() int { return strings.Count(stacks(), "middleware/jwks.(*Remote).loop(") }
	n := count()
	for range 50 {
		time.Sleep(10 * time.Millisecond)
		m := count()
		if m == n {
			return n
		}
		n = m
	}
	return n
}

func stacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
