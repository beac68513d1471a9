package otelguard_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/rsguard/rsguard/adapters/otelguard"
	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
)

// telemetry is an SDK tracer provider recording every span in memory and a
// meter provider read by hand, with otelguard's hooks on them.
type telemetry struct {
	spans  *tracetest.InMemoryExporter
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	hooks  *middleware.Hooks
	clock  *guardtest.Clock
}

func newTelemetry(t testing.TB, cfg otelguard.Config) *telemetry {
	t.Helper()
	tel := &telemetry{
		spans:  tracetest.NewInMemoryExporter(),
		reader: sdkmetric.NewManualReader(),
		clock:  guardtest.ClockAt(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)),
	}
	tel.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(tel.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(tel.reader))
	t.Cleanup(func() {
		_ = tel.tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	cfg.TracerProvider, cfg.MeterProvider, cfg.Now = tel.tp, mp, tel.clock.Now
	hooks, err := otelguard.NewHooks(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	tel.hooks = hooks
	return tel
}

// ended returns the ended spans, by name (several of one name in order).
func (tel *telemetry) ended() map[string][]tracetest.SpanStub {
	m := make(map[string][]tracetest.SpanStub)
	for _, s := range tel.spans.GetSpans() {
		m[s.Name] = append(m[s.Name], s)
	}
	return m
}

// metrics collects the metrics, by instrument name.
func (tel *telemetry) metrics(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := tel.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	m := make(map[string]metricdata.Metrics)
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelguard.ScopeName {
			t.Errorf("scope %q", sm.Scope.Name)
		}
		for _, mt := range sm.Metrics {
			m[mt.Name] = mt
		}
	}
	return m
}

// attrs renders a span's or data point's attributes as a map.
func attrs(kvs []attribute.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.String()
	}
	return m
}

// histCounts returns the count of each data point of a histogram, keyed by
// its attributes rendered with key.
func histCounts(t *testing.T, m metricdata.Metrics, key func(map[string]string) string) map[string]uint64 {
	t.Helper()
	h, ok := m.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s is %T, want a float64 histogram", m.Name, m.Data)
	}
	out := make(map[string]uint64)
	for _, dp := range h.DataPoints {
		out[key(attrs(dp.Attributes.ToSlice()))] += dp.Count
	}
	return out
}

// tracingTransport makes a client span of every request, in the request's
// context, as an instrumented transport (otelhttp.NewTransport) does.
type tracingTransport struct {
	tracer trace.Tracer
	base   http.RoundTripper
}

func (tt *tracingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, span := tt.tracer.Start(r.Context(), "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("url.path", r.URL.Path)))
	defer span.End()
	return tt.base.RoundTrip(r.WithContext(ctx))
}

func (tel *telemetry) client(base *http.Client) *http.Client {
	return &http.Client{Transport: &tracingTransport{tracer: tel.tp.Tracer("test/http"), base: base.Transport}}
}
