package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// benchWriter is a ResponseWriter that allocates nothing, so that the
// benchmark measures the handlers, not the recorder.
type benchWriter struct {
	h    http.Header
	code int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }

var benchBody = []byte("ok")

// benchHandler is the application handler: it reads the claims if any and
// writes a small body.
var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if c, ok := middleware.FromContext(r.Context()); ok && c.Subject == "" {
		w.WriteHeader(http.StatusTeapot)
	}
	w.Write(benchBody)
})

type benchCase struct {
	name string
	h    http.Handler
}

func benchCases(tb testing.TB) ([]benchCase, *http.Request) {
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
	r := httptest.NewRequest("GET", "/orders", nil)
	r.Header.Set("Authorization", "Bearer "+f.token(tb, "openid orders:read orders:write", nil))
	req := scopes.All(scopes.AllOf("orders:read"), scopes.AnyOf("admin", "orders:write"))
	return []benchCase{
		{"bare", benchHandler},
		{"protected", g.Protect(benchHandler)},
		{"protected+scope", g.Require(req, benchHandler)},
	}, r
}

// BenchmarkMiddleware measures a request through ServeHTTP with the
// verified-token cache warm, against the bare handler. Acceptance: the guard
// adds under 2µs and at most 4 allocations per request.
func BenchmarkMiddleware(b *testing.B) {
	cases, r := benchCases(b)
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			w := &benchWriter{h: http.Header{}}
			bc.h.ServeHTTP(w, r) // warm the cache
			if w.code != 0 {
				b.Fatalf("status %d", w.code)
			}
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(w, r)
			}
		})
	}
}

// TestMiddlewareAllocs holds the allocation budget of the benchmark: at most
// 4 allocations per request over the bare handler, cache warm.
func TestMiddlewareAllocs(t *testing.T) {
	cases, r := benchCases(t)
	w := &benchWriter{h: http.Header{}}
	var bare float64
	for _, bc := range cases {
		bc.h.ServeHTTP(w, r)
		if w.code != 0 {
			t.Fatalf("%s: status %d", bc.name, w.code)
		}
		n := testing.AllocsPerRun(200, func() { bc.h.ServeHTTP(w, r) })
		if bc.name == "bare" {
			bare = n
			continue
		}
		if n-bare > 4 {
			t.Errorf("%s: %v allocations per request over the bare handler, want at most 4", bc.name, n-bare)
		}
		t.Logf("%s: %v allocations over bare", bc.name, n-bare)
	}
}
