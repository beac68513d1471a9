// Command nethttp is a small API protected by rsguard, to copy into your own
// project. It trusts one issuer, reads its keys from the issuer's discovered
// JWKS, and needs the "orders:read" scope for GET /orders and "orders:write"
// for DELETE /orders/{id}.
//
//	go run ./examples/nethttp -issuer https://auth.example.com -audience https://api.example.com
//
// The issuer and audience may also come from $RSGUARD_ISSUER and
// $RSGUARD_AUDIENCE. To try it locally, run "go run ./cmd/rsguard demo
// --serve" in another terminal and pass its issuer and audience.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/scopes"
)

func main() {
	issuer := flag.String("issuer", os.Getenv("RSGUARD_ISSUER"), "trusted issuer (default $RSGUARD_ISSUER)")
	audience := flag.String("audience", os.Getenv("RSGUARD_AUDIENCE"), "this API's audience (default $RSGUARD_AUDIENCE)")
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	if *issuer == "" || *audience == "" {
		log.Fatal("nethttp: -issuer and -audience (or $RSGUARD_ISSUER and $RSGUARD_AUDIENCE) are required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on http://%s", ln.Addr())
	if err := serve(ctx, ln, *issuer, *audience); err != nil {
		log.Fatal(err)
	}
}

// serve runs the API on ln until ctx ends.
func serve(ctx context.Context, ln net.Listener, issuer, audience string) error {
	keys, err := jwks.NewRemote(ctx, issuer, nil) // discovery, then the JWKS, kept fresh
	if err != nil {
		return err
	}
	defer keys.Close()
	api, err := newAPI(issuer, audience, keys)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newAPI builds the protected handler: a validator for the issuer, a guard,
// and a mux whose routes name the scopes they need.
func newAPI(issuer, audience string, keys jwks.Source) (http.Handler, error) {
	v, err := middleware.NewValidator(middleware.Issuer{
		URL:       issuer,
		Audiences: []string{audience},
		Keys:      keys,
		// Types: middleware.CompatTypes(), // for issuers whose tokens are not typed "at+jwt"
	}, &middleware.Config{Hooks: middleware.SlogHooks(slog.Default())})
	if err != nil {
		return nil, err
	}
	guard, err := middleware.NewGuard(v, nil)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /orders", guard.Require(scopes.AllOf("orders:read"), http.HandlerFunc(listOrders)))
	mux.Handle("DELETE /orders/{id}", guard.Require(scopes.AllOf("orders:write"), http.HandlerFunc(deleteOrder)))
	return guard.Protect(mux), nil
}

func listOrders(w http.ResponseWriter, r *http.Request) {
	claims, _ := middleware.FromContext(r.Context()) // always set behind the guard
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"user": claims.Subject, "orders": []string{"1001", "1002"}})
}

func deleteOrder(w http.ResponseWriter, r *http.Request) {
	log.Printf("order %s deleted", r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
}
