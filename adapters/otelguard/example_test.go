package otelguard_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/rsguard/rsguard/adapters/otelguard"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// ExampleNewHooks instruments a net/http guard. An application passes its
// own providers (or none, for the global ones) and gives the same hooks to
// the validator, its jwks.Remote and its introspector.
func ExampleNewHooks() {
	as := oauthtest.NewServer(nil) // the authorization server, for the example
	defer as.Close()

	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	hooks, err := otelguard.NewHooks(&otelguard.Config{TracerProvider: tp, MeterProvider: mp, RootSpans: true})
	if err != nil {
		log.Fatal(err)
	}
	keys, err := jwks.NewRemote(context.Background(), as.Issuer(), &jwks.Config{
		Hooks: hooks.JWKS(), HTTPClient: as.Client(), AllowInsecureHTTP: true, // (test server: plain HTTP)
	})
	if err != nil {
		log.Fatal(err)
	}
	defer keys.Close()
	v, err := middleware.NewValidator(middleware.Issuer{URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}, Keys: keys},
		&middleware.Config{Hooks: hooks})
	if err != nil {
		log.Fatal(err)
	}
	g, err := middleware.NewGuard(v, nil)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", g.Require(scopes.AllOf("orders:read"), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))

	for _, scope := range []string{"orders:read", "profile"} {
		r := httptest.NewRequest("GET", "/orders/42", nil)
		r.Header.Set("Authorization", "Bearer "+as.Token(oauthtest.TokenOptions{Scopes: []string{scope}}))
		mux.ServeHTTP(httptest.NewRecorder(), r)
	}

	for _, s := range spans.GetSpans() {
		fmt.Println("span", s.Name)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "rsguard.validation.duration" {
			for _, dp := range h.DataPoints {
				outcome, _ := dp.Attributes.Value("rsguard.outcome")
				route, _ := dp.Attributes.Value("rsguard.route")
				fmt.Println(m.Name, outcome.String(), route.String(), dp.Count)
			}
		}
	}
	// Unordered output:
	// span rsguard.discovery
	// span rsguard.jwks.fetch
	// span rsguard.validation
	// span rsguard.validation
	// rsguard.validation.duration admitted GET /orders/{id} 1
	// rsguard.validation.duration forbidden GET /orders/{id} 1
}
