package otelguard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/rsguard/rsguard/adapters/otelguard"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// benchWriter is a ResponseWriter that allocates nothing.
type benchWriter struct {
	h    http.Header
	code int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }

var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if c, ok := middleware.FromContext(r.Context()); ok && c.Subject == "" {
		w.WriteHeader(http.StatusTeapot)
	}
})

// benchGuards returns, for one token, the bare handler and the handler behind
// a guard with hooks off and with otelguard's hooks on an SDK meter provider
// and an SDK tracer provider (sampling every trace, spans batched to an
// exporter that drops them), with the request.
func benchGuards(b testing.TB, mopts ...sdkmetric.Option) (bare, off, otel http.Handler, r *http.Request, tp *sdktrace.TracerProvider) {
	bare, off, otel, r, tp, _ = benchGuardsWith(b, otelguard.Config{}, mopts...)
	return bare, off, otel, r, tp
}

// benchGuardsWith is benchGuards, and returns a constructor of guards with
// other hooks.
func benchGuardsWith(b testing.TB, cfg otelguard.Config, mopts ...sdkmetric.Option) (bare, off, otel http.Handler, r *http.Request, tp *sdktrace.TracerProvider, guardWith func(*middleware.Hooks) http.Handler) {
	as := oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256"})
	b.Cleanup(as.Close)
	keys, err := jwks.ParseStatic(as.JWKS())
	if err != nil {
		b.Fatal(err)
	}
	tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(append(mopts, sdkmetric.WithReader(sdkmetric.NewManualReader()))...)
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	cfg.TracerProvider, cfg.MeterProvider = tp, mp
	hooks, err := otelguard.NewHooks(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	guard := func(h *middleware.Hooks) http.Handler {
		v, err := middleware.NewValidator(middleware.Issuer{URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}, Keys: keys},
			&middleware.Config{Hooks: h})
		if err != nil {
			b.Fatal(err)
		}
		g, err := middleware.NewGuard(v, nil)
		if err != nil {
			b.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /orders/{id}", g.Require(scopes.AllOf("orders:read"), benchHandler))
		return mux
	}
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", benchHandler)
	r = httptest.NewRequest("GET", "/orders/7", nil)
	r.Header.Set("Authorization", "Bearer "+as.Token(oauthtest.TokenOptions{Scopes: []string{"orders:read"}}))
	return mux, guard(nil), guard(hooks), r, tp, guard
}

// BenchmarkOverhead measures a cached-token request through the bare
// handler, the guard with hooks off and the guard with otelguard on, in
// blocks interleaved in one loop so that the three share the machine's load,
// and reports the median per-block ratio of the guard's overhead (guarded −
// bare) with OpenTelemetry on to that with hooks off. "untraced": the
// request's context holds no span (metrics only; decisions are traced
// inside traced requests), the SDK's defaults; "untraced-no-exemplars": the
// same with the SDK's exemplar filter off; "untraced-cache-hit-durations":
// with Config.CacheHitDurations, the duration histogram measuring cache
// hits too; "traced": the request's context
// holds a sampled server span, and every decision is a span;
// "empty-hooks": hooks that do nothing in place of otelguard's, the cost of
// the core's hooked path alone.
func BenchmarkOverhead(b *testing.B) {
	for _, bc := range []struct {
		name   string
		traced bool
		cfg    otelguard.Config
		mopts  []sdkmetric.Option
	}{
		{"empty-hooks", false, otelguard.Config{}, nil},
		{"untraced", false, otelguard.Config{}, nil},
		{"untraced-no-exemplars", false, otelguard.Config{}, []sdkmetric.Option{sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter)}},
		{"untraced-cache-hit-durations", false, otelguard.Config{CacheHitDurations: true}, nil},
		{"traced", true, otelguard.Config{}, nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bare, off, otel, r, tp, guardWith := benchGuardsWith(b, bc.cfg, bc.mopts...)
			if bc.name == "empty-hooks" {
				otel = guardWith(&middleware.Hooks{
					Start:   func(ctx context.Context, _ middleware.Operation) context.Context { return ctx },
					Decided: func(context.Context, middleware.DecisionEvent) {},
				})
			}
			if bc.traced {
				ctx, span := tp.Tracer("bench").Start(r.Context(), "GET /orders/{id}", trace.WithSpanKind(trace.SpanKindServer))
				defer span.End()
				r = r.WithContext(ctx)
			}
			w := &benchWriter{h: http.Header{}}
			for _, h := range []http.Handler{bare, off, otel} {
				h.ServeHTTP(w, r) // warm the cache
				if w.code != 0 {
					b.Fatalf("status %d", w.code)
				}
			}
			const block = 32
			run := func(h http.Handler) time.Duration {
				t0 := time.Now()
				for range block {
					h.ServeHTTP(w, r)
				}
				return time.Since(t0)
			}
			var ratios []float64
			var sumOff, sumOtel time.Duration
			for i := 0; b.Loop(); i++ {
				var d [3]time.Duration
				order := [3]int{0, 1, 2}
				if i%2 == 1 {
					order = [3]int{2, 1, 0}
				}
				for _, j := range order {
					d[j] = run([]http.Handler{bare, off, otel}[j])
				}
				if d[1] > d[0] {
					ratios = append(ratios, float64(d[2]-d[0])/float64(d[1]-d[0]))
				}
				sumOff += d[1] - d[0]
				sumOtel += d[2] - d[0]
			}
			if len(ratios) == 0 {
				b.Skip("no usable block")
			}
			slices.Sort(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "otel/off")
			b.ReportMetric(float64(sumOff)/float64(b.N*block), "off-ns/req")
			b.ReportMetric(float64(sumOtel)/float64(b.N*block), "otel-ns/req")
		})
	}
}

// TestOverheadAllocs holds otelguard to no allocation on an untraced
// cached-token request.
func TestOverheadAllocs(t *testing.T) {
	_, off, otel, r, _ := benchGuards(t)
	w := &benchWriter{h: http.Header{}}
	n := func(h http.Handler) float64 {
		h.ServeHTTP(w, r)
		return testing.AllocsPerRun(200, func() { h.ServeHTTP(w, r) })
	}
	if a, b := n(off), n(otel); b > a {
		t.Errorf("%v allocations per request with otelguard, %v without", b, a)
	}
}
