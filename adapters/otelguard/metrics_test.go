package otelguard_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/rsguard/rsguard/adapters/otelguard"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// downKeys is a key source whose authorization server cannot be reached.
type downKeys struct{}

func (downKeys) LookupKey(context.Context, string) (*jwks.Key, error) {
	return nil, middleware.Unavailable(middleware.ErrKeysUnavailable, errors.New("connection refused"))
}

// newJWTValidator returns a validator for as's JWTs (a new server when as is
// nil) reporting to tel.
func newJWTValidator(t testing.TB, tel *telemetry, as *oauthtest.Server) *middleware.Validator {
	t.Helper()
	if as == nil {
		as = oauthtest.NewServer(nil)
		t.Cleanup(as.Close)
	}
	keys, err := jwks.ParseStatic(as.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}, Keys: keys},
		&middleware.Config{Hooks: tel.hooks})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func gaugeValues(t *testing.T, m metricdata.Metrics) map[string]float64 {
	t.Helper()
	g, ok := m.Data.(metricdata.Gauge[float64])
	if !ok {
		t.Fatalf("%s is %T, want a float64 gauge", m.Name, m.Data)
	}
	out := make(map[string]float64)
	for _, dp := range g.DataPoints {
		out[attrs(dp.Attributes.ToSlice())["url.full"]] = dp.Value
	}
	return out
}

func sumValues(t *testing.T, m metricdata.Metrics, key func(map[string]string) string) map[string]int64 {
	t.Helper()
	s, ok := m.Data.(metricdata.Sum[int64])
	if !ok || !s.IsMonotonic {
		t.Fatalf("%s is %T, want a monotonic int64 sum", m.Name, m.Data)
	}
	out := make(map[string]int64)
	for _, dp := range s.DataPoints {
		out[key(attrs(dp.Attributes.ToSlice()))] += dp.Value
	}
	return out
}

// TestDecisionMetrics sends requests of every outcome through a net/http
// guard and checks the count of each outcome, reason, error.type and route
// in rsguard.decisions and rsguard.validation.duration (which measures the
// cache hit only with CacheHitDurations), the cache lookups, and the status
// of the validation spans.
func TestDecisionMetrics(t *testing.T) {
	for _, hits := range []bool{false, true} {
		t.Run(fmt.Sprintf("CacheHitDurations=%v", hits), func(t *testing.T) { testDecisionMetrics(t, hits) })
	}
}

func testDecisionMetrics(t *testing.T, cacheHitDurations bool) {
	as := oauthtest.NewServer(nil)
	defer as.Close()
	tel := newTelemetry(t, otelguard.Config{CacheHitDurations: cacheHitDurations})
	guard := func(v *middleware.Validator) *middleware.Guard {
		g, err := middleware.NewGuard(v, nil)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g := guard(newJWTValidator(t, tel, as))
	down, err := middleware.NewValidator(middleware.Issuer{URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}, Keys: downKeys{}},
		&middleware.Config{Hooks: tel.hooks})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", g.Require(scopes.AllOf("orders:read"), ok))
	mux.Handle("GET /public", g.Optional(ok))
	mux.Handle("GET /down", guard(down).Protect(ok))

	good := as.Token(oauthtest.TokenOptions{Scopes: []string{"orders:read"}})
	expired := as.Token(oauthtest.TokenOptions{Scopes: []string{"orders:read"}, Lifetime: -time.Hour})
	noScope := as.Token(oauthtest.TokenOptions{})
	requests := []struct {
		path, auth string
		status     int
	}{
		{"/orders/1", "Bearer " + good, 200},
		{"/orders/2", "Bearer " + good, 200}, // cache hit
		{"/orders/3", "Bearer " + expired, 401},
		{"/orders/4", "Bearer " + noScope, 403},
		{"/orders/5", "", 401},
		{"/orders/6", "Bearer a b", 400},
		{"/public", "", 200},
		{"/down", "Bearer " + good, 503},
	}
	tracer := tel.tp.Tracer("test")
	for _, rq := range requests {
		r := httptest.NewRequest("GET", rq.path, nil)
		if rq.auth != "" {
			r.Header.Set("Authorization", rq.auth)
		}
		ctx, span := tracer.Start(r.Context(), "server", trace.WithSpanKind(trace.SpanKindServer))
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r.WithContext(ctx))
		span.End()
		if w.Code != rq.status {
			t.Fatalf("%s: status %d, want %d", rq.path, w.Code, rq.status)
		}
	}
	m := tel.metrics(t)
	key := func(a map[string]string) string {
		return fmt.Sprintf("%s|%s|%s|%s", a["rsguard.route"], a["rsguard.outcome"], a["rsguard.reason"], a["error.type"])
	}
	got := histCounts(t, m["rsguard.validation.duration"], key)
	want := map[string]uint64{
		"GET /orders/{id}|admitted||":                                                     2,
		"GET /orders/{id}|unauthenticated|token_expired|invalid_token":                    1,
		"GET /orders/{id}|forbidden|insufficient_scope|insufficient_scope":                1,
		"GET /orders/{id}|unauthenticated|no_access_token|missing_token":                  1,
		"GET /orders/{id}|invalid_request|malformed_authorization_header|invalid_request": 1,
		"GET /public|anonymous||":                                                         1,
		"GET /down|unavailable|signing_keys_unavailable|unavailable":                      1,
	}
	decisions := sumValues(t, m["rsguard.decisions"], key)
	if fmt.Sprint(decisions) != fmt.Sprint(want) {
		t.Errorf("rsguard.decisions\n got %v\nwant %v", decisions, want)
	}
	if !cacheHitDurations {
		want["GET /orders/{id}|admitted||"] = 1 // the cache hit is counted, not measured
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rsguard.validation.duration counts\n got %v\nwant %v", got, want)
	}
	h := m["rsguard.validation.duration"]
	if h.Unit != "s" {
		t.Errorf("unit %q, want s", h.Unit)
	}
	for _, dp := range h.Data.(metricdata.Histogram[float64]).DataPoints {
		if mn, _ := dp.Min.Value(); mn <= 0 || dp.Sum <= 0 {
			t.Errorf("data point %v: min %v sum %v, want positive durations", attrs(dp.Attributes.ToSlice()), mn, dp.Sum)
		}
		if mx, _ := dp.Max.Value(); mx > 5 {
			t.Errorf("data point max %v s: not seconds", mx)
		}
	}
	lookups := sumValues(t, m["rsguard.cache.lookups"], func(a map[string]string) string { return a["rsguard.cache.name"] + "/" + a["rsguard.cache.result"] })
	// good (miss, then hit), expired, noScope, and good on /down: five tokens
	// reached the verified-token cache.
	if len(lookups) != 2 || lookups["token/hit"] != 1 || lookups["token/miss"] != 4 {
		t.Errorf("cache lookups %v, want token/hit 1, token/miss 4", lookups)
	}
	var unavailable, errored int
	for _, s := range tel.ended()[otelguard.SpanValidation] {
		if s.Status.Code == codes.Error {
			errored++
			if attrs(s.Attributes)["rsguard.outcome"] == "unavailable" {
				unavailable++
			}
		}
	}
	if n := len(tel.ended()[otelguard.SpanValidation]); n != len(requests) || errored != 1 || unavailable != 1 {
		t.Errorf("%d validation spans, %d with status Error (%d unavailable); want %d, only the 503", n, errored, unavailable, len(requests))
	}
}

// TestMaxRoutes checks that routes beyond MaxRoutes are counted as _OTHER.
func TestMaxRoutes(t *testing.T) {
	tel := newTelemetry(t, otelguard.Config{MaxRoutes: 2})
	v := newJWTValidator(t, tel, nil)
	for _, route := range []string{"/a", "/b", "/c", "/a", "/d"} {
		if _, err := v.Admit(context.Background(), &middleware.Credentials{Route: route}, nil); !errors.Is(err, middleware.ErrMissingToken) {
			t.Fatal(err)
		}
	}
	got := histCounts(t, tel.metrics(t)["rsguard.validation.duration"], func(a map[string]string) string { return a["rsguard.route"] })
	want := map[string]uint64{"/a": 2, "/b": 1, "_OTHER": 2}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("routes %v, want %v", got, want)
	}
}

func TestNegativeMaxRoutes(t *testing.T) {
	if _, err := otelguard.NewHooks(&otelguard.Config{MaxRoutes: -1}); err == nil {
		t.Error("NewHooks accepted MaxRoutes -1")
	}
}

// TestConcurrentDecisions checks the attribute-set cache and the counters
// under many goroutines: every decision counted once, routes capped.
func TestConcurrentDecisions(t *testing.T) {
	as := oauthtest.NewServer(nil)
	defer as.Close()
	tel := newTelemetry(t, otelguard.Config{MaxRoutes: 3})
	v := newJWTValidator(t, tel, as)
	good := "Bearer " + as.Token(oauthtest.TokenOptions{Scopes: []string{"a"}})
	const workers, each = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				cred := &middleware.Credentials{Route: fmt.Sprintf("/r%d", (w+i)%5)}
				if i%2 == 0 {
					cred.Authorization = []string{good}
				}
				_, err := v.Admit(context.Background(), cred, scopes.AllOf("a"))
				if (err == nil) != (i%2 == 0) {
					t.Errorf("decision %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	m := tel.metrics(t)
	byRoute := sumValues(t, m["rsguard.decisions"], func(a map[string]string) string { return a["rsguard.route"] })
	byOutcome := sumValues(t, m["rsguard.decisions"], func(a map[string]string) string { return a["rsguard.outcome"] })
	var total int64
	for _, n := range byRoute {
		total += n
	}
	if total != workers*each || len(byRoute) != 4 || byRoute["_OTHER"] == 0 {
		t.Errorf("routes %v (total %d), want %d decisions over 3 routes and _OTHER", byRoute, total, workers*each)
	}
	if byOutcome["admitted"] != workers*each/2 || byOutcome["unauthenticated"] != workers*each/2 {
		t.Errorf("outcomes %v", byOutcome)
	}
	lookups := sumValues(t, m["rsguard.cache.lookups"], func(a map[string]string) string { return a["rsguard.cache.result"] })
	if lookups["hit"]+lookups["miss"] != workers*each/2 || lookups["miss"] < 1 {
		t.Errorf("cache lookups %v, want %d in all", lookups, workers*each/2)
	}
}
