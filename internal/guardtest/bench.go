package guardtest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// BenchWriter is an [http.ResponseWriter] that allocates nothing, so that a
// benchmark measures the handlers, not the recorder. Code is the status
// last written, 0 if none.
type BenchWriter struct {
	header http.Header
	Code   int
}

// NewBenchWriter returns a BenchWriter with an empty header.
func NewBenchWriter() *BenchWriter { return &BenchWriter{header: http.Header{}} }

// Header returns the header map, the same on every call.
func (w *BenchWriter) Header() http.Header { return w.header }

// Write discards b.
func (w *BenchWriter) Write(b []byte) (int, error) { return len(b), nil }

// WriteHeader records code.
func (w *BenchWriter) WriteHeader(code int) { w.Code = code }

var benchBody = []byte("ok")

// BenchHandler is the application handler of the net/http benchmarks: it
// reads the claims if any (writing 418 should they have no subject) and
// writes a small body, without setting a status.
var BenchHandler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if c, ok := middleware.FromContext(r.Context()); ok && c.Subject == "" {
		w.WriteHeader(http.StatusTeapot)
	}
	w.Write(benchBody)
})

// BenchCase is one handler a benchmark measures.
type BenchCase struct {
	Name    string
	Handler http.Handler
	// Status is the status the handler writes for the benchmark's request:
	// 0 for net/http handlers that leave it implicit, 200 for frameworks
	// that write it.
	Status int
}

// BenchRequest returns a GET /orders request carrying token as a bearer
// token.
func BenchRequest(token string) *http.Request {
	r := httptest.NewRequest("GET", "/orders", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// NetHTTPBenchCases returns the net/http handlers that an adapter's
// overhead is measured against, named with prefix: "bare" ([BenchHandler]),
// "protected" (g.Protect) and "protected+scope" (g.Require with req).
func NetHTTPBenchCases(prefix string, g *middleware.Guard, req scopes.Requirement) []BenchCase {
	return []BenchCase{
		{Name: prefix + "bare", Handler: BenchHandler},
		{Name: prefix + "protected", Handler: g.Protect(BenchHandler)},
		{Name: prefix + "protected+scope", Handler: g.Require(req, BenchHandler)},
	}
}

// RunBench measures each case on r as a sub-benchmark, with allocations
// reported, after one request that warms the verified-token cache and must
// answer the case's Status.
func RunBench(b *testing.B, r *http.Request, cases []BenchCase) {
	for _, bc := range cases {
		b.Run(bc.Name, func(b *testing.B) {
			w := NewBenchWriter()
			bc.Handler.ServeHTTP(w, r) // warm the cache
			if w.Code != bc.Status {
				b.Fatalf("status %d, want %d", w.Code, bc.Status)
			}
			b.ReportAllocs()
			for b.Loop() {
				bc.Handler.ServeHTTP(w, r)
			}
		})
	}
}

// GuardAllocs returns the allocations per request, cache warm, of
// g.Protect([BenchHandler]) on r over those of BenchHandler alone: the
// net/http guard's budget that an adapter is held to.
func GuardAllocs(r *http.Request, g *middleware.Guard) float64 {
	w := NewBenchWriter()
	h := g.Protect(BenchHandler)
	h.ServeHTTP(w, r)
	return testing.AllocsPerRun(200, func() { h.ServeHTTP(w, r) }) - testing.AllocsPerRun(200, func() { BenchHandler.ServeHTTP(w, r) })
}
