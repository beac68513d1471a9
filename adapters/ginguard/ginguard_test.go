package ginguard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/rsguard/rsguard/adapters/ginguard"
	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/scopes"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// subject is the protected handler: it answers the subject of the claims it
// finds, after checking that the typed accessor and the request context
// agree.
func subject(c *gin.Context) {
	claims, ok := ginguard.Claims(c)
	fromCtx, ok2 := middleware.FromContext(c.Request.Context())
	if !ok || !ok2 || claims != fromCtx {
		c.String(http.StatusInternalServerError, "claims differ or missing")
		return
	}
	c.String(http.StatusOK, claims.Subject)
}

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
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

// TestFrontDoorGin runs the front-door table shared with net/http, Echo and
// gRPC (internal/guardtest) against a Gin engine behind a real server,
// with the guard mounted three ways: on the engine with the requirement, on
// a group with the requirement on the route, and on the route alone.
func TestFrontDoorGin(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, nil)

	engine := gin.New()
	engine.Use(ginguard.Require(g, guardtest.Requirement))
	engine.GET("/orders", subject)

	group := gin.New()
	api := group.Group("/api", ginguard.Middleware(g, nil))
	api.GET("/orders", ginguard.Require(g, guardtest.Requirement), subject)

	route := gin.New()
	route.GET("/orders", ginguard.Require(g, guardtest.Requirement), subject)

	for _, mount := range []struct{ name, url string }{
		{"engine", serve(t, engine) + "/orders"},
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

// TestFrontDoorGinMetadata runs the metadata variant of the shared table:
// a guard publishing protected resource metadata adds resource_metadata to
// its 401 and 403 challenges (RFC 9728 §5.1), through Gin exactly as through
// net/http.
func TestFrontDoorGinMetadata(t *testing.T) {
	f := guardtest.New(t)
	r := gin.New()
	r.GET("/orders", ginguard.Require(newGuard(t, f.Validator, guardtest.MetadataConfig()), guardtest.Requirement), subject)
	url := serve(t, r) + "/orders"
	for _, c := range f.MetadataCases() {
		t.Run(c.Name, func(t *testing.T) {
			resp, body := c.Do(t, url)
			c.CheckHTTP(t, resp, body)
		})
	}
}

// TestStatusIsFinal checks that the guard's answer is written when the
// chain aborts: a middleware around it that sets another status after
// c.Next cannot change it.
func TestStatusIsFinal(t *testing.T) {
	f := guardtest.New(t)
	r := gin.New()
	r.Use(func(c *gin.Context) {
		c.Next()
		c.Status(http.StatusTeapot)
	})
	r.GET("/orders", ginguard.Middleware(newGuard(t, f.Validator, nil), nil), subject)
	var c guardtest.Case
	for _, tc := range f.Cases() {
		if tc.Name == "no_token" {
			c = tc
		}
	}
	if c.Kind != middleware.ErrMissingToken || c.Status != 401 {
		t.Fatalf("the table's no_token case is %+v", c)
	}
	resp, body := c.Do(t, serve(t, r)+"/orders")
	c.CheckHTTP(t, resp, body)
}

// TestGuardSettings checks that the guard's own settings shape Gin's
// answers (realm, RFC 9457 body), and that middleware.WriteError in a Gin
// handler answers with them.
func TestGuardSettings(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, &middleware.GuardConfig{Realm: "orders", ErrorHandler: middleware.ProblemDetails})
	r := gin.New()
	r.POST("/orders/:id/approve", ginguard.Middleware(g, nil), func(c *gin.Context) {
		if err := middleware.Authorize(c.Request.Context(), scopes.AllOf("orders:approve")); err != nil {
			middleware.WriteError(c.Writer, c.Request, err)
			return
		}
		c.Status(http.StatusNoContent)
	})
	url := serve(t, r)
	tests := []struct {
		name      string
		token     string
		status    int
		challenge string
	}{
		{"missing_token", "", 401, `Bearer realm="orders"`},
		{"handler_authorize", f.Token(guardtest.Scope), 403,
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

// TestRequireBehindMiddlewareValidatesOnce checks that route requirements
// behind the group middleware use the claims already verified.
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
	r := gin.New()
	api := r.Group("/api", ginguard.Middleware(g, nil))
	api.GET("/orders", ginguard.Require(g, guardtest.Requirement), ginguard.Require(g, scopes.AnyOf("profile", guardtest.Scope)), subject)
	c := guardtest.Case{Name: "valid", Authorization: []string{"Bearer " + f.Token(guardtest.Scope)}}
	resp, body := c.Do(t, serve(t, r)+"/api/orders")
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
		"Require(nil req)":   func() { ginguard.Require(g, nil) },
		"Require(nil guard)": func() { ginguard.Require(nil, guardtest.Requirement) },
		"Middleware(nil)":    func() { ginguard.Middleware(nil, nil) },
		"Middleware(zero)":   func() { ginguard.Middleware(&middleware.Guard{}, nil) },
		"Require(zero)":      func() { ginguard.Require(&middleware.Guard{}, guardtest.Requirement) },
	} {
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, "ginguard: ") {
					t.Errorf("%s: recovered %v, want a ginguard panic", name, r)
				}
			}()
			fn()
		}()
	}
}

// TestConfig checks the Config that ginguard shares with echoguard: a
// skipped request reaches the handler without a token and without claims,
// and the Requirement applies to the others.
func TestConfig(t *testing.T) {
	f := guardtest.New(t)
	r := gin.New()
	r.Use(ginguard.Middleware(newGuard(t, f.Validator, nil), &ginguard.Config{
		Skipper:     func(c *gin.Context) bool { return c.FullPath() == "/health" },
		Requirement: guardtest.Requirement,
	}))
	r.GET("/health", func(c *gin.Context) {
		if _, ok := ginguard.Claims(c); ok {
			c.String(http.StatusInternalServerError, "claims on a skipped request")
			return
		}
		c.String(http.StatusOK, "up")
	})
	r.GET("/orders", subject)
	url := serve(t, r)
	for _, tc := range []struct {
		path   string
		auth   []string
		status int
		body   string
	}{
		{"/health", nil, 200, "up"},
		{"/orders", nil, 401, ""},
		{"/orders", []string{"Bearer " + f.Token("profile")}, 403, ""},
		{"/orders", []string{"Bearer " + f.Token(guardtest.Scope)}, 200, guardtest.Subject},
	} {
		c := guardtest.Case{Name: tc.path, Authorization: tc.auth}
		if resp, body := c.Do(t, url+tc.path); resp.StatusCode != tc.status || body != tc.body {
			t.Errorf("GET %s (auth %d values) = %d %q, want %d %q", tc.path, len(tc.auth), resp.StatusCode, body, tc.status, tc.body)
		}
	}
}

// TestAttacksGin sends every token of the corpus's attack table to a Gin
// route that requires a valid token only.
func TestAttacksGin(t *testing.T) {
	f := guardtest.New(t)
	r := gin.New()
	r.GET("/any", ginguard.Middleware(newGuard(t, f.Validator, nil), nil), subject)
	url := serve(t, r) + "/any"
	for _, c := range f.Attacks(t) {
		t.Run(c.Name, func(t *testing.T) {
			resp, body := c.Do(t, url)
			c.CheckHTTP(t, resp, body)
		})
	}
}
