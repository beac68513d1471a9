package middleware

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Hooks receive what the validator, its key sources and introspectors do, for
// logging and metrics. Every field is optional; a nil *Hooks or nil field costs
// one comparison. Hooks are called synchronously and concurrently: they must
// be fast and safe for concurrent use. No hook is ever given a token, a secret
// or key material.
type Hooks struct {
	// Validated is called once per Validate call with its outcome.
	Validated func(ctx context.Context, ev ValidationEvent)
	// KeysFetched is called after every JWKS fetch attempt.
	KeysFetched func(ev KeyFetchEvent)
	// Introspected is called after every introspection request and cache
	// lookup.
	Introspected func(ev IntrospectionEvent)
	// Misconfigured is called the first time a refusal is caused by what
	// looks like a configuration error (see [Misconfiguration]): once per
	// distinct cause, for at most 64 causes in a validator's life.
	Misconfigured func(ctx context.Context, m Misconfiguration)
}

// ValidationEvent describes one validation.
type ValidationEvent struct {
	Issuer   string        // the issuer that validated it, if one was chosen
	CacheHit bool          // answered from the verified-token cache
	Err      error         // nil when accepted; an *Error otherwise
	Duration time.Duration // time spent in Validate
}

// KeyFetchEvent describes one JWKS fetch.
type KeyFetchEvent struct {
	URL      string
	Keys     int   // usable keys in the fetched set
	Skipped  int   // keys skipped as unusable
	Err      error // nil on success
	Duration time.Duration
	Reason   string // "initial", "scheduled", "unknown-kid", "retry", "manual"
}

// IntrospectionEvent describes one introspection lookup.
type IntrospectionEvent struct {
	Endpoint string
	CacheHit bool
	Active   bool
	Err      error
	Duration time.Duration
}

func (h *Hooks) validated(ctx context.Context, ev ValidationEvent) {
	if h != nil && h.Validated != nil {
		h.Validated(ctx, ev)
	}
}

// keysFetched calls h.KeysFetched if h and the hook are set.
func (h *Hooks) keysFetched(ev KeyFetchEvent) {
	if h != nil && h.KeysFetched != nil {
		h.KeysFetched(ev)
	}
}

// SlogHooks returns hooks that log to l: refusals and fetch failures at Warn,
// the rest at Debug. Reasons are logged; tokens and keys never are.
func SlogHooks(l *slog.Logger) *Hooks {
	return &Hooks{
		Validated: func(ctx context.Context, ev ValidationEvent) {
			if ev.Err == nil {
				l.DebugContext(ctx, "rsguard: token accepted", "issuer", ev.Issuer, "cache_hit", ev.CacheHit, "duration", ev.Duration)
				return
			}
			e := AsError(ev.Err)
			l.WarnContext(ctx, "rsguard: token refused", "issuer", ev.Issuer, "code", e.Code(), "reason", describe(e.Reason), "duration", ev.Duration)
		},
		KeysFetched: func(ev KeyFetchEvent) {
			if ev.Err != nil {
				l.Warn("rsguard: JWKS fetch failed", "url", ev.URL, "reason", ev.Reason, "error", ev.Err, "duration", ev.Duration)
				return
			}
			l.Debug("rsguard: JWKS fetched", "url", ev.URL, "keys", ev.Keys, "skipped", ev.Skipped, "reason", ev.Reason, "duration", ev.Duration)
		},
		Misconfigured: func(ctx context.Context, m Misconfiguration) {
			l.ErrorContext(ctx, "rsguard: the configuration refuses tokens", "check", string(m.Rule), "issuer", m.Issuer,
				"expected", m.Expected, "received", m.Received, "hint", m.Hint)
		},
		Introspected: func(ev IntrospectionEvent) {
			if ev.Err != nil && !errors.Is(ev.Err, ErrInvalidToken) {
				l.Warn("rsguard: introspection failed", "endpoint", ev.Endpoint, "error", ev.Err, "duration", ev.Duration)
				return
			}
			l.Debug("rsguard: introspected", "endpoint", ev.Endpoint, "cache_hit", ev.CacheHit, "active", ev.Active, "duration", ev.Duration)
		},
	}
}
