package middleware

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/rsguard/rsguard/scopes"
)

// Defaults for [GuardConfig] fields left zero.
const (
	// DefaultRealm is the realm of the guard's challenges (RFC 6750 §3).
	DefaultRealm = "api"
	// DefaultRetryAfter is the Retry-After of a 503 answer (RFC 9110 §10.2.3):
	// long enough that clients do not hammer an authorization server that is
	// down, short enough to recover quickly once it is back.
	DefaultRetryAfter = 10 * time.Second
	// DefaultMaxFormSize bounds a form body read for an access_token
	// parameter, in bytes.
	DefaultMaxFormSize = 64 << 10
)

// GuardConfig holds the optional settings of a [Guard]. The zero value is the
// safe default: tokens only in the Authorization header, realm "api".
type GuardConfig struct {
	// Realm is the realm attribute of every challenge (RFC 6750 §3). Default
	// [DefaultRealm] ("api"). It must be printable ASCII.
	Realm string
	// AllowQueryToken accepts a token in the "access_token" URI query
	// parameter (RFC 6750 §2.3). Default false: such a parameter is ignored.
	// Query strings end up in logs and browser history (RFC 6750 §5.3); when
	// a request is authenticated this way the guard sets
	// "Cache-Control: private" before calling the handler, as §2.3 asks.
	AllowQueryToken bool
	// AllowFormToken accepts a token in the "access_token" parameter of an
	// application/x-www-form-urlencoded POST, PUT or PATCH body (RFC 6750
	// §2.2). Default false: the body is never read. When set, such bodies
	// (and only those) are read up to MaxFormSize and put back for the
	// handler; a larger body is answered 400 invalid_request.
	AllowFormToken bool
	// MaxFormSize bounds the form body read when AllowFormToken is set, in
	// bytes. Default [DefaultMaxFormSize] (64 KiB).
	MaxFormSize int64
	// RetryAfter is sent in the Retry-After header of 503 answers, rounded up
	// to whole seconds. Default [DefaultRetryAfter] (10s).
	RetryAfter time.Duration
	// ErrorHandler, when set, writes the body of every error answer, for
	// example [ProblemDetails] (RFC 9457). It is called after the guard has
	// set WWW-Authenticate, Cache-Control: no-store and, for 503, Retry-After;
	// it may add headers such as Content-Type, and write a body. The status is
	// the guard's: WriteHeader writes status whatever its argument, and the
	// standard headers are set again just before it, so the hook cannot lose
	// them. Default: no body.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, status int, err *Error)
}

// Guard protects net/http handlers with a [Validator]: it takes the access
// token from the request (RFC 6750 §2), validates it, checks scope
// requirements, puts the claims in the request context ([FromContext]), and
// answers refusals as RFC 6750 §3 prescribes. A Guard is safe for concurrent
// use. Framework adapters build on its exported methods.
type Guard struct {
	v          *Validator
	prefix     string // `Bearer realm="…"`
	retryAfter string // seconds
	allowQuery bool
	allowForm  bool
	maxForm    int64
	onError    func(http.ResponseWriter, *http.Request, int, *Error)
}

// NewGuard returns a guard that validates tokens with v. cfg may be nil.
func NewGuard(v *Validator, cfg *GuardConfig) (*Guard, error) {
	if v == nil {
		return nil, errors.New("middleware: NewGuard needs a validator")
	}
	g, err := newGuard(cfg)
	if err != nil {
		return nil, err
	}
	g.v = v
	return g, nil
}

func newGuard(cfg *GuardConfig) (*Guard, error) {
	if cfg == nil {
		cfg = &GuardConfig{}
	}
	realm := cfg.Realm
	if realm == "" {
		realm = DefaultRealm
	}
	for i := 0; i < len(realm); i++ {
		if realm[i] < 0x20 || realm[i] > 0x7e {
			return nil, errors.New("middleware: realm must be printable ASCII")
		}
	}
	if cfg.MaxFormSize < 0 || cfg.RetryAfter < 0 {
		return nil, errors.New("middleware: negative MaxFormSize or RetryAfter")
	}
	retry := cfg.RetryAfter
	if retry == 0 {
		retry = DefaultRetryAfter
	}
	g := &Guard{
		prefix:     realmPrefix(realm),
		retryAfter: strconv.FormatInt(int64((retry+time.Second-1)/time.Second), 10),
		allowQuery: cfg.AllowQueryToken,
		allowForm:  cfg.AllowFormToken,
		maxForm:    cfg.MaxFormSize,
		onError:    cfg.ErrorHandler,
	}
	if g.maxForm == 0 {
		g.maxForm = DefaultMaxFormSize
	}
	return g, nil
}

// Protect returns a handler that lets through only requests with a valid
// access token, and calls next with the claims in the request context. It
// protects a single handler or a whole [http.ServeMux] (path patterns and
// [http.Request.PathValue] work as usual), and g.Protect is itself a
// func(http.Handler) http.Handler for routers such as chi: r.Use(g.Protect).
func (g *Guard) Protect(next http.Handler) http.Handler {
	return &guarded{g: g, next: next}
}

// Require returns a handler that lets through only requests whose token
// satisfies req, for example
//
//	mux.Handle("DELETE /orders/{id}", g.Require(scopes.AllOf("orders:write"), h))
//
// Inside a handler tree protected by this guard (or another guard with the
// same validator), it uses the claims already in the context and does not
// validate again; on its own, it authenticates the request like [Guard.Protect].
// A token without the scopes is answered 403 insufficient_scope, naming in
// "scope" what would satisfy req (see [scopes.Requirement]). Require panics if
// req is nil.
func (g *Guard) Require(req scopes.Requirement, next http.Handler) http.Handler {
	if req == nil {
		panic("middleware: Guard.Require with a nil requirement")
	}
	return &guarded{g: g, next: next, req: req}
}

// Middleware returns Require as a func(http.Handler) http.Handler, for routers
// that take middleware (chi: r.With(g.Middleware(req)).Get(...)). A nil req
// requires a valid token only, like [Guard.Protect].
func (g *Guard) Middleware(req scopes.Requirement) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return &guarded{g: g, next: next, req: req}
	}
}

// Optional returns a handler for routes open to anonymous clients: a request
// without a bearer token reaches next without claims ([FromContext] reports
// false), but a request with a token is served only if the token is valid. An
// invalid token is still answered 401, a malformed request 400, and a token
// that cannot be checked because the authorization server is unavailable 503
// — never downgraded to anonymous access.
func (g *Guard) Optional(next http.Handler) http.Handler {
	return &guarded{g: g, next: next, optional: true}
}

// Authenticate takes the access token from r (the Authorization header, and
// the query or form parameter when [GuardConfig] allows them) and validates
// it. It returns the claims, or an [*Error]: ErrMissingToken without a token,
// ErrInvalidRequest for a malformed request, otherwise what
// [Validator.Validate] returns. When r's context already holds claims that
// this guard's validator verified, it returns them without validating again.
// With AllowFormToken, it may read r.Body and replace it with an identical
// body.
func (g *Guard) Authenticate(r *http.Request) (*Claims, error) {
	if c := g.verified(r.Context()); c != nil {
		return c, nil
	}
	c, _, err := g.decide(r, nil, false)
	return c, err
}

// decide extracts r's credentials and hands them, with req, to the core's
// decision point ([Validator.Admit]); a malformed request found while
// extracting is reported there too. With optional, a request without a token
// gets neither claims nor an error.
func (g *Guard) decide(r *http.Request, req scopes.Requirement, optional bool) (*Claims, tokenSource, error) {
	cred := Credentials{Authorization: r.Header["Authorization"], Method: r.Method}
	src, err := g.extract(r, &cred)
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		cred.PeerCertificate = r.TLS.PeerCertificates[0]
	}
	if g.v.hooks != nil {
		cred.Route = routeOf(r)
	}
	c, err := g.v.decide(r.Context(), &cred, req, err, optional)
	return c, src, err
}

// Check returns nil if claims satisfy req (nil req: any claims), else an
// [*Error] matching ErrInsufficientScope that names the scopes that would
// satisfy req, or ErrMissingToken when claims is nil. The context is not used
// yet; it is there so that adapters pass the request's.
func (g *Guard) Check(_ context.Context, claims *Claims, req scopes.Requirement) error {
	return check(claims, req)
}

// guarded is the handler returned by Protect, Require, Middleware, Optional.
type guarded struct {
	g        *Guard
	next     http.Handler
	req      scopes.Requirement // nil: authentication only
	optional bool
}

func (h *guarded) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r = h.g.admit(w, r, h.req, h.optional); r != nil {
		h.next.ServeHTTP(w, r)
	}
}

// authContext is the request context of a request a guard let through: one
// allocation carries both the claims (under the key [FromContext] reads) and
// the guard, so that nested guards with the same validator do not validate
// again and handlers' errors are written with the guard's settings.
type authContext struct {
	context.Context
	claims *Claims // nil for an anonymous request (Optional)
	guard  *Guard
}

type guardKey struct{}

func (c *authContext) Value(key any) any {
	switch key.(type) {
	case guardKey:
		return c
	case claimsKey:
		if c.claims != nil {
			return c.claims
		}
	}
	return c.Context.Value(key)
}

// verified returns the claims in ctx if a guard with g's validator put them
// there, else nil.
func (g *Guard) verified(ctx context.Context) *Claims {
	a, ok := ctx.Value(guardKey{}).(*authContext)
	if !ok || a.claims == nil || a.guard.v != g.v {
		return nil
	}
	return a.claims
}
