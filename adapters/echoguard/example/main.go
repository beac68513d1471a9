// Command example serves an Echo API protected by rsguard.
//
// Against your authorization server:
//
//	go run . -issuer https://as.example.com -audience https://api.example.com
//
// Without -issuer it starts an in-process test authorization server
// (oauthtest) and prints a token to try:
//
//	go run .
//	curl -i -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/orders
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rsguard/rsguard/adapters/echoguard"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

func main() {
	issuer := flag.String("issuer", "", "issuer URL (default: an in-process test authorization server)")
	audience := flag.String("audience", "https://api.example.test", "the audience of this API")
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *issuer == "" {
		as := oauthtest.NewServer(nil)
		defer as.Close()
		*issuer = as.Issuer()
		fmt.Println("TOKEN=" + as.Token(oauthtest.TokenOptions{
			Subject: "alice", Scopes: []string{"orders:read"}, Audience: []string{*audience},
		}))
	}
	keys, err := jwks.NewRemote(ctx, *issuer, nil) // discovers jwks_uri
	if err != nil {
		log.Fatal(err)
	}
	defer keys.Close()
	e, err := newAPI(*issuer, *audience, keys)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Addr: *addr, Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	log.Printf("listening on http://%s", *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// newAPI builds the protected Echo API: a validator for the issuer, a guard,
// the guard's middleware on the /api group, and per-route scopes.
func newAPI(issuer, audience string, keys jwks.Source) (*echo.Echo, error) {
	v, err := middleware.NewValidator(middleware.Issuer{URL: issuer, Audiences: []string{audience}, Keys: keys},
		&middleware.Config{Hooks: middleware.SlogHooks(slog.Default())})
	if err != nil {
		return nil, err
	}
	g, err := middleware.NewGuard(v, nil)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner = true
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	api := e.Group("/api", echoguard.Middleware(g, nil))
	api.GET("/orders", func(c echo.Context) error {
		claims, _ := echoguard.Claims(c)
		return c.JSON(http.StatusOK, map[string]any{"owner": claims.Subject, "orders": []string{}})
	}, echoguard.Require(g, scopes.AllOf("orders:read")))
	api.DELETE("/orders/:id", func(c echo.Context) error {
		return c.NoContent(http.StatusNoContent)
	}, echoguard.Require(g, scopes.AllOf("orders:write")))
	return e, nil
}
