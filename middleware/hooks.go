package middleware

import (
	"context"

	"github.com/rsguard/rsguard/middleware/jwks"
)

// Hooks receive what the validator, its key sources and introspectors do, for
// logging, metrics and tracing. Every field is optional; a nil *Hooks costs
// one comparison on the request's path. Hooks are called synchronously and
// concurrently: they must be fast and safe for concurrent use. No hook is
// ever given a token, a secret or key material.
//
// Every decision a front door asks of the core ([Validator.Admit],
// [Validator.Authenticate], a [Guard]'s handlers and [Guard.Admit]) reaches
// Decided exactly once: admitted, refused (401, 400, 403) or undecided (503).
// The other hooks report the work done on the way.
//
// # Spans
//
// Start, when set, is called as an operation that may do I/O begins: a
// decision, a JWKS fetch, an authorization server metadata lookup (RFC 8414
// §3) or an introspection request (RFC 7662 §2). The context it returns is
// the one the operation runs in — its outgoing HTTP requests carry it, so an
// [http.Client] whose Transport is instrumented makes them its children —
// and the one its end hook (Decided, KeysFetched, Discovered, Introspected)
// receives; Start is called only when that end hook is set, and the end hook
// is then called exactly once. Decisions and introspection requests run in
// the request's context (an introspection request shared by concurrent
// callers in the first caller's). JWKS fetches, and the metadata lookups they
// start, run in background goroutines of a [jwks.Remote] whose contexts
// descend from [context.Background], never from a request's: a tracer makes
// them root spans; only the initial fetch of [jwks.NewRemote] runs in its
// caller's context. A Remote reports to these hooks through [Hooks.JWKS]. Introspection cache hits and the key lookups of Validate are not
// operations: they reach their hooks without Start.
type Hooks struct {
	// Start is called as an operation begins and returns the context it runs
	// in: ctx itself, or a context derived from it.
	Start func(ctx context.Context, op Operation) context.Context
	// Decided is called once per front-door decision with its outcome.
	Decided func(ctx context.Context, ev DecisionEvent)
	// Validated is called once per token validation (also by
	// [Validator.Validate] called directly) with its outcome.
	Validated func(ctx context.Context, ev ValidationEvent)
	// KeysFetched is called after every JWKS fetch attempt.
	KeysFetched func(ctx context.Context, ev jwks.FetchEvent)
	// Discovered is called after every authorization server metadata lookup
	// a key source makes to find its JWKS URL.
	Discovered func(ctx context.Context, ev jwks.DiscoveryEvent)
	// Introspected is called after every introspection request and cache
	// hit.
	Introspected func(ctx context.Context, ev IntrospectionEvent)
	// Misconfigured is called the first time a refusal is caused by what
	// looks like a configuration error (see [Misconfiguration]): once per
	// distinct cause, for at most 64 causes in a validator's life.
	Misconfigured func(ctx context.Context, m Misconfiguration)
}

// Operation names an operation that [Hooks.Start] opens.
type Operation uint8

// Operations, each ended by one hook.
const (
	OpDecision      Operation = iota + 1 // ended by Decided
	OpKeyFetch                           // ended by KeysFetched
	OpDiscovery                          // ended by Discovered
	OpIntrospection                      // ended by Introspected
)

var opNames = [...]string{"", "decision", "jwks_fetch", "discovery", "introspection"}

// String returns the operation's name: "decision", "jwks_fetch",
// "discovery" or "introspection".
func (op Operation) String() string {
	if int(op) < len(opNames) {
		return opNames[op]
	}
	return "unknown"
}

// ended reports whether the hook that ends op is set.
func (h *Hooks) ended(op Operation) bool {
	switch op {
	case OpDecision:
		return h.Decided != nil
	case OpKeyFetch:
		return h.KeysFetched != nil
	case OpDiscovery:
		return h.Discovered != nil
	case OpIntrospection:
		return h.Introspected != nil
	}
	return false
}

// start calls h.Start for op if h, Start and the hook that ends op are set,
// and returns the context op runs in.
func (h *Hooks) start(ctx context.Context, op Operation) context.Context {
	if h == nil || h.Start == nil || !h.ended(op) {
		return ctx
	}
	if c := h.Start(ctx, op); c != nil {
		return c
	}
	return ctx
}

func (h *Hooks) validated(ctx context.Context, ev ValidationEvent) {
	if h != nil && h.Validated != nil {
		h.Validated(ctx, ev)
	}
}

// JWKS returns the observer of a [jwks.Remote] that reports its fetches to
// h.KeysFetched and its metadata lookups to h.Discovered, opening each with
// h.Start ([OpKeyFetch], [OpDiscovery]), or nil when h is nil or sets
// neither hook. A validator sets it on the key sources it builds itself
// ([NewIssuerValidator], [Issuer.Tenants]); for one built by hand:
//
//	rk, err := jwks.NewRemote(ctx, issuer, &jwks.Config{Hooks: hooks.JWKS()})
func (h *Hooks) JWKS() *jwks.Hooks {
	if h == nil || (h.KeysFetched == nil && h.Discovered == nil) {
		return nil
	}
	return &jwks.Hooks{
		StartFetch:     func(ctx context.Context) context.Context { return h.start(ctx, OpKeyFetch) },
		Fetched:        h.KeysFetched,
		StartDiscovery: func(ctx context.Context) context.Context { return h.start(ctx, OpDiscovery) },
		Discovered:     h.Discovered,
	}
}

// remoteConfig returns cfg (which may be nil) for a key source a validator
// builds, with h as its hooks unless it names its own.
func (h *Hooks) remoteConfig(cfg *jwks.Config) jwks.Config {
	var c jwks.Config
	if cfg != nil {
		c = *cfg
	}
	if c.Hooks == nil {
		c.Hooks = h.JWKS()
	}
	return c
}
