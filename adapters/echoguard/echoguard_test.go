package echoguard_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/rsguard/rsguard/adapters/echoguard"
	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// subject is the protected handler: it answers the subject of the claims it
// finds, after checking that the typed accessor and the request context
// agree.
func subject(c echo.Context) error {
	claims, ok := echoguard.Claims(c)
	fromCtx, ok2 := middleware.FromContext(c.Request().Context())
	if !ok || !ok2 || claims != fromCtx {
		return c.String(http.StatusInternalServerError, "claims differ or missing")
	}
	return c.String(http.StatusOK, claims.Subject)
}

// newEcho returns an Echo instance whose HTTPErrorHandler fails the test: a
// refusal must be written by the guard, never by Echo.
func newEcho(tb testing.TB) *echo.Echo {
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		tb.Errorf("Echo's HTTPErrorHandler called with %v", err)
		c.String(http.StatusTeapot, "error handler")
	}
	return e
}

// requires returns echoguard.Require(g, r) for each of reqs.
func requires(g *middleware.Guard, reqs ...scopes.Requirement) []echo.MiddlewareFunc {
	var m []echo.MiddlewareFunc
	for _, r := range reqs {
		m = append(m, echoguard.Require(g, r))
	}
	return m
}

// echoApp builds the Echo apps of the shared HTTP suite (guardtest.App).
type echoApp struct{}

func (echoApp) Global(tb testing.TB, g *middleware.Guard, req scopes.Requirement) http.Handler {
	e := newEcho(tb)
	e.Use(echoguard.Middleware(g, &echoguard.Config{Requirement: req}))
	e.GET("/orders", subject)
	return e
}

func (echoApp) Group(tb testing.TB, g *middleware.Guard, reqs ...scopes.Requirement) http.Handler {
	e := newEcho(tb)
	e.Group("/api", echoguard.Middleware(g, nil)).GET("/orders", subject, requires(g, reqs...)...)
	return e
}

func (echoApp) Route(tb testing.TB, g *middleware.Guard, path string, req scopes.Requirement) http.Handler {
	e := newEcho(tb)
	if req == nil {
		e.GET(path, subject, echoguard.Middleware(g, nil))
	} else {
		e.GET(path, subject, echoguard.Require(g, req))
	}
	return e
}

func (echoApp) Skipping(tb testing.TB, g *middleware.Guard, req scopes.Requirement) http.Handler {
	e := newEcho(tb)
	e.Use(echoguard.Middleware(g, &echoguard.Config{
		Skipper:     func(c echo.Context) bool { return c.Path() == "/health" },
		Requirement: req,
	}))
	e.GET("/health", func(c echo.Context) error {
		if _, ok := echoguard.Claims(c); ok {
			return c.String(http.StatusInternalServerError, "claims on a skipped request")
		}
		return c.String(http.StatusOK, "up")
	})
	e.GET("/orders", subject)
	return e
}

func (echoApp) Approve(tb testing.TB, g *middleware.Guard) http.Handler {
	e := newEcho(tb)
	e.Group("", echoguard.Middleware(g, nil)).POST("/orders/:id/approve", func(c echo.Context) error {
		if err := middleware.Authorize(c.Request().Context(), scopes.AllOf("orders:approve")); err != nil {
			middleware.WriteError(c.Response(), c.Request(), err)
			return nil
		}
		return c.NoContent(http.StatusNoContent)
	})
	return e
}

// TestHTTPSuite runs the tests shared with Echo v5 and Gin
// (guardtest.RunHTTPSuite: the front-door table shared with net/http and
// gRPC, behind a real server, with the guard mounted on the server, on a
// group and on a route; its metadata and proxy variants; the attack table;
// Echo's Skipper convention; the guard's settings; one validation through
// three guards).
func TestHTTPSuite(t *testing.T) { guardtest.RunHTTPSuite(t, echoApp{}) }

func TestPanics(t *testing.T) {
	f := guardtest.New(t)
	g := guardtest.NewGuard(t, f.Validator, nil)
	guardtest.CheckPanics(t, "echoguard: ", map[string]func(){
		"Require(nil req)":     func() { echoguard.Require(g, nil) },
		"Require(nil guard)":   func() { echoguard.Require(nil, guardtest.Requirement) },
		"Middleware(nil, nil)": func() { echoguard.Middleware(nil, nil) },
		"Middleware(zero)":     func() { echoguard.Middleware(&middleware.Guard{}, nil) },
	})
}
