package jwks

import (
	"context"
	"time"

	"github.com/rsguard/rsguard/internal/discovery"
)

// Hooks observe what a [Remote] does, for logging, metrics and tracing.
// Every field is optional; a nil *Hooks observes nothing. Hooks are called
// synchronously, from the goroutine doing the work (fetches run in
// background goroutines whose contexts descend from [context.Background],
// except the initial fetch of [NewRemote], which runs in its caller's
// context): they must be fast and safe for concurrent use. No hook is ever
// given key material.
//
// StartFetch and StartDiscovery, when set, are called as a fetch or a
// metadata lookup (RFC 8414 §3) begins and return the context it runs in
// (its HTTP requests carry it, so a tracer can make them children of a
// span); each is called only when its end hook (Fetched, Discovered) is
// set, which then receives that context exactly once. A nil context
// returned means ctx. middleware.Hooks.JWKS builds these from a validator's
// hooks.
type Hooks struct {
	// StartFetch is called as a JWKS fetch begins.
	StartFetch func(ctx context.Context) context.Context
	// Fetched is called after every JWKS fetch attempt.
	Fetched func(ctx context.Context, ev FetchEvent)
	// StartDiscovery is called as a metadata lookup for the JWKS URL begins.
	StartDiscovery func(ctx context.Context) context.Context
	// Discovered is called after every metadata lookup.
	Discovered func(ctx context.Context, ev DiscoveryEvent)
}

// FetchEvent describes one JWKS fetch (see [Hooks]).
type FetchEvent struct {
	URL      string // the JWKS URL; "" when discovery failed
	Keys     int    // usable keys in the fetched set
	Skipped  int    // keys skipped as unusable
	Err      error  // nil on success
	Duration time.Duration
	Reason   string // "initial", "scheduled", "unknown-kid", "retry", "manual"
}

// DiscoveryEvent describes one authorization server metadata lookup of a
// key source (RFC 8414 §3, OpenID Connect Discovery 1.0 §4).
type DiscoveryEvent struct {
	Issuer   string // the issuer whose metadata was looked up
	JWKSURI  string // the jwks_uri found; "" on failure
	Err      error  // nil on success
	Duration time.Duration
}

// begin calls start, when it and end are set, and returns the context the
// operation runs in.
func begin(ctx context.Context, start func(context.Context) context.Context, ended bool) context.Context {
	if start == nil || !ended {
		return ctx
	}
	if c := start(ctx); c != nil {
		return c
	}
	return ctx
}

// startFetch returns the context of a fetch.
func (h *Hooks) startFetch(ctx context.Context) context.Context {
	if h == nil {
		return ctx
	}
	return begin(ctx, h.StartFetch, h.Fetched != nil)
}

// fetched reports a fetch to h.Fetched, if set.
func (h *Hooks) fetched(ctx context.Context, ev FetchEvent) {
	if h != nil && h.Fetched != nil {
		h.Fetched(ctx, ev)
	}
}

// discover runs d, the metadata lookup of a key source, reporting it to
// h.Discovered when set.
func (h *Hooks) discover(ctx context.Context, d func(context.Context) (*discovery.Metadata, error), issuer string) (*discovery.Metadata, error) {
	if h == nil || h.Discovered == nil {
		return d(ctx)
	}
	start := time.Now()
	ctx = begin(ctx, h.StartDiscovery, true)
	md, err := d(ctx)
	ev := DiscoveryEvent{Issuer: issuer, Err: err, Duration: time.Since(start)}
	if md != nil {
		ev.JWKSURI = md.JWKSURI
	}
	h.Discovered(ctx, ev)
	return md, err
}
