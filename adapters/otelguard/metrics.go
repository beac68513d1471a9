package otelguard

import (
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/rsguard/rsguard/middleware"
)

// Outcomes, the values of rsguard.outcome.
const (
	outcomeAdmitted        = "admitted"
	outcomeAnonymous       = "anonymous"
	outcomeUnauthenticated = "unauthenticated"
	outcomeInvalidRequest  = "invalid_request"
	outcomeForbidden       = "forbidden"
	outcomeUnavailable     = "unavailable"
)

// otherRoute stands for the routes beyond MaxRoutes, and otherReason for a
// reason once the cache of attribute sets is full.
const (
	otherRoute  = "_OTHER"
	otherReason = "_OTHER"
)

// maxSets bounds the attribute sets kept for decisions (routes × outcomes
// and reasons). Reasons are the core's sentinels, a few dozen.
const maxSetsPerRoute = 64

// decisionAttrs is the precomputed description of one kind of decision: its
// attributes for spans, and the same as one measurement option, so that the
// request's path builds neither.
type decisionAttrs struct {
	outcome string
	attrs   []attribute.KeyValue
	record  metric.RecordOption
}

type decisionKey struct {
	route, outcome, reason string
}

// attrCache maps decisions to their precomputed attributes. Its size is
// bounded: at most maxRoutes routes, maxSetsPerRoute sets each.
type attrCache struct {
	maxRoutes int
	m         sync.Map // decisionKey → *decisionAttrs
	routes    sync.Map // route → struct{}
	nRoutes   atomic.Int64
	nSets     atomic.Int64
}

// decision returns the attributes of ev.
func (c *attrCache) decision(ev middleware.DecisionEvent) *decisionAttrs {
	outcome, reason, errType := classify(ev)
	k := decisionKey{route: ev.Route, outcome: outcome, reason: reason}
	if v, ok := c.m.Load(k); ok {
		return v.(*decisionAttrs)
	}
	k.route = c.admitRoute(k.route)
	if c.nSets.Load() >= int64(c.maxRoutes+1)*maxSetsPerRoute {
		k.reason = otherReason
	}
	if v, ok := c.m.Load(k); ok {
		return v.(*decisionAttrs)
	}
	d := newDecisionAttrs(k, errType)
	if v, loaded := c.m.LoadOrStore(k, d); loaded {
		return v.(*decisionAttrs)
	}
	c.nSets.Add(1)
	return d
}

// admitRoute returns route, or otherRoute once MaxRoutes others are kept.
func (c *attrCache) admitRoute(route string) string {
	if _, ok := c.routes.Load(route); ok {
		return route
	}
	if c.nRoutes.Add(1) > int64(c.maxRoutes) {
		c.nRoutes.Add(-1)
		return otherRoute
	}
	if _, loaded := c.routes.LoadOrStore(route, struct{}{}); loaded {
		c.nRoutes.Add(-1)
	}
	return route
}

func newDecisionAttrs(k decisionKey, errType string) *decisionAttrs {
	attrs := []attribute.KeyValue{
		attribute.String("rsguard.outcome", k.outcome),
		attribute.String("rsguard.route", k.route),
	}
	if k.reason != "" {
		attrs = append(attrs, attribute.String("rsguard.reason", k.reason))
	}
	if errType != "" {
		attrs = append(attrs, attribute.String("error.type", errType))
	}
	return &decisionAttrs{outcome: k.outcome, attrs: attrs, record: metricAttrs(attrs)}
}

// classify returns the outcome of a decision, its reason and its error.type.
func classify(ev middleware.DecisionEvent) (outcome, reason, errType string) {
	if ev.Err == nil {
		if ev.Anonymous {
			return outcomeAnonymous, "", ""
		}
		return outcomeAdmitted, "", ""
	}
	e := middleware.AsError(ev.Err)
	reason = reasonName(e)
	switch e.Kind {
	case middleware.ErrMissingToken:
		return outcomeUnauthenticated, reason, "missing_token"
	case middleware.ErrInvalidToken:
		return outcomeUnauthenticated, reason, e.Code()
	case middleware.ErrInvalidRequest:
		return outcomeInvalidRequest, reason, e.Code()
	case middleware.ErrInsufficientScope:
		return outcomeForbidden, reason, e.Code()
	}
	return outcomeUnavailable, reason, "unavailable"
}

// reasonName turns the reason sentinel's text into an attribute value:
// "token expired" becomes "token_expired". The sentinels' texts are the
// one list of reasons, so that new reasons (DPoP, binding) need nothing
// here.
func reasonName(e *middleware.Error) string {
	if e.Reason == nil {
		return otherReason
	}
	s := strings.TrimPrefix(e.Reason.Error(), "middleware: ")
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, s)
}

// metricAttrs returns attrs as a measurement option, for histograms and
// counters alike.
func metricAttrs(attrs []attribute.KeyValue) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(attrs...))
}

// cacheOptions returns the attributes of cache lookups:
// [introspection][hit].
func cacheOptions() [2][2]metric.AddOption {
	var o [2][2]metric.AddOption
	for i, name := range []string{"token", "introspection"} {
		for j, result := range []string{"miss", "hit"} {
			o[i][j] = metricAttrs([]attribute.KeyValue{
				attribute.String("rsguard.cache.name", name),
				attribute.String("rsguard.cache.result", result),
			})
		}
	}
	return o
}

// observeAge reports the time since each JWKS was last fetched.
func (t *telemetry) observeAge(o metric.Observer, age metric.Float64ObservableGauge) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for u, at := range t.lastFetch {
		o.ObserveFloat64(age, max(now.Sub(at), 0).Seconds(),
			metric.WithAttributes(attribute.String("url.full", u)))
	}
}
