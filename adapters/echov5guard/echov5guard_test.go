package echov5guard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/rsguard/rsguard/adapters/echov5guard"
	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/scopes"
)

// subject is the protected handler: it answers the subject of the claims it
// finds, after checking that the typed accessor and the request context
// agree.
func subject(c *echo.Context) error {
	claims, ok := echov5guard.Claims(c)
	fromCtx, ok2 := middleware.FromContext(c.Request().Context())
	if !ok || !ok2 || claims != fromCtx {
		return c.String(http.StatusInternalServerError, "claims differ or missing")
	}
	return c.String(http.StatusOK, claims.Subject)
}

// newEcho returns an Echo instance whose HTTPErrorHandler fails the test: a
// refusal must be written by the guard, never by Echo.
func newEcho(t *testing.T) *echo.Echo {
	t.Helper()
	e := echo.New()
	e.HTTPErrorHandler = func(c *echo.Context, err error) {
		t.Errorf("Echo's HTTPErrorHandler called with %v", err)
		c.String(http.StatusTeapot, "error handler")
	}
	return e
}

func serve(t *testing.T, e *echo.Echo) string {
	t.Helper()
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL
}

func newGuard(t testing.TB, v *middleware.Validator, cfg *middleware.GuardConfig) *middleware.Guard {
	t.Helper()
	g, err := middleware.NewGuard(v, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestFrontDoorEcho runs the front-door table shared with net/http, Gin and
// gRPC (internal/guardtest) against Echo behind a real server, with the
// guard mounted three ways: on the server with the requirement, on a group
// with the requirement on the route, and on the route alone.
func TestFrontDoorEcho(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, nil)

	server := newEcho(t)
	server.Use(echov5guard.Middleware(g, &echov5guard.Config{Requirement: guardtest.Requirement}))
	server.GET("/orders", subject)

	group := newEcho(t)
	api := group.Group("/api", echov5guard.Middleware(g, nil))
	api.GET("/orders", subject, echov5guard.Require(g, guardtest.Requirement))

	route := newEcho(t)
	route.GET("/orders", subject, echov5guard.Require(g, guardtest.Requirement))

	for _, mount := range []struct{ name, url string }{
		{"server", serve(t, server) + "/orders"},
		{"group", serve(t, group) + "/api/orders"},
		{"route", serve(t, route) + "/orders"},
	} {
		t.Run(mount.name, func(t *testing.T) {
			for _, c := range f.Cases() {
				t.Run(c.Name, func(t *testing.T) {
					resp, body := c.Do(t, mount.url)
					c.CheckHTTP(t, resp, body)
				})
			}
		})
	}
}

// TestFrontDoorEchoMetadata runs the metadata variant of the shared table:
// a guard publishing protected resource metadata adds resource_metadata to
// its 401 and 403 challenges (RFC 9728 §5.1), through Echo exactly as
// through net/http.
func TestFrontDoorEchoMetadata(t *testing.T) {
	f := guardtest.New(t)
	e := newEcho(t)
	e.GET("/orders", subject, echov5guard.Require(newGuard(t, f.Validator, guardtest.MetadataConfig()), guardtest.Requirement))
	url := serve(t, e) + "/orders"
	for _, c := range f.MetadataCases() {
		t.Run(c.Name, func(t *testing.T) {
			resp, body := c.Do(t, url)
			c.CheckHTTP(t, resp, body)
		})
	}
}

// TestSkipper checks Echo's Skipper convention: a skipped request reaches the
// handler without a token and without claims; the others are still guarded.
func TestSkipper(t *testing.T) {
	f := guardtest.New(t)
	e := newEcho(t)
	e.Use(echov5guard.Middleware(newGuard(t, f.Validator, nil), &echov5guard.Config{
		Skipper: func(c *echo.Context) bool { return c.Path() == "/health" },
	}))
	e.GET("/health", func(c *echo.Context) error {
		if _, ok := echov5guard.Claims(c); ok {
			return c.String(http.StatusInternalServerError, "claims on a skipped request")
		}
		return c.String(http.StatusOK, "up")
	})
	e.GET("/orders", subject)
	url := serve(t, e)
	noToken := guardtest.Case{Name: "skipped"}
	if resp, body := noToken.Do(t, url+"/health"); resp.StatusCode != 200 || body != "up" {
		t.Errorf("GET /health without token = %d %q, want 200 %q", resp.StatusCode, body, "up")
	}
	if resp, _ := noToken.Do(t, url+"/orders"); resp.StatusCode != 401 {
		t.Errorf("GET /orders without token = %d, want 401", resp.StatusCode)
	}
	valid := guardtest.Case{Name: "valid", Authorization: []string{"Bearer " + f.Token()}}
	if resp, body := valid.Do(t, url+"/orders"); resp.StatusCode != 200 || body != guardtest.Subject {
		t.Errorf("GET /orders with a token = %d %q, want 200 %q", resp.StatusCode, body, guardtest.Subject)
	}
}

// TestGuardSettings checks that the guard's own settings shape Echo's
// answers: realm, ErrorHandler body (RFC 9457) and Retry-After, and that
// middleware.WriteError in an Echo handler answers with them.
func TestGuardSettings(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, &middleware.GuardConfig{Realm: "orders", ErrorHandler: middleware.ProblemDetails})
	e := newEcho(t)
	api := e.Group("", echov5guard.Middleware(g, nil))
	api.POST("/orders/:id/approve", func(c *echo.Context) error {
		if err := middleware.Authorize(c.Request().Context(), scopes.AllOf("orders:approve")); err != nil {
			middleware.WriteError(c.Response(), c.Request(), err)
			return nil
		}
		return c.NoContent(http.StatusNoContent)
	})
	url := serve(t, e)
	tests := []struct {
		name      string
		method    string
		token     string
		status    int
		challenge string
	}{
		{"missing_token", "POST", "", 401, `Bearer realm="orders"`},
		{"handler_authorize", "POST", f.Token(guardtest.Scope), 403,
			`Bearer realm="orders", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:approve"`},
		{"approved", "POST", f.Token("orders:approve"), 204, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, url+"/orders/7/approve", nil)
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

// TestRequireBehindMiddlewareValidatesOnce checks that a route requirement
// behind the group middleware uses the claims already verified.
func TestRequireBehindMiddlewareValidatesOnce(t *testing.T) {
	f := guardtest.New(t)
	var validations atomic.Int64
	keys, err := jwks.ParseStatic(f.Server.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{URL: f.Server.Issuer(), Audiences: []string{guardtest.Audience}, Keys: keys},
		&middleware.Config{Now: func() time.Time { return f.Now }, Hooks: &middleware.Hooks{
			Validated: func(context.Context, middleware.ValidationEvent) { validations.Add(1) },
		}})
	if err != nil {
		t.Fatal(err)
	}
	g := newGuard(t, v, nil)
	e := newEcho(t)
	api := e.Group("/api", echov5guard.Middleware(g, nil))
	api.GET("/orders", subject, echov5guard.Require(g, guardtest.Requirement), echov5guard.Require(g, scopes.AnyOf("profile", guardtest.Scope)))
	c := guardtest.Case{Name: "valid", Authorization: []string{"Bearer " + f.Token(guardtest.Scope)}}
	resp, body := c.Do(t, serve(t, e)+"/api/orders")
	if resp.StatusCode != 200 || body != guardtest.Subject {
		t.Fatalf("GET = %d %q, want 200 %q", resp.StatusCode, body, guardtest.Subject)
	}
	if n := validations.Load(); n != 1 {
		t.Errorf("Validate called %d times for one request through three guards, want 1", n)
	}
}

func TestPanics(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, nil)
	for name, fn := range map[string]func(){
		"Require(nil req)":     func() { echov5guard.Require(g, nil) },
		"Require(nil guard)":   func() { echov5guard.Require(nil, guardtest.Requirement) },
		"Middleware(nil, nil)": func() { echov5guard.Middleware(nil, nil) },
		"Middleware(zero)":     func() { echov5guard.Middleware(&middleware.Guard{}, nil) },
	} {
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, "echov5guard: ") {
					t.Errorf("%s: recovered %v, want an echov5guard panic", name, r)
				}
			}()
			fn()
		}()
	}
}

// TestAttacksEcho sends every token of the corpus's attack table to an Echo
// route that requires a valid token only.
func TestAttacksEcho(t *testing.T) {
	f := guardtest.New(t)
	e := newEcho(t)
	e.GET("/any", subject, echov5guard.Middleware(newGuard(t, f.Validator, nil), nil))
	url := serve(t, e) + "/any"
	for _, c := range f.Attacks(t) {
		t.Run(c.Name, func(t *testing.T) {
			resp, body := c.Do(t, url)
			c.CheckHTTP(t, resp, body)
		})
	}
}
