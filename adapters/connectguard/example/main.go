// Command example serves a Connect service protected by rsguard, over
// HTTP/1.1 and HTTP/2 without TLS (h2c), on loopback.
//
// Against your authorization server:
//
//	go run . -issuer https://as.example.com -audience https://api.example.com
//
// Without -issuer it starts an in-process test authorization server
// (oauthtest) and prints a token to try, in the Connect protocol with JSON:
//
//	go run .
//	curl -i -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
//	     -d '{"id":"7"}' http://127.0.0.1:8080/orders.v1.Orders/GetOrder
//
// The service is defined without protoc, with Go structs and a JSON codec,
// to keep the example to one file; with generated code, give the same
// interceptor to the generated New…Handler through connect.WithInterceptors
// and mount its result with mux.Handle(guard.Handler(…)).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"connectrpc.com/connect"

	"github.com/rsguard/rsguard/adapters/connectguard"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// Procedures of the example service.
const (
	GetOrder    = "/orders.v1.Orders/GetOrder"
	CancelOrder = "/orders.v1.Orders/CancelOrder"
	Ping        = "/orders.v1.Orders/Ping"
)

// OrderRequest and Order are the messages of the example service.
type (
	OrderRequest struct {
		ID string `json:"id"`
	}
	Order struct {
		ID    string `json:"id"`
		Owner string `json:"owner"`
	}
)

// JSONCodec carries the messages as JSON, under Connect's codec name "json"
// (Content-Type application/json in the Connect protocol).
type JSONCodec struct{}

func (JSONCodec) Name() string                    { return "json" }
func (JSONCodec) Marshal(v any) ([]byte, error)   { return json.Marshal(v) }
func (JSONCodec) Unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

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
	h, err := newAPI(*issuer, *audience, keys)
	if err != nil {
		log.Fatal(err)
	}
	srv := NewServer(*addr, h)
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	log.Printf("listening on http://%s (HTTP/1.1 and h2c)", *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// NewServer returns an HTTP server for h that speaks HTTP/1.1 and HTTP/2
// without TLS (h2c), as gRPC clients expect on a plaintext connection.
func NewServer(addr string, h http.Handler) *http.Server {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second, Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	return srv
}

// newAPI builds the protected service: a validator for the issuer, the
// interceptor with a requirement per procedure, and the handlers.
func newAPI(issuer, audience string, keys jwks.Source) (http.Handler, error) {
	v, err := middleware.NewValidator(middleware.Issuer{URL: issuer, Audiences: []string{audience}, Keys: keys}, nil)
	if err != nil {
		return nil, err
	}
	guard, err := connectguard.New(v, &connectguard.Config{
		Procedures: map[string]scopes.Requirement{
			"/orders.v1.Orders/*": scopes.AllOf("orders:read"),  // service default
			CancelOrder:           scopes.AllOf("orders:write"), // the most specific entry wins
		},
		Public: []string{Ping},
	})
	if err != nil {
		return nil, err
	}
	opts := []connect.HandlerOption{connect.WithInterceptors(guard), connect.WithCodec(JSONCodec{})}
	mux := http.NewServeMux()
	// guard.Handler lets the interceptor see the method, URL and TLS state
	// that DPoP and certificate-bound tokens are checked against.
	mux.Handle(guard.Handler(GetOrder, connect.NewUnaryHandler(GetOrder, getOrder, opts...)))
	mux.Handle(guard.Handler(CancelOrder, connect.NewUnaryHandler(CancelOrder, getOrder, opts...)))
	mux.Handle(guard.Handler(Ping, connect.NewUnaryHandler(Ping, func(context.Context, *connect.Request[OrderRequest]) (*connect.Response[Order], error) {
		return connect.NewResponse(&Order{}), nil
	}, opts...)))
	return mux, nil
}

// getOrder answers the order with the caller's subject as its owner.
func getOrder(ctx context.Context, req *connect.Request[OrderRequest]) (*connect.Response[Order], error) {
	claims, _ := middleware.FromContext(ctx)
	return connect.NewResponse(&Order{ID: req.Msg.ID, Owner: claims.Subject}), nil
}
