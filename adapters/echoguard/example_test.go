package echoguard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"

	"github.com/rsguard/rsguard/adapters/echoguard"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// An Echo API whose /api group requires a valid access token, and whose
// DELETE route also requires the "orders:write" scope.
func Example() {
	as := oauthtest.NewServer(nil) // your authorization server
	defer as.Close()

	keys, err := jwks.NewRemote(context.Background(), as.Issuer(), nil)
	if err != nil {
		panic(err)
	}
	defer keys.Close()
	v, err := middleware.NewValidator(middleware.Issuer{
		URL: as.Issuer(), Audiences: []string{"https://api.example.test"}, Keys: keys,
	}, nil)
	if err != nil {
		panic(err)
	}
	g, err := middleware.NewGuard(v, nil)
	if err != nil {
		panic(err)
	}

	e := echo.New()
	api := e.Group("/api", echoguard.Middleware(g, nil))
	api.GET("/orders", func(c echo.Context) error {
		claims, _ := echoguard.Claims(c)
		return c.String(http.StatusOK, "orders of "+claims.Subject)
	})
	api.DELETE("/orders/:id", func(c echo.Context) error {
		return c.NoContent(http.StatusNoContent)
	}, echoguard.Require(g, scopes.AllOf("orders:write")))

	token := as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"orders:read"}})
	for _, r := range []struct{ method, path, auth string }{
		{"GET", "/api/orders", "Bearer " + token},
		{"DELETE", "/api/orders/7", "Bearer " + token},
		{"GET", "/api/orders", ""},
	} {
		req := httptest.NewRequest(r.method, r.path, nil)
		if r.auth != "" {
			req.Header.Set("Authorization", r.auth)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		fmt.Println(r.method, r.path, rec.Code, rec.Body.String()+rec.Header().Get("WWW-Authenticate"))
	}
	// Output:
	// GET /api/orders 200 orders of alice
	// DELETE /api/orders/7 403 Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:write"
	// GET /api/orders 401 Bearer realm="api"
}

// Echo's Skipper convention: health checks pass without a token.
func ExampleMiddleware_skipper() {
	as := oauthtest.NewServer(nil)
	defer as.Close()
	keys, _ := jwks.NewRemote(context.Background(), as.Issuer(), nil)
	defer keys.Close()
	v, _ := middleware.NewValidator(middleware.Issuer{URL: as.Issuer(), Audiences: []string{"https://api.example.test"}, Keys: keys}, nil)
	g, _ := middleware.NewGuard(v, nil)

	e := echo.New()
	e.Use(echoguard.Middleware(g, &echoguard.Config{
		Skipper: func(c echo.Context) bool { return c.Path() == "/healthz" },
	}))
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	fmt.Println(rec.Code, rec.Body.String())
	// Output: 200 ok
}
