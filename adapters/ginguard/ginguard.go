// Package ginguard protects Gin routes with rsguard: OAuth 2.0 bearer tokens
// (RFC 6750) checked by a [middleware.Guard].
//
// It is glue only. Every decision — where the token is, whether it is valid,
// whether its scopes satisfy the route, and the answer to a refusal (status,
// WWW-Authenticate, Retry-After, optional body) — is the guard's
// ([middleware.Guard.Admit]), so a Gin route answers exactly like a net/http
// handler behind the same guard.
//
// The hooks (and otelguard's metrics) name a request by its route's pattern,
// c.FullPath(): when no http.ServeMux set the request's Pattern, the adapter sets it
// to that.
//
//	g, _ := middleware.NewGuard(validator, nil)
//	api := r.Group("/api", ginguard.Middleware(g, nil))
//	api.DELETE("/orders/:id", ginguard.Require(g, scopes.AllOf("orders:write")), cancelOrder)
package ginguard

import (
	"github.com/gin-gonic/gin"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// Config holds the optional settings of [Middleware], the same as echoguard's.
// The zero value (or a nil *Config) requires a valid access token on every
// request.
type Config struct {
	// Skipper, when set, is called first; a request for which it returns
	// true reaches the next handler without authentication and without
	// claims. Default: no request is skipped.
	Skipper func(c *gin.Context) bool
	// Requirement is the scope requirement of every request (see
	// [scopes.Requirement]). Default nil: a valid token, whatever its scopes.
	Requirement scopes.Requirement
}

// Middleware returns a gin.HandlerFunc for an engine (r.Use) or a group
// (r.Group(prefix, mw)) that lets through only requests with a valid access
// token satisfying cfg.Requirement. The handlers after it find the claims
// with [Claims] (or [middleware.FromContext] on c.Request.Context()). A
// refused request is answered by the guard (RFC 6750 §3: 401, 400, 403 or
// 503), its status written at once, and the chain aborted. cfg may be nil.
// Middleware panics if g is nil or not made by [middleware.NewGuard].
func Middleware(g *middleware.Guard, cfg *Config) gin.HandlerFunc {
	if cfg == nil {
		cfg = &Config{}
	}
	return admit(g, cfg.Requirement, cfg.Skipper)
}

// Require returns a gin.HandlerFunc that lets through only requests whose
// token satisfies req, for a route or a group, for example
//
//	r.POST("/orders", ginguard.Require(g, scopes.AllOf("orders:write")), createOrder)
//
// Behind [Middleware] with the same guard (or one with the same validator)
// it checks the claims already verified, without validating the token again;
// on its own it also authenticates the request. A token without the scopes
// is answered 403 insufficient_scope, naming in "scope" what would satisfy
// req. Require panics if req is nil, or g nil or not made by
// [middleware.NewGuard].
func Require(g *middleware.Guard, req scopes.Requirement) gin.HandlerFunc {
	if req == nil {
		panic("ginguard: Require with a nil requirement")
	}
	return admit(g, req, nil)
}

// Claims returns the verified claims of the request that [Middleware] or
// [Require] let through, or false for a request that none of them checked.
// They travel in the request's context, where [middleware.FromContext] finds
// them too, rather than in the gin.Context's Keys, which would cost a map
// per request. The claims are shared: treat them as read-only.
func Claims(c *gin.Context) (*middleware.Claims, bool) {
	return middleware.FromContext(c.Request.Context())
}

func admit(g *middleware.Guard, req scopes.Requirement, skip func(*gin.Context) bool) gin.HandlerFunc {
	if g.Validator() == nil {
		panic("ginguard: a *middleware.Guard not made by middleware.NewGuard")
	}
	return func(c *gin.Context) {
		if skip != nil && skip(c) {
			return
		}
		if c.Request.Pattern == "" {
			// Gin matched the route: its pattern names the request for
			// the hooks and metrics, as an http.ServeMux pattern would.
			c.Request.Pattern = c.FullPath()
		}
		r := g.Admit(c.Writer, c.Request, req)
		if r == nil { // answered by the guard
			c.Writer.WriteHeaderNow()
			c.Abort()
			return
		}
		c.Request = r
	}
}
