package connectguard_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"connectrpc.com/connect"

	"github.com/rsguard/rsguard/adapters/connectguard"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// A Connect service whose procedures need scopes, with the health service
// public; a procedure that the table does not name is denied.
func ExampleNew() {
	as := oauthtest.NewServer(nil) // stands for your authorization server
	defer as.Close()
	keys, err := jwks.ParseStatic(as.JWKS())
	if err != nil {
		log.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}, Keys: keys}, nil)
	if err != nil {
		log.Fatal(err)
	}
	guard, err := connectguard.New(v, &connectguard.Config{
		Procedures: map[string]scopes.Requirement{
			"/orders.v1.Orders/*":           scopes.AllOf("orders:read"),
			"/orders.v1.Orders/CancelOrder": scopes.AllOf("orders:write"),
		},
		Public: []string{"/grpc.health.v1.Health/*"},
	})
	if err != nil {
		log.Fatal(err)
	}
	opts := []connect.HandlerOption{connect.WithInterceptors(guard), connect.WithCodec(jsonCodec{})}
	mux := http.NewServeMux()
	// Handler shows the interceptor the HTTP layer (method, URL, TLS) that
	// DPoP and certificate-bound tokens are checked against.
	mux.Handle(guard.Handler(getOrder, connect.NewUnaryHandler(getOrder, unaryHandler, opts...)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	client := connect.NewClient[orderRequest, orderReply](srv.Client(), srv.URL+getOrder, connect.WithCodec(jsonCodec{}))
	for _, scope := range []string{"orders:read", "profile"} {
		req := connect.NewRequest(&orderRequest{ID: "7"})
		req.Header().Set("Authorization", "Bearer "+as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{scope}}))
		resp, err := client.CallUnary(context.Background(), req)
		var ce *connect.Error
		if errors.As(err, &ce) {
			fmt.Println(scope+":", ce.Code(), ce.Message())
			fmt.Println("  WWW-Authenticate:", ce.Meta().Get("WWW-Authenticate"))
			continue
		}
		fmt.Println(scope+":", "order", resp.Msg.ID, "of", resp.Msg.Subject)
	}
	// Output:
	// orders:read: order 7 of alice
	// profile: permission_denied connectguard: the token lacks a required scope (scope="orders:read")
	//   WWW-Authenticate: Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:read"
}
