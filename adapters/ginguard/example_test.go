package ginguard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	"github.com/rsguard/rsguard/adapters/ginguard"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// A Gin API whose /api group requires a valid access token, and whose
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

	r := gin.New()
	api := r.Group("/api", ginguard.Middleware(g, nil))
	api.GET("/orders", func(c *gin.Context) {
		claims, _ := ginguard.Claims(c)
		c.String(http.StatusOK, "orders of "+claims.Subject)
	})
	api.DELETE("/orders/:id", ginguard.Require(g, scopes.AllOf("orders:write")), func(c *gin.Context) {
		c.Status(http.StatusNoContent)
	})

	token := as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"orders:read"}})
	for _, q := range []struct{ method, path, auth string }{
		{"GET", "/api/orders", "Bearer " + token},
		{"DELETE", "/api/orders/7", "Bearer " + token},
		{"GET", "/api/orders", ""},
	} {
		req := httptest.NewRequest(q.method, q.path, nil)
		if q.auth != "" {
			req.Header.Set("Authorization", q.auth)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		fmt.Println(q.method, q.path, rec.Code, rec.Body.String()+rec.Header().Get("WWW-Authenticate"))
	}
	// Output:
	// GET /api/orders 200 orders of alice
	// DELETE /api/orders/7 403 Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:write"
	// GET /api/orders 401 Bearer realm="api"
}
