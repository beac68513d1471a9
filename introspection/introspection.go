// Package introspection resolves opaque access tokens through OAuth 2.0 Token
// Introspection (RFC 7662), for use as the [middleware.Issuer] Introspector of
// a [middleware.Validator].
//
// An [Introspector] authenticates to the endpoint (RFC 7662 §2.1) with a
// [ClientAuth], caches each introspection result — never an authorization
// decision: scopes and other route requirements are evaluated by the caller on
// every request — under a SHA-256 hash of the endpoint and the token, merges
// concurrent lookups of the same token into one request (and, with a
// [SharedCache], the lookups of every replica sharing it), and reports every
// failure of the authorization server as [middleware.ErrUnavailable], never as
// an invalid or a valid token.
//
// The happy path:
//
//	in, err := introspection.NewFromIssuer(ctx, "https://auth.example.com/",
//		introspection.ClientSecretBasic("api", os.Getenv("INTROSPECTION_SECRET")), nil)
//	if err != nil {
//		log.Fatal(err) // discovery failed, or no introspection_endpoint
//	}
//	v, err := middleware.NewValidator(middleware.Issuer{
//		URL: "https://auth.example.com/", Audiences: []string{"https://api.example.com"},
//		Introspector: in, // opaque tokens; JWTs too when Keys is nil
//	}, nil)
package introspection

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/rsguard/rsguard/internal/discovery"
	"github.com/rsguard/rsguard/internal/httpx"
	"github.com/rsguard/rsguard/middleware"
)

// Defaults for [Config] fields left zero.
const (
	DefaultMaxResponseSize  = 64 << 10 // bytes
	DefaultCacheSize        = 10_000   // entries in each of the active and inactive caches
	DefaultCacheTTL         = time.Minute
	DefaultNegativeCacheTTL = 10 * time.Second
)

// Config holds the optional settings of an [Introspector]. The zero value is
// the safe default.
type Config struct {
	// HTTPClient sends the introspection requests. Default
	// http.DefaultClient. Either way a timeout of 10s applies when the client
	// has none, and redirects to another host or from https to http are
	// refused. Use its Transport for mutual TLS (RFC 8705).
	HTTPClient *http.Client
	// AllowInsecureHTTP permits a plain http endpoint on a non-loopback host.
	// Default false: https is required except on loopback addresses. Tokens
	// and client credentials then cross the network in clear text.
	AllowInsecureHTTP bool
	// MaxResponseSize bounds the introspection response, in bytes. Default
	// [DefaultMaxResponseSize] (64 KiB).
	MaxResponseSize int64
	// MaxTokenSize is the largest token sent to the endpoint, in bytes; a
	// larger one is refused without a request. Default
	// [middleware.DefaultMaxTokenSize] (16 KiB).
	MaxTokenSize int
	// CacheSize bounds each of the two result caches (active and inactive
	// tokens), least recently used entries going first, so a flood of unknown
	// tokens cannot evict active ones. Memory is at most about 2 × CacheSize ×
	// MaxResponseSize. Default [DefaultCacheSize]; a negative value turns
	// caching off.
	CacheSize int
	// CacheTTL is the longest an active result is reused; it is also never
	// reused past the token's "exp". A revoked token stays usable for up to
	// CacheTTL. Default [DefaultCacheTTL] (1 minute); a negative value turns
	// the active cache off.
	CacheTTL time.Duration
	// NegativeCacheTTL is how long an inactive result is reused. Default
	// [DefaultNegativeCacheTTL] (10s); a negative value turns the negative
	// cache off.
	NegativeCacheTTL time.Duration
	// ScopeClaim names the response member that holds scopes, for an
	// Introspector used on its own. Default "scope" (RFC 7662 §2.2), else
	// "scp". Behind a [middleware.Validator] it need not be set:
	// [middleware.Issuer.ScopeClaim] says where the issuer's scopes live for
	// its JWTs and introspection answers alike, and wins over this.
	ScopeClaim string
	// JWTResponse, when set, asks for JWT introspection answers (RFC 9701)
	// and accepts only verified ones; see [JWTResponse]. Default nil: plain
	// JSON answers (RFC 7662 §2.2).
	JWTResponse *JWTResponse
	// Now returns the current time, for cache expiry and client assertions.
	// Default time.Now.
	Now func() time.Time
	// Hooks, when set, receives an event for every introspection request and
	// every cache hit. Coalesced callers share the event of their request.
	Hooks *middleware.Hooks
	// Shared, when set, adds a second-level cache shared by the replicas of
	// the resource server, consulted when the in-memory cache misses (see
	// [SharedConfig]). Default none.
	Shared *SharedConfig
	// MaxConcurrentRequests bounds the introspection requests in flight at
	// once (concurrent callers of one token share one request). A caller
	// whose token would need one more is answered at once with an error
	// matching [middleware.ErrUnavailable] (503 at the guard), never as an
	// invalid token, so that a flood of unknown opaque tokens cannot hold
	// unbounded connections and goroutines. Default
	// [DefaultMaxConcurrentRequests] (64).
	MaxConcurrentRequests int
}

// Introspector is an RFC 7662 client implementing [middleware.Introspector].
// It is safe for concurrent use and runs no background goroutine.
type Introspector struct {
	endpoint   string
	auth       ClientAuth
	client     *http.Client
	maxSize    int64
	maxToken   int
	scopeClaim string
	jwt        *JWTResponse // nil: JSON answers
	now        func() time.Time
	hooks      *middleware.Hooks
	cache      *resultCache // nil when caching is off
	shared     *shared      // nil without Config.Shared
	flights    *flights

	afterJoin func() // test hook: called once a caller waits on a request
}

// ErrNoEndpoint is returned by [NewFromIssuer] when the issuer's metadata
// names no introspection_endpoint (RFC 8414 §2).
var ErrNoEndpoint = errors.New("introspection: issuer metadata has no introspection_endpoint")

// New returns an introspector for the endpoint URL, authenticating with auth.
// Both are required: RFC 7662 §2.1 requires the endpoint to authorize its
// callers. New does no I/O. The endpoint must be https unless its host is a
// loopback address (see [Config.AllowInsecureHTTP]) and must not carry user
// information; credentials belong in auth.
func New(endpoint string, auth ClientAuth, cfg *Config) (*Introspector, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if u, err := url.Parse(endpoint); err == nil && u.User != nil {
		// Checked first, so that no later error quotes the password.
		return nil, errors.New("introspection: endpoint URL must not contain user information")
	}
	u, err := httpx.CheckURL(endpoint, cfg.AllowInsecureHTTP)
	if err != nil {
		return nil, fmt.Errorf("introspection: endpoint: %w", err)
	}
	if auth == nil {
		return nil, errors.New("introspection: no client authentication given")
	}
	var jwt *JWTResponse
	if cfg.JWTResponse != nil {
		if err := cfg.JWTResponse.check(); err != nil {
			return nil, err
		}
		cp := *cfg.JWTResponse
		cp.Algorithms = append([]string(nil), cp.Algorithms...)
		jwt = &cp
	}
	in := &Introspector{
		endpoint:   u.String(),
		auth:       auth,
		client:     httpx.Client(cfg.HTTPClient),
		maxSize:    positiveOr(cfg.MaxResponseSize, DefaultMaxResponseSize),
		maxToken:   positiveOr(cfg.MaxTokenSize, middleware.DefaultMaxTokenSize),
		scopeClaim: cfg.ScopeClaim,
		jwt:        jwt,
		now:        cfg.Now,
		hooks:      cfg.Hooks,
		flights:    newFlights(positiveOr(cfg.MaxConcurrentRequests, DefaultMaxConcurrentRequests)),
	}
	if in.now == nil {
		in.now = time.Now
	}
	if cfg.CacheSize >= 0 {
		in.cache = newResultCache(positiveOr(cfg.CacheSize, DefaultCacheSize),
			ttl(cfg.CacheTTL, DefaultCacheTTL), ttl(cfg.NegativeCacheTTL, DefaultNegativeCacheTTL))
	}
	if cfg.Shared != nil {
		if in.shared, err = newShared(cfg.Shared, ttl(cfg.CacheTTL, DefaultCacheTTL),
			ttl(cfg.NegativeCacheTTL, DefaultNegativeCacheTTL)); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// NewFromIssuer discovers the issuer's introspection_endpoint (OpenID
// Connect Discovery 1.0 §4, then RFC 8414 §3, the metadata's "issuer"
// equal to issuer) and returns an introspector for it, as [New] does. A
// failed discovery matches ErrDiscovery of package middleware/jwks.
func NewFromIssuer(ctx context.Context, issuer string, auth ClientAuth, cfg *Config) (*Introspector, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	md, err := discovery.Discover(ctx, cfg.HTTPClient, issuer, cfg.AllowInsecureHTTP)
	if err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	if md.IntrospectionEndpoint == "" {
		return nil, ErrNoEndpoint
	}
	return New(md.IntrospectionEndpoint, auth, cfg)
}

// Endpoint returns the introspection endpoint URL.
func (in *Introspector) Endpoint() string { return in.endpoint }

func positiveOr[T int | int64](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// ttl maps a Config TTL to the cache's: zero is the default, negative is off
// (returned as 0).
func ttl(v, def time.Duration) time.Duration {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// checkToken refuses, without a request, an empty or too large token.
func (in *Introspector) checkToken(token string) error {
	if len(token) > in.maxToken {
		return middleware.InvalidToken(middleware.ErrTokenTooLarge, nil)
	}
	if token == "" {
		return errEmptyToken
	}
	return nil
}

var errEmptyToken = middleware.InvalidToken(middleware.ErrMalformed, errors.New("introspection: empty token"))

// formValues returns the RFC 7662 §2.1 request parameters.
func formValues(token string) url.Values {
	return url.Values{"token": {token}, "token_type_hint": {"access_token"}}
}
