package guardtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/scopes"
)

// App is the framework-specific part of an HTTP adapter's tests (Echo v4,
// Echo v5, Gin): each method returns a new app of the framework, with the
// guard mounted as it says, for [RunHTTPSuite]. Unless the method says
// otherwise, the app's routes serve the adapter's protected handler, which
// answers the subject of the claims it finds through the adapter's own
// accessor (its Claims function), and 500 when that accessor and
// [middleware.FromContext] disagree or find nothing. An app must fail tb
// when the framework itself answers a request the guard should have
// answered (Echo's HTTPErrorHandler).
type App interface {
	// Global mounts the guard with requirement req on the whole app and
	// serves GET /orders.
	Global(tb testing.TB, g *middleware.Guard, req scopes.Requirement) http.Handler
	// Group serves GET /api/orders in an /api group under the adapter's
	// Middleware(g, nil), the route requiring each of reqs, in order, with
	// the adapter's Require(g, req).
	Group(tb testing.TB, g *middleware.Guard, reqs ...scopes.Requirement) http.Handler
	// Route serves GET path with Require(g, req) on the route alone, or
	// with Middleware(g, nil) on the route when req is nil.
	Route(tb testing.TB, g *middleware.Guard, path string, req scopes.Requirement) http.Handler
	// Skipping mounts Middleware(g, cfg) on the whole app, where cfg has
	// Requirement req and a Skipper that skips the route /health; it serves
	// GET /orders, and GET /health answering "up" when it finds no claims
	// (500 when it does).
	Skipping(tb testing.TB, g *middleware.Guard, req scopes.Requirement) http.Handler
	// Approve serves POST /orders/:id/approve under Middleware(g, nil), with
	// a handler that calls [middleware.Authorize] for
	// scopes.AllOf("orders:approve") and answers its refusal with
	// [middleware.WriteError] on the framework's writer and request, or 204.
	Approve(tb testing.TB, g *middleware.Guard) http.Handler
}

// RunHTTPSuite runs the tests every HTTP adapter shares against app, each a
// subtest: the front-door table with the guard mounted three ways, its
// metadata and proxy variants, the attack table, the Skipper and
// Requirement of the adapter's Config, the guard's own settings, a route
// requirement behind the group middleware validating once, and the route
// the hooks name.
func RunHTTPSuite(t *testing.T, app App) {
	t.Run("front_door", func(t *testing.T) { frontDoor(t, app) })
	t.Run("metadata", func(t *testing.T) {
		f := New(t)
		url := Serve(t, app.Route(t, NewGuard(t, f.Validator, MetadataConfig()), "/orders", Requirement))
		RunHTTP(t, url+"/orders", f.MetadataCases())
	})
	t.Run("behind_proxy", func(t *testing.T) {
		f := New(t)
		url := Serve(t, app.Route(t, NewGuard(t, f.Validator, ProxyConfig()), "/orders", Requirement))
		RunHTTP(t, url+"/orders", f.ProxyCases())
	})
	t.Run("attacks", func(t *testing.T) {
		f := New(t)
		url := Serve(t, app.Route(t, NewGuard(t, f.Validator, nil), "/any", nil))
		RunHTTP(t, url+"/any", f.Attacks(t))
	})
	t.Run("skipper", func(t *testing.T) { skipper(t, app) })
	t.Run("guard_settings", func(t *testing.T) { guardSettings(t, app) })
	t.Run("validates_once", func(t *testing.T) { validatesOnce(t, app) })
	t.Run("decision_route", func(t *testing.T) { decisionRoute(t, app) })
}

// frontDoor runs the front-door table against the guard mounted on the
// whole app with the requirement, on a group with the requirement on the
// route, and on the route alone.
func frontDoor(t *testing.T, app App) {
	f := New(t)
	g := NewGuard(t, f.Validator, nil)
	for _, mount := range []struct{ name, url string }{
		{"app", Serve(t, app.Global(t, g, Requirement)) + "/orders"},
		{"group", Serve(t, app.Group(t, g, Requirement)) + "/api/orders"},
		{"route", Serve(t, app.Route(t, g, "/orders", Requirement)) + "/orders"},
	} {
		t.Run(mount.name, func(t *testing.T) { RunHTTP(t, mount.url, f.Cases()) })
	}
}

// skipper checks the adapter's Config: a skipped request reaches the
// handler without a token and without claims; the others are still
// guarded, with the Config's Requirement when it has one.
func skipper(t *testing.T, app App) {
	f := New(t)
	g := NewGuard(t, f.Validator, nil)
	for _, tt := range []struct {
		name string
		req  scopes.Requirement
		want []skipCase
	}{
		{"no_requirement", nil, []skipCase{
			{"/health", nil, 200, "up"},
			{"/orders", nil, 401, ""},
			{"/orders", []string{"Bearer " + f.Token()}, 200, Subject},
		}},
		{"requirement", Requirement, []skipCase{
			{"/health", nil, 200, "up"},
			{"/orders", nil, 401, ""},
			{"/orders", []string{"Bearer " + f.Token("profile")}, 403, ""},
			{"/orders", []string{"Bearer " + f.Token(Scope)}, 200, Subject},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url := Serve(t, app.Skipping(t, g, tt.req))
			for _, sc := range tt.want {
				c := Case{Name: sc.path, Authorization: sc.auth}
				if resp, body := c.Do(t, url+sc.path); resp.StatusCode != sc.status || body != sc.body {
					t.Errorf("GET %s (auth %d values) = %d %q, want %d %q", sc.path, len(sc.auth), resp.StatusCode, body, sc.status, sc.body)
				}
			}
		})
	}
}

// skipCase is a request to an app of [App.Skipping] and its answer.
type skipCase struct {
	path   string
	auth   []string
	status int
	body   string
}

// guardSettings checks that the guard's own settings shape the framework's
// answers (realm, RFC 9457 body), and that [middleware.WriteError] in a
// handler of the framework answers with them.
func guardSettings(t *testing.T, app App) {
	f := New(t)
	g := NewGuard(t, f.Validator, &middleware.GuardConfig{Realm: "orders", ErrorHandler: middleware.ProblemDetails})
	url := Serve(t, app.Approve(t, g))
	tests := []struct {
		name      string
		token     string
		status    int
		challenge string
	}{
		{"missing_token", "", 401, `Bearer realm="orders"`},
		{"handler_authorize", f.Token(Scope), 403,
			`Bearer realm="orders", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:approve"`},
		{"approved", f.Token("orders:approve"), 204, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", url+"/orders/7/approve", nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.challenge)
			}
			if tt.status >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("Content-Type = %q, want the guard's problem details", resp.Header.Get("Content-Type"))
			}
		})
	}
}

// validatesOnce checks that route requirements behind the group middleware
// use the claims already verified: one validation for one request through
// three guards.
func validatesOnce(t *testing.T, app App) {
	f := New(t)
	var validations atomic.Int64
	g := NewGuard(t, hookedValidator(t, f, &middleware.Hooks{
		Validated: func(context.Context, middleware.ValidationEvent) { validations.Add(1) },
	}), nil)
	c := Case{Name: "valid", Authorization: []string{"Bearer " + f.Token(Scope)}}
	resp, body := c.Do(t, Serve(t, app.Group(t, g, Requirement, scopes.AnyOf("profile", Scope)))+"/api/orders")
	if resp.StatusCode != 200 || body != Subject {
		t.Fatalf("GET = %d %q, want 200 %q", resp.StatusCode, body, Subject)
	}
	if n := validations.Load(); n != 1 {
		t.Errorf("Validate called %d times for one request through three guards, want 1", n)
	}
}

// decisionRoute checks that the hooks name a request by its route's pattern
// in the framework, not by its path, so that metrics keyed by route
// (otelguard) stay few: POST /orders/7/approve is "/orders/:id/approve".
func decisionRoute(t *testing.T, app App) {
	f := New(t)
	var mu sync.Mutex
	var routes []string
	g := NewGuard(t, hookedValidator(t, f, &middleware.Hooks{
		Decided: func(_ context.Context, ev middleware.DecisionEvent) {
			mu.Lock()
			routes = append(routes, ev.Route)
			mu.Unlock()
		},
	}), nil)
	url := Serve(t, app.Approve(t, g))
	for _, path := range []string{"/orders/7/approve", "/orders/8/approve"} {
		req, _ := http.NewRequest("POST", url+path, nil)
		req.Header.Set("Authorization", "Bearer "+f.Token("orders:approve"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("POST %s = %d, want 204", path, resp.StatusCode)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// One admission per request names the route; the handler's Authorize
	// reports a decision without one (see middleware.Authorize).
	var named []string
	for _, r := range routes {
		if r != "" {
			named = append(named, r)
		}
	}
	if len(named) != 2 || named[0] != "/orders/:id/approve" || named[1] != named[0] {
		t.Errorf("decision routes %q, want the route's pattern %q for each of the 2 requests", routes, "/orders/:id/approve")
	}
}

// hookedValidator returns a validator of the fixture's server with hooks.
func hookedValidator(tb testing.TB, f *Fixture, h *middleware.Hooks) *middleware.Validator {
	tb.Helper()
	keys, err := jwks.ParseStatic(f.Server.JWKS())
	if err != nil {
		tb.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{URL: f.Server.Issuer(), Audiences: []string{Audience}, Keys: keys},
		&middleware.Config{Now: func() time.Time { return f.Now }, Hooks: h})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// RunHTTP sends each of cases to url, each in a subtest named for it, and
// checks the answer with [Case.CheckHTTP].
func RunHTTP(t *testing.T, url string, cases []Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			resp, body := c.Do(t, url)
			c.CheckHTTP(t, resp, body)
		})
	}
}

// Serve starts a real server of h on loopback, closed when tb ends, and
// returns its URL.
func Serve(tb testing.TB, h http.Handler) string {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL
}

// NewGuard returns a guard of v with cfg, failing tb if it cannot.
func NewGuard(tb testing.TB, v *middleware.Validator, cfg *middleware.GuardConfig) *middleware.Guard {
	tb.Helper()
	g, err := middleware.NewGuard(v, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// CheckPanics calls each function of calls, named by its key, and checks
// that it panics with a string starting with prefix (an adapter's
// "echoguard: " …), as the adapters do on a nil or zero guard or
// requirement.
func CheckPanics(t *testing.T, prefix string, calls map[string]func()) {
	t.Helper()
	for name, fn := range calls {
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, prefix) {
					t.Errorf("%s: recovered %v, want a panic starting %q", name, r, prefix)
				}
			}()
			fn()
		}()
	}
}
