// Package otelguard turns the hooks of rsguard ([middleware.Hooks]) into
// OpenTelemetry spans and metrics. It depends on the OpenTelemetry API only:
// the application installs the SDK (or any other implementation) and passes
// its providers, or leaves the global ones.
//
//	hooks, err := otelguard.NewHooks(nil) // the global TracerProvider and MeterProvider
//	v, err := middleware.NewValidator(iss, &middleware.Config{Hooks: hooks})
//	keys, err := jwks.NewRemote(ctx, issuer, &jwks.Config{Hooks: hooks.JWKS()})
//
// # Spans
//
// A decision ([middleware.Validator.Admit], a guard's handler, an
// interceptor) is the span "rsguard.validation", a child of the span in the
// request's context. Inside it, an introspection request (RFC 7662 §2) is the
// span "rsguard.introspection". JWKS fetches run in background goroutines of
// [jwks.Remote], never in a request's context, so each is a root
// span "rsguard.jwks.fetch" (except the initial fetch of
// [jwks.NewRemote], a child of the span in its caller's context),
// with the metadata lookup that finds the JWKS URL (RFC 8414 §3) as its child
// "rsguard.discovery". The HTTP requests of
// introspection, discovery and JWKS fetches are made with the context of
// their span: give the key source and introspector an *http.Client whose
// Transport is instrumented (otelhttp.NewTransport) and those requests become
// the spans' children.
//
// By default a decision, and an introspection request in it, is traced only
// when the request's context holds a recording span (a server span of
// otelhttp or otelgrpc that was sampled): an untraced request costs no
// tracing. [Config.RootSpans] traces every decision.
//
// A refusal sets the span's attributes rsguard.outcome, rsguard.reason and
// error.type and leaves its status unset, as a 4xx answer does for an HTTP
// server span; an undecided request (503, the authorization server
// unavailable) and a failed fetch set the status to Error.
//
// # Metrics
//
//	rsguard.decisions                counter        rsguard.outcome, rsguard.reason, error.type, rsguard.route
//	rsguard.validation.duration      histogram, s   the same
//	rsguard.cache.lookups            counter        rsguard.cache.name (token, introspection), rsguard.cache.result (hit, miss)
//	rsguard.jwks.fetch.duration      histogram, s   rsguard.jwks.reason, error.type, url.full
//	rsguard.jwks.age                 gauge, s       url.full: time since the last successful fetch
//	rsguard.introspection.duration   histogram, s   rsguard.token.active, error.type
//
// rsguard.decisions counts every decision. rsguard.validation.duration
// measures those that did work — a validation, an introspection, a
// refusal — and not, unless [Config.CacheHitDurations], those answered from
// the verified-token cache, whose measurement would cost more than the
// decision. An introspection request counts as a miss of the introspection
// cache. Outcomes are "admitted", "anonymous" (a request without
// a token on an optional route), "unauthenticated" (401), "invalid_request"
// (400), "forbidden" (403) and "unavailable" (503); error.type is the RFC
// 6750 §3.1 error code ("invalid_token", "invalid_request",
// "insufficient_scope"), or "missing_token" or "unavailable" for the answers
// that have none. Nothing the hooks receive, and so nothing here, holds a
// token or a secret.
package otelguard

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/rsguard/rsguard/middleware"
)

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/rsguard/rsguard/adapters/otelguard"

// DefaultMaxRoutes is the number of distinct routes kept apart in metrics
// when [Config.MaxRoutes] is zero.
const DefaultMaxRoutes = 200

// Config holds the optional settings of [NewHooks]. The zero value uses the
// global providers and traces decisions only inside traced requests.
type Config struct {
	// TracerProvider makes the spans. Default: otel.GetTracerProvider().
	TracerProvider trace.TracerProvider
	// MeterProvider makes the instruments. Default: otel.GetMeterProvider().
	MeterProvider metric.MeterProvider
	// RootSpans traces every decision, also when the request's context holds
	// no recording span (the decision span is then a root span). Default
	// false: decisions are traced only within a recording span.
	RootSpans bool
	// CacheHitDurations also measures, in rsguard.validation.duration, the
	// decisions answered from the verified-token cache (or from claims an
	// outer guard verified). Default false: they are counted in
	// rsguard.decisions, and the histogram measures the decisions that did
	// work — validations, introspection, refusals — since the synchronous
	// measurement would cost more than such a decision itself (see
	// BENCHMARKS.md).
	CacheHitDurations bool
	// MaxRoutes bounds the distinct rsguard.route values (and, with them,
	// the attribute sets) of the metrics; decisions on further routes are
	// counted under the route "_OTHER". A net/http guard protecting a whole
	// mux reports paths, not patterns: this keeps their number bounded.
	// Default [DefaultMaxRoutes] (200).
	MaxRoutes int
	// Now returns the current time, for rsguard.jwks.age. Default time.Now.
	Now func() time.Time
}

// NewHooks returns hooks that report to OpenTelemetry, for
// [middleware.Config], [jwks.Config] and the introspection
// package's Config. cfg may be nil. The hooks are safe for concurrent use.
func NewHooks(cfg *Config) (*middleware.Hooks, error) {
	t, err := newTelemetry(cfg)
	if err != nil {
		return nil, err
	}
	return &middleware.Hooks{
		Start:        t.start,
		Decided:      t.decided,
		KeysFetched:  t.keysFetched,
		Discovered:   t.discovered,
		Introspected: t.introspected,
	}, nil
}

// telemetry holds the tracer, the instruments and the state the metrics
// need.
type telemetry struct {
	tracer            trace.Tracer
	rootSpans         bool
	cacheHitDurations bool
	now               func() time.Time

	decisionDur metric.Float64Histogram
	fetchDur    metric.Float64Histogram
	introDur    metric.Float64Histogram

	sets   attrCache
	lookup cacheCounts

	mu        sync.Mutex
	lastFetch map[string]time.Time // JWKS URL → last successful fetch
}

func newTelemetry(cfg *Config) (*telemetry, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	tp, mp := cfg.TracerProvider, cfg.MeterProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if cfg.MaxRoutes < 0 {
		return nil, errors.New("otelguard: negative MaxRoutes")
	}
	t := &telemetry{
		tracer:            tp.Tracer(ScopeName),
		rootSpans:         cfg.RootSpans,
		cacheHitDurations: cfg.CacheHitDurations,
		now:               cfg.Now,
		lastFetch:         make(map[string]time.Time),
	}
	t.sets.maxRoutes = cfg.MaxRoutes
	if t.sets.maxRoutes == 0 {
		t.sets.maxRoutes = DefaultMaxRoutes
	}
	if t.now == nil {
		t.now = time.Now
	}
	if err := t.instruments(mp.Meter(ScopeName)); err != nil {
		return nil, err
	}
	return t, nil
}

// Bucket boundaries, in seconds: decisions take from well under a
// microsecond (a cached token) to the time of an introspection request; the
// HTTP calls of fetches and introspection from a millisecond to seconds.
var (
	decisionBuckets = []float64{1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5}
	httpBuckets     = []float64{1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
)

func (t *telemetry) instruments(m metric.Meter) error {
	var errs [7]error
	t.decisionDur, errs[0] = m.Float64Histogram("rsguard.validation.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of access-token decisions, by outcome and reason."),
		metric.WithExplicitBucketBoundaries(decisionBuckets...))
	t.fetchDur, errs[1] = m.Float64Histogram("rsguard.jwks.fetch.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of JWKS fetches, by reason and error."),
		metric.WithExplicitBucketBoundaries(httpBuckets...))
	t.introDur, errs[2] = m.Float64Histogram("rsguard.introspection.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of token introspection requests (RFC 7662), by result."),
		metric.WithExplicitBucketBoundaries(httpBuckets...))
	lookups, err := m.Int64ObservableCounter("rsguard.cache.lookups", metric.WithUnit("{lookup}"),
		metric.WithDescription("Lookups in the verified-token and introspection caches, by result."))
	errs[3] = err
	age, err := m.Float64ObservableGauge("rsguard.jwks.age", metric.WithUnit("s"),
		metric.WithDescription("Time since the last successful fetch of each JWKS."))
	errs[4] = err
	decisions, err := m.Int64ObservableCounter("rsguard.decisions", metric.WithUnit("{decision}"),
		metric.WithDescription("Access-token decisions, by outcome, reason and route."))
	errs[5] = err
	if errors.Join(errs[3:6]...) == nil {
		_, errs[6] = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
			t.sets.observe(o, decisions)
			t.lookup.observe(o, lookups)
			t.observeAge(o, age)
			return nil
		}, lookups, age, decisions)
	}
	return errors.Join(errs[:]...)
}
