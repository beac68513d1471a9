package middleware_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// benchCases returns the bare handler and the guard's protected handlers,
// with a validator without hooks, and a request carrying a valid token.
func benchCases(tb testing.TB) ([]guardtest.BenchCase, *http.Request) {
	f := newHTFixture(tb)
	// A validator without hooks, as most deployments run it.
	v, err := middleware.NewValidator(middleware.Issuer{URL: htIssuer, Audiences: []string{htAudience}, Keys: mustKeys(tb, f)},
		&middleware.Config{Now: func() time.Time { return htNow }})
	if err != nil {
		tb.Fatal(err)
	}
	g, err := middleware.NewGuard(v, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req := scopes.All(scopes.AllOf("orders:read"), scopes.AnyOf("admin", "orders:write"))
	return guardtest.NetHTTPBenchCases("", g, req), guardtest.BenchRequest(f.token(tb, "openid orders:read orders:write", nil))
}

// BenchmarkMiddleware measures a request through ServeHTTP with the
// verified-token cache warm, against the bare handler. Acceptance: the guard
// adds under 2µs and at most 4 allocations per request.
func BenchmarkMiddleware(b *testing.B) {
	cases, r := benchCases(b)
	guardtest.RunBench(b, r, cases)
}

// TestMiddlewareAllocs holds the allocation budget of the benchmark: at most
// 4 allocations per request over the bare handler, cache warm.
func TestMiddlewareAllocs(t *testing.T) {
	cases, r := benchCases(t)
	w := guardtest.NewBenchWriter()
	var bare float64
	for _, bc := range cases {
		bc.Handler.ServeHTTP(w, r)
		if w.Code != 0 {
			t.Fatalf("%s: status %d", bc.Name, w.Code)
		}
		n := testing.AllocsPerRun(200, func() { bc.Handler.ServeHTTP(w, r) })
		if bc.Name == "bare" {
			bare = n
			continue
		}
		if n-bare > 4 {
			t.Errorf("%s: %v allocations per request over the bare handler, want at most 4", bc.Name, n-bare)
		}
		t.Logf("%s: %v allocations over bare", bc.Name, n-bare)
	}
}
