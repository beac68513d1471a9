package otelguard

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// Span names, one per operation.
const (
	SpanValidation    = "rsguard.validation"
	SpanJWKSFetch     = "rsguard.jwks.fetch"
	SpanDiscovery     = "rsguard.discovery"
	SpanIntrospection = "rsguard.introspection"
)

// spanName returns the name of op's span, "" for an unknown op.
func spanName(op middleware.Operation) string {
	switch op {
	case middleware.OpDecision:
		return SpanValidation
	case middleware.OpKeyFetch:
		return SpanJWKSFetch
	case middleware.OpDiscovery:
		return SpanDiscovery
	case middleware.OpIntrospection:
		return SpanIntrospection
	}
	return ""
}

// spanContext is the context an operation runs in when Start opened a span
// for it: the span's context, marked with the operation so that its end hook
// ends this span and never an enclosing one.
type spanContext struct {
	context.Context // holds span, for trace.SpanFromContext
	span            trace.Span
	op              middleware.Operation
}

type spanKey struct{}

func (c *spanContext) Value(key any) any {
	if _, ok := key.(spanKey); ok {
		return c
	}
	return c.Context.Value(key)
}

// start opens the span of op. Decisions and introspection requests are
// traced only inside a recording span, unless RootSpans; JWKS fetches and
// discovery, which run in the background, always.
func (t *telemetry) start(ctx context.Context, op middleware.Operation) context.Context {
	name := spanName(op)
	if name == "" {
		return ctx
	}
	if (op == middleware.OpDecision || op == middleware.OpIntrospection) && !t.rootSpans &&
		!trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindInternal))
	return &spanContext{Context: ctx, span: span, op: op}
}

// spanOf returns the span start opened for op in ctx, or nil.
func spanOf(ctx context.Context, op middleware.Operation) trace.Span {
	if c, ok := ctx.Value(spanKey{}).(*spanContext); ok && c.op == op {
		return c.span
	}
	return nil
}

func (t *telemetry) decided(ctx context.Context, ev middleware.DecisionEvent) {
	o := t.sets.decision(ev)
	o.count.Add(1)
	if !ev.CacheHit || t.cacheHitDurations {
		t.decisionDur.Record(ctx, ev.Duration.Seconds(), o.record...)
	}
	if ev.CacheLookup {
		t.lookup[0][b2i(ev.CacheHit)].Add(1)
	}
	if span := spanOf(ctx, middleware.OpDecision); span != nil {
		span.SetAttributes(o.attrs...)
		span.SetAttributes(attribute.Bool("rsguard.cache.hit", ev.CacheHit))
		if ev.Issuer != "" {
			span.SetAttributes(attribute.String("rsguard.issuer", ev.Issuer))
		}
		if o.outcome == outcomeUnavailable {
			span.SetStatus(codes.Error, middleware.SafeDescription(middleware.AsError(ev.Err)))
		}
		span.End()
	}
}

func (t *telemetry) introspected(ctx context.Context, ev middleware.IntrospectionEvent) {
	t.lookup[1][b2i(ev.CacheHit)].Add(1)
	if ev.CacheHit {
		return
	}
	attrs := []attribute.KeyValue{attribute.Bool("rsguard.token.active", ev.Active)}
	failed := ev.Err != nil && !errors.Is(ev.Err, middleware.ErrInactive)
	if failed {
		attrs = append(attrs, attribute.String("error.type", introspectionErrorType(ev.Err)))
	}
	t.introDur.Record(ctx, ev.Duration.Seconds(), metricAttrs(attrs))
	if span := spanOf(ctx, middleware.OpIntrospection); span != nil {
		span.SetAttributes(attrs...)
		span.SetAttributes(attribute.String("url.full", ev.Endpoint))
		if failed {
			span.SetStatus(codes.Error, "introspection failed")
		}
		span.End()
	}
}

func (t *telemetry) keysFetched(ctx context.Context, ev jwks.FetchEvent) {
	attrs := []attribute.KeyValue{attribute.String("rsguard.jwks.reason", ev.Reason)}
	if ev.URL != "" { // "" when discovery failed
		attrs = append(attrs, attribute.String("url.full", ev.URL))
	}
	if ev.Err != nil {
		attrs = append(attrs, attribute.String("error.type", fetchErrorType(ev.Err)))
	} else {
		t.mu.Lock()
		t.lastFetch[ev.URL] = t.now()
		t.mu.Unlock()
	}
	t.fetchDur.Record(ctx, ev.Duration.Seconds(), metricAttrs(attrs))
	if span := spanOf(ctx, middleware.OpKeyFetch); span != nil {
		span.SetAttributes(attrs...)
		span.SetAttributes(attribute.Int("rsguard.jwks.keys", ev.Keys), attribute.Int("rsguard.jwks.skipped", ev.Skipped))
		endWithError(span, ev.Err)
	}
}

func (t *telemetry) discovered(ctx context.Context, ev jwks.DiscoveryEvent) {
	span := spanOf(ctx, middleware.OpDiscovery)
	if span == nil {
		return
	}
	span.SetAttributes(attribute.String("rsguard.issuer", ev.Issuer))
	if ev.JWKSURI != "" {
		span.SetAttributes(attribute.String("rsguard.jwks_uri", ev.JWKSURI))
	}
	if ev.Err != nil {
		span.SetAttributes(attribute.String("error.type", "discovery"))
	}
	endWithError(span, ev.Err)
}

// endWithError ends a fetch's span, recording its error: the errors of key
// sources name URLs and statuses, never a token or a key.
func endWithError(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// fetchErrorType classifies a JWKS fetch failure by the key source's
// sentinels.
func fetchErrorType(err error) string {
	switch {
	case errors.Is(err, jwks.ErrDiscovery):
		return "discovery"
	case errors.Is(err, jwks.ErrTooLarge):
		return "jwks_too_large"
	case errors.Is(err, jwks.ErrInvalid):
		return "jwks_invalid"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, jwks.ErrFetch):
		return "fetch"
	}
	return "_OTHER"
}

// introspectionErrorType classifies a failed introspection request.
func introspectionErrorType(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, middleware.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, middleware.ErrInvalidToken):
		return "invalid_token"
	}
	return "_OTHER"
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
