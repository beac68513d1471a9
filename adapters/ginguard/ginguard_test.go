package ginguard_test

import (
	"net/http"
	"os"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/rsguard/rsguard/adapters/ginguard"
	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// subject is the protected handler: it answers the subject of the claims it
// finds, after checking that the typed accessor and the request context
// agree.
func subject(c *gin.Context) {
	claims, ok := ginguard.Claims(c)
	fromCtx, ok2 := middleware.FromContext(c.Request.Context())
	if !ok || !ok2 || claims != fromCtx {
		c.String(http.StatusInternalServerError, "claims differ or missing")
		return
	}
	c.String(http.StatusOK, claims.Subject)
}

// ginApp builds the Gin engines of the shared HTTP suite (guardtest.App).
type ginApp struct{}

func (ginApp) Global(_ testing.TB, g *middleware.Guard, req scopes.Requirement) http.Handler {
	r := gin.New()
	r.Use(ginguard.Require(g, req))
	r.GET("/orders", subject)
	return r
}

func (ginApp) Group(_ testing.TB, g *middleware.Guard, reqs ...scopes.Requirement) http.Handler {
	r := gin.New()
	var chain []gin.HandlerFunc
	for _, req := range reqs {
		chain = append(chain, ginguard.Require(g, req))
	}
	r.Group("/api", ginguard.Middleware(g, nil)).GET("/orders", append(chain, subject)...)
	return r
}

func (ginApp) Route(_ testing.TB, g *middleware.Guard, path string, req scopes.Requirement) http.Handler {
	r := gin.New()
	if req == nil {
		r.GET(path, ginguard.Middleware(g, nil), subject)
	} else {
		r.GET(path, ginguard.Require(g, req), subject)
	}
	return r
}

func (ginApp) Skipping(_ testing.TB, g *middleware.Guard, req scopes.Requirement) http.Handler {
	r := gin.New()
	r.Use(ginguard.Middleware(g, &ginguard.Config{
		Skipper:     func(c *gin.Context) bool { return c.FullPath() == "/health" },
		Requirement: req,
	}))
	r.GET("/health", func(c *gin.Context) {
		if _, ok := ginguard.Claims(c); ok {
			c.String(http.StatusInternalServerError, "claims on a skipped request")
			return
		}
		c.String(http.StatusOK, "up")
	})
	r.GET("/orders", subject)
	return r
}

func (ginApp) Approve(_ testing.TB, g *middleware.Guard) http.Handler {
	r := gin.New()
	r.POST("/orders/:id/approve", ginguard.Middleware(g, nil), func(c *gin.Context) {
		if err := middleware.Authorize(c.Request.Context(), scopes.AllOf("orders:approve")); err != nil {
			middleware.WriteError(c.Writer, c.Request, err)
			return
		}
		c.Status(http.StatusNoContent)
	})
	return r
}

// TestHTTPSuite runs the tests shared with Echo v4 and v5
// (guardtest.RunHTTPSuite: the front-door table shared with net/http and
// gRPC, behind a real server, with the guard mounted on the engine, on a
// group and on a route; its metadata and proxy variants; the attack table;
// the Skipper and Requirement of the Config that ginguard shares with
// echoguard; the guard's settings; one validation through three guards).
func TestHTTPSuite(t *testing.T) { guardtest.RunHTTPSuite(t, ginApp{}) }

// TestStatusIsFinal checks that the guard's answer is written when the
// chain aborts: a middleware around it that sets another status after
// c.Next cannot change it.
func TestStatusIsFinal(t *testing.T) {
	f := guardtest.New(t)
	r := gin.New()
	r.Use(func(c *gin.Context) {
		c.Next()
		c.Status(http.StatusTeapot)
	})
	r.GET("/orders", ginguard.Middleware(guardtest.NewGuard(t, f.Validator, nil), nil), subject)
	var c guardtest.Case
	for _, tc := range f.Cases() {
		if tc.Name == "no_token" {
			c = tc
		}
	}
	if c.Kind != middleware.ErrMissingToken || c.Status != 401 {
		t.Fatalf("the table's no_token case is %+v", c)
	}
	resp, body := c.Do(t, guardtest.Serve(t, r)+"/orders")
	c.CheckHTTP(t, resp, body)
}

func TestPanics(t *testing.T) {
	f := guardtest.New(t)
	g := guardtest.NewGuard(t, f.Validator, nil)
	guardtest.CheckPanics(t, "ginguard: ", map[string]func(){
		"Require(nil req)":   func() { ginguard.Require(g, nil) },
		"Require(nil guard)": func() { ginguard.Require(nil, guardtest.Requirement) },
		"Middleware(nil)":    func() { ginguard.Middleware(nil, nil) },
		"Middleware(zero)":   func() { ginguard.Middleware(&middleware.Guard{}, nil) },
		"Require(zero)":      func() { ginguard.Require(&middleware.Guard{}, guardtest.Requirement) },
	})
}
