package ginguard_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/rsguard/rsguard/adapters/ginguard"
	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
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

// The application handlers: they read the claims if any and write a small
// body, in net/http and in Gin.
var (
	netHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := middleware.FromContext(r.Context()); ok && c.Subject == "" {
			w.WriteHeader(http.StatusTeapot)
		}
		w.Write(benchBody)
	})
	ginHandler = func(c *gin.Context) {
		if cl, ok := ginguard.Claims(c); ok && cl.Subject == "" {
			c.Status(http.StatusTeapot)
		}
		c.Writer.Write(benchBody)
	}
)

type benchCase struct {
	name string
	h    http.Handler
}

// benchCases returns the bare and protected handlers of net/http and Gin,
// all with the same validator and token, and a request carrying the token.
func benchCases(tb testing.TB) ([]benchCase, *http.Request) {
	f := guardtest.New(tb)
	g := newGuard(tb, f.Validator, nil)
	bare := gin.New()
	bare.GET("/orders", ginHandler)
	protected := gin.New()
	protected.Group("", ginguard.Middleware(g, nil)).GET("/orders", ginHandler)
	scoped := gin.New()
	scoped.GET("/orders", ginguard.Require(g, guardtest.Requirement), ginHandler)
	r := httptest.NewRequest("GET", "/orders", nil)
	r.Header.Set("Authorization", "Bearer "+f.Token(guardtest.Scope))
	return []benchCase{
		{"nethttp/bare", netHandler},
		{"nethttp/protected", g.Protect(netHandler)},
		{"nethttp/protected+scope", g.Require(guardtest.Requirement, netHandler)},
		{"gin/bare", bare},
		{"gin/protected", protected},
		{"gin/protected+scope", scoped},
	}, r
}

// BenchmarkGin measures a request through Gin with the guard, cache warm,
// against Gin's bare handler, and the same for net/http with the same
// validator and token: the adapter's overhead (gin/protected - gin/bare)
// must stay within 1.2x the guard's (nethttp/protected - nethttp/bare).
func BenchmarkGin(b *testing.B) {
	cases, r := benchCases(b)
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			w := &benchWriter{h: http.Header{}}
			bc.h.ServeHTTP(w, r) // warm the cache
			if w.code != 0 && w.code != http.StatusOK {
				b.Fatalf("status %d", w.code)
			}
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(w, r)
			}
		})
	}
}

// TestAllocs holds the allocation budget: the Gin adapter allocates no more
// per request than the net/http guard. The handlers run on a gin.Context
// reused across requests, as Gin's pool would give it, so that the count does
// not depend on sync.Pool (which drops objects at random under the race
// detector).
func TestAllocs(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, nil)
	r := httptest.NewRequest("GET", "/orders", nil)
	r.Header.Set("Authorization", "Bearer "+f.Token(guardtest.Scope))
	w := &benchWriter{h: http.Header{}}
	h := g.Protect(netHandler)
	h.ServeHTTP(w, r)
	guard := testing.AllocsPerRun(200, func() { h.ServeHTTP(w, r) }) - testing.AllocsPerRun(200, func() { netHandler.ServeHTTP(w, r) })

	c, _ := gin.CreateTestContext(w)
	for _, mw := range []struct {
		name string
		h    gin.HandlerFunc
	}{
		{"Middleware", ginguard.Middleware(g, nil)},
		{"Require", ginguard.Require(g, guardtest.Requirement)},
	} {
		c.Request = r
		if mw.h(c); c.IsAborted() {
			t.Fatalf("%s aborted the request", mw.name)
		}
		if _, ok := ginguard.Claims(c); !ok {
			t.Fatalf("%s: no claims", mw.name)
		}
		n := testing.AllocsPerRun(200, func() {
			c.Request = r
			mw.h(c)
		})
		t.Logf("%s: %v allocations per request (net/http guard: %v)", mw.name, n, guard)
		if n > guard {
			t.Errorf("%s: %v allocations per request, want at most %v", mw.name, n, guard)
		}
	}
}
