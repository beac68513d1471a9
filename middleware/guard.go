package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
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
	// TokenSources are further places where a token may be presented, such as
	// a cookie ([CookieToken]) or another header ([HeaderToken]). A request
	// still presents one token at most (RFC 6750 §2). Default: none.
	TokenSources []TokenSource
	// PublicPaths are [http.ServeMux] patterns ("GET /healthz", "/docs/")
	// that [Guard.Protect] lets through without looking at any token: a
	// request matching one reaches the handler without claims. Handlers
	// wrapped in [Guard.Require] stay protected inside a public path. An
	// invalid or duplicate pattern makes [NewGuard] fail. Default: none.
	PublicPaths []string
	// DPoPMode, when not [DPoPInherit], overrides the issuers' [Issuer.DPoP]
	// for the routes of this guard (make one guard per mode; they may share
	// the validator). Default: the issuers' modes.
	DPoPMode DPoPMode
	// ExternalURL is the absolute URL under which clients reach this server
	// ("https://api.example.com", or with a path prefix the proxy strips),
	// for the "htu" of DPoP proofs (RFC 9449 §4.3): the request URI is
	// ExternalURL followed by the request path. Default: the request's own
	// scheme and Host, or what a trusted proxy forwarded.
	ExternalURL string
	// TrustedProxies lists the peers (by address prefix) whose forwarding
	// headers are believed: Forwarded (RFC 7239) or X-Forwarded-Proto and
	// X-Forwarded-Host for the request URI when ExternalURL is empty, and
	// the RFC 9440 Client-Cert header for certificate-bound tokens (RFC 8705
	// §3), in place of the peer's own TLS certificate. Default none: those
	// headers are ignored, whoever sends them.
	TrustedProxies []netip.Prefix
	// Metadata, when set, describes this protected resource (RFC 9728 §2):
	// [Guard.MetadataHandler] serves the document at [Guard.MetadataPath],
	// and every 401 and 403 challenge carries its URL in a resource_metadata
	// attribute (§5.1), so that clients find the authorization server.
	// Default nil: no document, no attribute.
	Metadata *ResourceMetadata
	// ChallengeScope, when set, is the scope attribute (RFC 6750 §3) of every
	// 401 challenge for a missing or invalid token: the space-delimited
	// scopes a client should ask the authorization server for, so that its
	// first token is enough. The MCP authorization specification asks MCP
	// servers for it (mcpguard sets it from its requirement); a 403
	// insufficient_scope names the scopes its route needs whether or not it
	// is set. It must be valid scope tokens ([scopes.Parse]). Default "": no
	// such attribute.
	ChallengeScope string
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
	sources    []TokenSource
	public     *http.ServeMux // matches PublicPaths; nil when none
	mode       DPoPMode
	dpopPrefix string // `DPoP realm="…"`
	proxy      proxyConfig
	md         *metadata // nil without GuardConfig.Metadata
	scope401   string    // GuardConfig.ChallengeScope, canonical
}

// NewGuard returns a guard that validates tokens with v. cfg may be nil.
// It fails for a nil validator or one not made by [NewValidator] (a zero
// Validator), and for an invalid cfg.
func NewGuard(v *Validator, cfg *GuardConfig) (*Guard, error) {
	if v == nil || !v.built() {
		return nil, errors.New("middleware: NewGuard needs a validator from NewValidator")
	}
	g, err := newGuard(cfg)
	if err != nil {
		return nil, err
	}
	g.v = v
	if cfg != nil && cfg.Metadata != nil {
		if g.md, err = g.newMetadata(cfg.Metadata); err != nil {
			return nil, err
		}
	}
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
	if cfg.DPoPMode > DPoPRequired {
		return nil, errors.New("middleware: unknown DPoPMode")
	}
	proxy, err := newProxyConfig(cfg)
	if err != nil {
		return nil, err
	}
	g := &Guard{
		mode:       cfg.DPoPMode,
		proxy:      proxy,
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
	for _, src := range cfg.TokenSources {
		if src == nil {
			return nil, errNilSource
		}
	}
	g.sources = slices.Clone(cfg.TokenSources)
	if cfg.ChallengeScope != "" {
		set, err := scopes.Parse(cfg.ChallengeScope)
		if err != nil {
			return nil, fmt.Errorf("middleware: ChallengeScope: %w", err)
		}
		g.scope401 = set.String()
	}
	g.dpopPrefix = "DPoP" + g.prefix[len("Bearer"):]

	g.public, err = publicMux(cfg.PublicPaths)
	return g, err
}

// publicMux returns a mux that matches the public patterns, nil for none.
func publicMux(patterns []string) (mux *http.ServeMux, err error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	defer func() {
		if p := recover(); p != nil { // ServeMux panics on a bad or duplicate pattern
			mux, err = nil, fmt.Errorf("middleware: PublicPaths: %v", p)
		}
	}()
	mux = http.NewServeMux()
	for _, p := range patterns {
		mux.Handle(p, http.NotFoundHandler())
	}
	return mux, nil
}

// isPublic reports whether r matches one of the guard's PublicPaths.
func (g *Guard) isPublic(r *http.Request) bool {
	if g.public == nil {
		return false
	}
	_, pattern := g.public.Handler(r)
	return pattern != ""
}

// Validator returns the validator the guard checks tokens with; nil for a
// zero Guard, which no method but this accepts.
func (g *Guard) Validator() *Validator {
	if g == nil {
		return nil
	}
	return g.v
}

// wire panics, when a handler is mounted, if the guard or next cannot work:
// a nil or zero Guard (not made by [NewGuard]) or a nil handler would
// otherwise fail on every request.
func (g *Guard) wire(next http.Handler, method string) {
	switch {
	case g == nil || g.v == nil:
		panic("middleware: Guard." + method + " on a Guard not made by NewGuard")
	case next == nil:
		panic("middleware: Guard." + method + " with a nil handler")
	}
}

// Protect returns a handler that lets through only requests with a valid
// access token, and calls next with the claims in the request context. It
// protects a single handler or a whole [http.ServeMux] (path patterns and
// [http.Request.PathValue] work as usual), and g.Protect is itself a
// func(http.Handler) http.Handler for routers such as chi: r.Use(g.Protect).
//
// Requests matching [GuardConfig.PublicPaths] are let through without a
// token. Protect panics on a zero Guard or a nil next.
func (g *Guard) Protect(next http.Handler) http.Handler {
	g.wire(next, "Protect")
	return &guarded{g: g, next: next, public: g.public != nil}
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
// req or next is nil, or on a zero Guard.
func (g *Guard) Require(req scopes.Requirement, next http.Handler) http.Handler {
	if req == nil {
		panic("middleware: Guard.Require with a nil requirement")
	}
	g.wire(next, "Require")
	return &guarded{g: g, next: next, req: req}
}

// RequireFunc is [Guard.Require] for a handler function, so that plain
// functions mount without a conversion:
//
//	mux.Handle("POST /orders", g.RequireFunc(scopes.AllOf("orders:write"), createOrder))
func (g *Guard) RequireFunc(req scopes.Requirement, next func(http.ResponseWriter, *http.Request)) http.Handler {
	if next == nil {
		g.wire(nil, "RequireFunc")
	}
	return g.Require(req, http.HandlerFunc(next))
}

// Middleware returns Require as a func(http.Handler) http.Handler, for routers
// that take middleware (chi: r.With(g.Middleware(req)).Get(...)). A nil req
// requires a valid token only, like [Guard.Protect].
// Middleware panics on a zero Guard, and its result on a nil handler.
func (g *Guard) Middleware(req scopes.Requirement) func(http.Handler) http.Handler {
	g.wire(http.NotFoundHandler(), "Middleware")
	return func(next http.Handler) http.Handler {
		g.wire(next, "Middleware")
		return &guarded{g: g, next: next, req: req}
	}
}

// Optional returns a handler for routes open to anonymous clients: a request
// without a bearer token reaches next without claims ([FromContext] reports
// false), but a request with a token is served only if the token is valid. An
// invalid token is still answered 401, a malformed request 400, and a token
// that cannot be checked because the authorization server is unavailable 503
// — never downgraded to anonymous access. Optional panics on a zero Guard or
// a nil next.
func (g *Guard) Optional(next http.Handler) http.Handler {
	g.wire(next, "Optional")
	return &guarded{g: g, next: next, optional: true}
}

// Authenticate takes the access token from r (the Authorization header with
// the Bearer or DPoP scheme, and the query or form parameter when
// [GuardConfig] allows them), with the DPoP proof, the request URI and the
// client certificate (see [GuardConfig.ExternalURL] and
// [GuardConfig.TrustedProxies]), and validates it. It returns the claims, or an [*Error]: ErrMissingToken without a token,
// ErrInvalidRequest for a malformed request, otherwise what
// [Validator.Validate] returns. When r's context already holds claims that
// this guard's validator verified, it returns them without validating again.
// With AllowFormToken, it may read r.Body and replace it with an identical
// body.
func (g *Guard) Authenticate(r *http.Request) (*Claims, error) {
	if c, err := g.verified(r.Context()); c != nil || err != nil {
		if err != nil { // a refusal of this guard's own: a decision
			return nil, g.v.recheck(r.Context(), routeOf(r), nil, err, nil)
		}
		return c, nil
	}
	c, _, err := g.decide(r, nil, false)
	return c, err
}

// decide extracts r's credentials — the token, the DPoP proof with the
// method and URI it must match, the client certificate — and hands them,
// with req, to the core's decision point ([Validator.Admit]); a malformed
// request found while extracting is reported there too. With optional, a
// request without a token gets neither claims nor an error.
func (g *Guard) decide(r *http.Request, req scopes.Requirement, optional bool) (*Claims, tokenSource, error) {
	cred := Credentials{Authorization: r.Header["Authorization"]}
	src, err := g.extract(r, &cred)
	if err == nil {
		err = g.RequestCredentials(r, &cred)
	}
	if g.v.hooks != nil {
		cred.Route = routeOf(r)
	}
	c, err := g.v.decide(r.Context(), &cred, req, err, optional)
	return c, src, err
}

// guarded is the handler returned by Protect, Require, Middleware, Optional.
type guarded struct {
	g        *Guard
	next     http.Handler
	req      scopes.Requirement // nil: authentication only
	optional bool
	public   bool // Protect with PublicPaths
}

func (h *guarded) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.public && h.g.isPublic(r) {
		h.next.ServeHTTP(w, r)
		return
	}
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
	dpop   bool // the token was presented with the DPoP scheme and a proof
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
// there, else nil. A proof cannot be verified twice (its "jti" is used up),
// so when g's DPoP mode differs from that guard's, g checks the presentation
// that guard saw against its own mode instead: a bearer presentation where g
// requires DPoP, or a DPoP one where g accepts Bearer only, is refused.
func (g *Guard) verified(ctx context.Context) (*Claims, error) {
	a, ok := ctx.Value(guardKey{}).(*authContext)
	if !ok || a.claims == nil || a.guard.v != g.v {
		return nil, nil
	}
	switch {
	case g.mode == a.guard.mode || g.mode == DPoPInherit:
	case g.mode == DPoPRequired && !a.dpop:
		return nil, errDPoPRequired
	case g.mode == DPoPOff && a.dpop:
		return nil, errDPoPOff
	}
	return a.claims, nil
}
