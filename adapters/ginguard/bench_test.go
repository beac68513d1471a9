package ginguard_test

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/rsguard/rsguard/adapters/ginguard"
	"github.com/rsguard/rsguard/internal/guardtest"
)

var benchBody = []byte("ok")

// ginHandler is the application handler in Gin: it reads the claims if any
// and writes a small body, as guardtest.BenchHandler in net/http.
func ginHandler(c *gin.Context) {
	if cl, ok := ginguard.Claims(c); ok && cl.Subject == "" {
		c.Status(http.StatusTeapot)
	}
	c.Writer.Write(benchBody)
}

// BenchmarkGin measures a request through Gin with the guard, cache warm,
// against Gin's bare handler, and the same for net/http with the same
// validator and token: the adapter's overhead (gin/protected - gin/bare)
// must stay within 1.2x the guard's (nethttp/protected - nethttp/bare).
func BenchmarkGin(b *testing.B) {
	f := guardtest.New(b)
	g := guardtest.NewGuard(b, f.Validator, nil)
	bare := gin.New()
	bare.GET("/orders", ginHandler)
	protected := gin.New()
	protected.Group("", ginguard.Middleware(g, nil)).GET("/orders", ginHandler)
	scoped := gin.New()
	scoped.GET("/orders", ginguard.Require(g, guardtest.Requirement), ginHandler)
	guardtest.RunBench(b, guardtest.BenchRequest(f.Token(guardtest.Scope)), append(guardtest.NetHTTPBenchCases("nethttp/", g, guardtest.Requirement),
		guardtest.BenchCase{Name: "gin/bare", Handler: bare, Status: 200},
		guardtest.BenchCase{Name: "gin/protected", Handler: protected, Status: 200},
		guardtest.BenchCase{Name: "gin/protected+scope", Handler: scoped, Status: 200},
	))
}

// TestAllocs holds the allocation budget: the Gin adapter allocates no more
// per request than the net/http guard. The handlers run on a gin.Context
// reused across requests, as Gin's pool would give it, so that the count does
// not depend on sync.Pool (which drops objects at random under the race
// detector).
func TestAllocs(t *testing.T) {
	f := guardtest.New(t)
	g := guardtest.NewGuard(t, f.Validator, nil)
	r := guardtest.BenchRequest(f.Token(guardtest.Scope))
	guard := guardtest.GuardAllocs(r, g)

	c, _ := gin.CreateTestContext(guardtest.NewBenchWriter())
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
