package echoguard_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/rsguard/rsguard/adapters/echoguard"
	"github.com/rsguard/rsguard/internal/guardtest"
)

var benchBody = []byte("ok")

// echoHandler is the application handler in Echo: it reads the claims if
// any and writes a small body, as guardtest.BenchHandler in net/http.
func echoHandler(c echo.Context) error {
	if cl, ok := echoguard.Claims(c); ok && cl.Subject == "" {
		c.Response().WriteHeader(http.StatusTeapot)
	}
	_, err := c.Response().Write(benchBody)
	return err
}

// BenchmarkEcho measures a request through Echo with the guard, cache warm,
// against Echo's bare handler, and the same for net/http with the same
// validator and token: the adapter's overhead (echo/protected - echo/bare)
// must stay within 1.2x the guard's (nethttp/protected - nethttp/bare).
// echo/noop-middleware is Echo's own cost of a group middleware that does
// nothing: Echo applies route middleware on every request, allocating a
// closure each time.
func BenchmarkEcho(b *testing.B) {
	f := guardtest.New(b)
	g := guardtest.NewGuard(b, f.Validator, nil)
	bare := echo.New()
	bare.GET("/orders", echoHandler)
	noop := echo.New() // Echo's own cost of one route middleware
	noop.Group("", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { return next(c) }
	}).GET("/orders", echoHandler)
	protected := echo.New()
	protected.Group("", echoguard.Middleware(g, nil)).GET("/orders", echoHandler)
	scoped := echo.New()
	scoped.GET("/orders", echoHandler, echoguard.Require(g, guardtest.Requirement))
	guardtest.RunBench(b, guardtest.BenchRequest(f.Token(guardtest.Scope)), append(guardtest.NetHTTPBenchCases("nethttp/", g, guardtest.Requirement),
		guardtest.BenchCase{Name: "echo/bare", Handler: bare, Status: 200},
		guardtest.BenchCase{Name: "echo/noop-middleware", Handler: noop, Status: 200},
		guardtest.BenchCase{Name: "echo/protected", Handler: protected, Status: 200},
		guardtest.BenchCase{Name: "echo/protected+scope", Handler: scoped, Status: 200},
	))
}

// TestAllocs holds the allocation budget: the Echo adapter allocates at most
// one object per request more than the net/http guard: the closure that
// Echo makes on every request for each route middleware (echo.applyMiddleware,
// done here as Echo does it). The middleware runs on an echo.Context reused
// across requests, as Echo's pool would give it, so that the count does not
// depend on sync.Pool (which drops objects at random under the race
// detector).
func TestAllocs(t *testing.T) {
	f := guardtest.New(t)
	g := guardtest.NewGuard(t, f.Validator, nil)
	r := guardtest.BenchRequest(f.Token(guardtest.Scope))
	guard := guardtest.GuardAllocs(r, g)

	c := echo.New().NewContext(r, guardtest.NewBenchWriter())
	claimsOnly := func(c echo.Context) error { // writes nothing: the response stays fresh
		if _, ok := echoguard.Claims(c); !ok {
			return echo.ErrUnauthorized
		}
		return nil
	}
	for _, mw := range []struct {
		name string
		m    echo.MiddlewareFunc
	}{
		{"Middleware", echoguard.Middleware(g, nil)},
		{"Require", echoguard.Require(g, guardtest.Requirement)},
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
