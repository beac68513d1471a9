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

// maxRefusalsPerRoute bounds the refusal attribute sets kept per route.
// Reasons are the core's sentinels, a few dozen.
const maxRefusalsPerRoute = 64

// decisionAttrs is the precomputed description of one kind of decision: its
// attributes for spans, and the same as one measurement option, so that the
// request's path builds neither.
type decisionAttrs struct {
	outcome string
	attrs   []attribute.KeyValue
	record  []metric.RecordOption  // one option; a slice so that passing it allocates nothing
	observe []metric.ObserveOption // the same, for rsguard.decisions
	count   paddedCount            // decisions of this kind, for rsguard.decisions
}

// routeAttrs holds the attribute sets of one route's decisions.
type routeAttrs struct {
	route     string
	admitted  *decisionAttrs
	anonymous *decisionAttrs
	refusals  sync.Map // refusalKey → *decisionAttrs
	n         atomic.Int64
}

type refusalKey struct {
	kind   error // a category sentinel
	reason string
}

// attrCache maps decisions to their precomputed attributes. Its size is
// bounded: at most maxRoutes routes (and otherRoute), maxRefusalsPerRoute
// refusal sets each.
type attrCache struct {
	maxRoutes int
	routes    sync.Map // route → *routeAttrs
	nRoutes   atomic.Int64
	other     *routeAttrs
	once      sync.Once
}

// decision returns the attributes of ev.
func (c *attrCache) decision(ev middleware.DecisionEvent) *decisionAttrs {
	ra := c.route(ev.Route)
	switch {
	case ev.Err != nil:
		return ra.refusal(ev)
	case ev.Anonymous:
		return ra.anonymous
	}
	return ra.admitted
}

// route returns the sets of route, or of otherRoute once MaxRoutes others
// are kept.
func (c *attrCache) route(route string) *routeAttrs {
	if v, ok := c.routes.Load(route); ok {
		return v.(*routeAttrs)
	}
	if c.nRoutes.Add(1) > int64(c.maxRoutes) {
		c.nRoutes.Add(-1)
		c.once.Do(func() { c.other = newRouteAttrs(otherRoute) })
		return c.other
	}
	v, loaded := c.routes.LoadOrStore(route, newRouteAttrs(route))
	if loaded {
		c.nRoutes.Add(-1)
	}
	return v.(*routeAttrs)
}

func newRouteAttrs(route string) *routeAttrs {
	return &routeAttrs{
		route:     route,
		admitted:  newDecisionAttrs(route, outcomeAdmitted, "", ""),
		anonymous: newDecisionAttrs(route, outcomeAnonymous, "", ""),
	}
}

// refusal returns the sets of a refused or undecided decision.
func (ra *routeAttrs) refusal(ev middleware.DecisionEvent) *decisionAttrs {
	e := middleware.AsError(ev.Err)
	k := refusalKey{kind: e.Kind, reason: otherReason}
	if e.Reason != nil {
		k.reason = e.Reason.Error()
	}
	if v, ok := ra.refusals.Load(k); ok {
		return v.(*decisionAttrs)
	}
	if ra.n.Add(1) > maxRefusalsPerRoute {
		ra.n.Add(-1)
		k.reason = otherReason
		if v, ok := ra.refusals.Load(k); ok {
			return v.(*decisionAttrs)
		}
	}
	outcome, errType := classify(e)
	reason := otherReason
	if k.reason != otherReason {
		reason = reasonName(e)
	}
	v, _ := ra.refusals.LoadOrStore(k, newDecisionAttrs(ra.route, outcome, reason, errType))
	return v.(*decisionAttrs)
}

func newDecisionAttrs(route, outcome, reason, errType string) *decisionAttrs {
	attrs := []attribute.KeyValue{
		attribute.String("rsguard.outcome", outcome),
		attribute.String("rsguard.route", route),
	}
	if reason != "" {
		attrs = append(attrs, attribute.String("rsguard.reason", reason))
	}
	if errType != "" {
		attrs = append(attrs, attribute.String("error.type", errType))
	}
	o := metricAttrs(attrs)
	return &decisionAttrs{outcome: outcome, attrs: attrs, record: []metric.RecordOption{o}, observe: []metric.ObserveOption{o}}
}

// classify returns the outcome of a refusal and its error.type.
func classify(e *middleware.Error) (outcome, errType string) {
	switch e.Kind {
	case middleware.ErrMissingToken:
		return outcomeUnauthenticated, "missing_token"
	case middleware.ErrInvalidToken:
		return outcomeUnauthenticated, e.Code()
	case middleware.ErrInvalidRequest:
		return outcomeInvalidRequest, e.Code()
	case middleware.ErrInsufficientScope:
		return outcomeForbidden, e.Code()
	}
	return outcomeUnavailable, "unavailable"
}

// observe reports the count of every kind of decision that has been made.
func (c *attrCache) observe(o metric.Observer, counter metric.Int64ObservableCounter) {
	report := func(d *decisionAttrs) {
		if n := d.count.Load(); n > 0 {
			o.ObserveInt64(counter, n, d.observe...)
		}
	}
	each := func(ra *routeAttrs) {
		report(ra.admitted)
		report(ra.anonymous)
		ra.refusals.Range(func(_, v any) bool {
			report(v.(*decisionAttrs))
			return true
		})
	}
	c.routes.Range(func(_, v any) bool {
		each(v.(*routeAttrs))
		return true
	})
	c.once.Do(func() { c.other = newRouteAttrs(otherRoute) })
	each(c.other)
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

// cacheCounts counts the lookups in the caches: [introspection][hit]. They
// are atomics read by the callback of rsguard.cache.lookups, so that a
// request pays an atomic add, not a synchronous measurement.
type cacheCounts [2][2]paddedCount

type paddedCount struct {
	atomic.Int64
	_ [56]byte // one cache line each: the counters are hot on every core
}

var cacheNames, cacheResults = [2]string{"token", "introspection"}, [2]string{"miss", "hit"}

// observe reports the counts that have started, as a synchronous counter
// would.
func (cc *cacheCounts) observe(o metric.Observer, c metric.Int64ObservableCounter) {
	for i := range cc {
		for j := range cc[i] {
			n := cc[i][j].Load()
			if n == 0 {
				continue
			}
			o.ObserveInt64(c, n, metric.WithAttributes(
				attribute.String("rsguard.cache.name", cacheNames[i]),
				attribute.String("rsguard.cache.result", cacheResults[j]),
			))
		}
	}
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
