package middleware

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/rsguard/rsguard/middleware/jwks"
)

// DecisionEvent describes one front-door decision (see [Hooks]).
type DecisionEvent struct {
	// Route is [Credentials.Route]: the route pattern or RPC method the
	// request was for, "" when the front door named none.
	Route string
	// Issuer is the issuer of the token, once one was chosen.
	Issuer string
	// CacheLookup reports that the token was looked up in the verified-token
	// cache, and CacheHit that it was found there. CacheHit without
	// CacheLookup: a guard reused the claims an outer guard with the same
	// validator had put in the request context.
	CacheLookup, CacheHit bool
	// Anonymous reports that a request without a token was let through
	// without claims ([Guard.Optional]); Err is then nil.
	Anonymous bool
	// Err is nil when the request was admitted, an [*Error] otherwise: its
	// Kind is the outcome (ErrMissingToken or ErrInvalidToken: 401;
	// ErrInvalidRequest: 400; ErrInsufficientScope: 403; ErrUnavailable:
	// 503), its Reason why, its Code the RFC 6750 §3.1 error code.
	Err error
	// Duration is the time the decision took.
	Duration time.Duration
}

// ValidationEvent describes one validation.
type ValidationEvent struct {
	Issuer   string        // the issuer that validated it, if one was chosen
	CacheHit bool          // answered from the verified-token cache
	Err      error         // nil when accepted; an *Error otherwise
	Duration time.Duration // time spent in Validate
}

// IntrospectionEvent describes one introspection lookup.
type IntrospectionEvent struct {
	Endpoint string
	CacheHit bool
	Active   bool
	Err      error
	Duration time.Duration
}

// SlogHooks returns hooks that log to l: refusals and fetch failures at Warn,
// the rest at Debug. Reasons are logged; tokens and keys never are.
func SlogHooks(l *slog.Logger) *Hooks {
	return &Hooks{
		Decided: func(ctx context.Context, ev DecisionEvent) {
			if ev.Err == nil {
				l.DebugContext(ctx, "rsguard: request admitted", "route", ev.Route, "issuer", ev.Issuer, "anonymous", ev.Anonymous, "cache_hit", ev.CacheHit, "duration", ev.Duration)
				return
			}
			e := AsError(ev.Err)
			l.WarnContext(ctx, "rsguard: request refused", "route", ev.Route, "issuer", ev.Issuer, "code", e.Code(), "reason", describe(e.Reason), "duration", ev.Duration)
		},
		KeysFetched: func(ctx context.Context, ev jwks.FetchEvent) {
			if ev.Err != nil {
				l.WarnContext(ctx, "rsguard: JWKS fetch failed", "url", ev.URL, "reason", ev.Reason, "error", ev.Err, "duration", ev.Duration)
				return
			}
			l.DebugContext(ctx, "rsguard: JWKS fetched", "url", ev.URL, "keys", ev.Keys, "skipped", ev.Skipped, "reason", ev.Reason, "duration", ev.Duration)
		},
		Discovered: func(ctx context.Context, ev jwks.DiscoveryEvent) {
			if ev.Err != nil {
				l.WarnContext(ctx, "rsguard: discovery failed", "issuer", ev.Issuer, "error", ev.Err, "duration", ev.Duration)
			}
		},
		Introspected: func(ctx context.Context, ev IntrospectionEvent) {
			if ev.Err != nil && !errors.Is(ev.Err, ErrInvalidToken) {
				l.WarnContext(ctx, "rsguard: introspection failed", "endpoint", ev.Endpoint, "error", ev.Err, "duration", ev.Duration)
				return
			}
			l.DebugContext(ctx, "rsguard: introspected", "endpoint", ev.Endpoint, "cache_hit", ev.CacheHit, "active", ev.Active, "duration", ev.Duration)
		},
		Misconfigured: func(ctx context.Context, m Misconfiguration) {
			l.ErrorContext(ctx, "rsguard: the configuration refuses tokens", "check", string(m.Rule), "issuer", m.Issuer,
				"expected", m.Expected, "received", m.Received, "hint", m.Hint)
		},
	}
}
