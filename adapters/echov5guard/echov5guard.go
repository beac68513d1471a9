// Package echov5guard protects Echo v5 routes (github.com/labstack/echo/v5)
// with rsguard: OAuth 2.0 bearer tokens (RFC 6750) checked by a
// [middleware.Guard]. It has the Config, the functions and the behaviour of
// echoguard, the Echo v4 adapter, with Echo v5's *echo.Context.
//
// It is glue only. Every decision — where the token is, whether it is valid,
// whether its scopes satisfy the route, and the answer to a refusal (status,
// WWW-Authenticate, Retry-After, optional body) — is the guard's
// ([middleware.Guard.Admit]), so an Echo route answers exactly like a
// net/http handler behind the same guard.
//
// The hooks (and otelguard's metrics) name a request by its route's pattern,
// c.Path(): when no http.ServeMux set the request's Pattern, the adapter sets it
// to that.
//
//	g, _ := middleware.NewGuard(validator, nil)
//	api := e.Group("/api", echov5guard.Middleware(g, nil))
//	api.DELETE("/orders/:id", cancelOrder, echov5guard.Require(g, scopes.AllOf("orders:write")))
package echov5guard

import (
	"github.com/labstack/echo/v5"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// Config holds the optional settings of [Middleware], those of echoguard's
// Config. The zero value (or a nil *Config) requires a valid access token on
// every request.
type Config struct {
	// Skipper, when set, is called first: a request it returns true for
	// reaches the handler unauthenticated, without claims. Its type is that
	// of Echo v5's middleware.Skipper. Default: none is skipped.
	Skipper func(c *echo.Context) bool
	// Requirement is the scope requirement of every request. Default nil: a
	// valid token, whatever its scopes.
	Requirement scopes.Requirement
}

// Middleware returns Echo v5 middleware, for e.Use or e.Group, admitting
// only requests whose valid access token satisfies cfg.Requirement (cfg may
// be nil). The guard answers a refusal itself (RFC 6750 §3: 401, 400, 403
// or 503) and the chain stops with a nil error, so Echo's HTTPErrorHandler
// never rewrites it. Handlers find the claims with [Claims]. It panics if g
// is nil or not made by [middleware.NewGuard].
func Middleware(g *middleware.Guard, cfg *Config) echo.MiddlewareFunc {
	if cfg == nil {
		cfg = &Config{}
	}
	return admit(g, cfg.Requirement, cfg.Skipper)
}

// Require returns route middleware admitting only requests whose token
// satisfies req — 403 insufficient_scope otherwise, naming the scopes that
// would (RFC 6750 §3.1):
//
//	e.POST("/orders", createOrder, echov5guard.Require(g, scopes.AllOf("orders:write")))
//
// Behind [Middleware] with the same guard it reuses the verified claims;
// alone it authenticates too. It panics if req is nil, or g nil or not made
// by [middleware.NewGuard].
func Require(g *middleware.Guard, req scopes.Requirement) echo.MiddlewareFunc {
	if req == nil {
		panic("echov5guard: Require with a nil requirement")
	}
	return admit(g, req, nil)
}

// Claims returns the verified claims of the request that [Middleware] or
// [Require] let through, or false for a request that none of them checked
// (or that a Skipper skipped). They travel in the request's context, where
// [middleware.FromContext] finds them too, rather than in the *echo.Context
// store, which would cost a map per request. The claims are shared: treat
// them as read-only.
func Claims(c *echo.Context) (*middleware.Claims, bool) {
	return middleware.FromContext(c.Request().Context())
}

func admit(g *middleware.Guard, req scopes.Requirement, skip func(*echo.Context) bool) echo.MiddlewareFunc {
	if g.Validator() == nil {
		panic("echov5guard: a *middleware.Guard not made by middleware.NewGuard")
	}
	m := &guarded{g: g, req: req, skip: skip}
	return m.wrap
}

// guarded is one mounted middleware. Echo calls wrap on every request, so the
// closure it returns holds only m and next: one small allocation.
type guarded struct {
	g    *middleware.Guard
	req  scopes.Requirement
	skip func(*echo.Context) bool
}

func (m *guarded) wrap(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error { return m.serve(c, next) }
}

func (m *guarded) serve(c *echo.Context, next echo.HandlerFunc) error {
	if m.skip != nil && m.skip(c) {
		return next(c)
	}
	r := c.Request()
	if r.Pattern == "" {
		// Echo matched the route: its pattern names the request for the
		// hooks and metrics, as an http.ServeMux pattern would.
		r.Pattern = c.Path()
	}
	r = m.g.Admit(c.Response(), r, m.req)
	if r == nil {
		return nil // answered by the guard
	}
	c.SetRequest(r)
	return next(c)
}
