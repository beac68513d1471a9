package echov5guard_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v5"

	"github.com/rsguard/rsguard/adapters/echov5guard"
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
// body, in net/http and in Echo.
var (
	netHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := middleware.FromContext(r.Context()); ok && c.Subject == "" {
			w.WriteHeader(http.StatusTeapot)
		}
		w.Write(benchBody)
	})
	echoHandler = func(c *echo.Context) error {
		if cl, ok := echov5guard.Claims(c); ok && cl.Subject == "" {
			c.Response().WriteHeader(http.StatusTeapot)
		}
		_, err := c.Response().Write(benchBody)
		return err
	}
)

type benchCase struct {
	name string
	h    http.Handler
}

// benchCases returns the bare and protected handlers of net/http and Echo,
// all with the same validator and token, and a request carrying the token.
func benchCases(tb testing.TB) ([]benchCase, *http.Request) {
	f := guardtest.New(tb)
	g := newGuard(tb, f.Validator, nil)
	bare := echo.New()
	bare.GET("/orders", echoHandler)
	noop := echo.New() // Echo's own cost of one route middleware
	noop.Group("", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error { return next(c) }
	}).GET("/orders", echoHandler)
	protected := echo.New()
	protected.Group("", echov5guard.Middleware(g, nil)).GET("/orders", echoHandler)
	scoped := echo.New()
	scoped.GET("/orders", echoHandler, echov5guard.Require(g, guardtest.Requirement))
	r := httptest.NewRequest("GET", "/orders", nil)
	r.Header.Set("Authorization", "Bearer "+f.Token(guardtest.Scope))
	return []benchCase{
		{"nethttp/bare", netHandler},
		{"nethttp/protected", g.Protect(netHandler)},
		{"nethttp/protected+scope", g.Require(guardtest.Requirement, netHandler)},
		{"echo/bare", bare},
		{"echo/noop-middleware", noop},
		{"echo/protected", protected},
		{"echo/protected+scope", scoped},
	}, r
}

// BenchmarkEcho measures a request through Echo with the guard, cache warm,
// against Echo's bare handler, and the same for net/http with the same
// validator and token: the adapter's overhead (echo/protected - echo/bare)
// must stay within 1.2x the guard's (nethttp/protected - nethttp/bare).
// echo/noop-middleware is Echo's own cost of a group middleware that does
// nothing: Echo applies route middleware on every request, allocating a
// closure each time.
func BenchmarkEcho(b *testing.B) {
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

// TestAllocs holds the allocation budget: the Echo adapter allocates at most
// one object per request more than the net/http guard: the closure that
// Echo makes on every request for each route middleware (echo.applyMiddleware,
// done here as Echo does it). The middleware runs on an *echo.Context reused
// across requests, as Echo's pool would give it, so that the count does not
// depend on sync.Pool (which drops objects at random under the race
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

	c := echo.New().NewContext(r, w)
	claimsOnly := func(c *echo.Context) error { // writes nothing: the response stays fresh
		if _, ok := echov5guard.Claims(c); !ok {
			return echo.ErrUnauthorized
		}
		return nil
	}
	for _, mw := range []struct {
		name string
		m    echo.MiddlewareFunc
	}{
		{"Middleware", echov5guard.Middleware(g, nil)},
		{"Require", echov5guard.Require(g, guardtest.Requirement)},
	} {
		c.SetRequest(r)
		if err := mw.m(claimsOnly)(c); err != nil {
			t.Fatalf("%s: %v", mw.name, err)
		}
		n := testing.AllocsPerRun(200, func() {
			c.SetRequest(r)
			mw.m(claimsOnly)(c)
		})
		t.Logf("%s: %v allocations per request (net/http guard: %v)", mw.name, n, guard)
		if n > guard+1 {
			t.Errorf("%s: %v allocations per request, want at most %v", mw.name, n, guard+1)
		}
	}
}
