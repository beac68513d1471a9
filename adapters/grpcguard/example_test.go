package grpcguard_test

import (
	"context"
	"fmt"
	"net"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/rsguard/rsguard/adapters/grpcguard"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// ordersService is an application service; its handlers find the caller's
// claims in their context.
type ordersService struct {
	testpb.UnimplementedTestServiceServer
}

func (ordersService) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	claims, _ := middleware.FromContext(ctx)
	return &testpb.SimpleResponse{Username: claims.Subject}, nil
}

// A gRPC server whose service requires the "orders:read" scope, with the
// health service public, and a client that sends its token with every call.
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

	g, err := grpcguard.New(v,
		grpcguard.WithMethods(map[string]scopes.Requirement{
			"/grpc.testing.TestService/*": scopes.AllOf("orders:read"),
		}),
		grpcguard.WithPublic(grpcguard.HealthService),
	)
	if err != nil {
		panic(err)
	}
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(g.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(g.StreamServerInterceptor()),
	)
	testpb.RegisterTestServiceServer(srv, ordersService{})
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(lis)
	defer srv.Stop()

	// The client: plain TCP on loopback here, hence AllowInsecureTransport.
	ts := oauth2.StaticTokenSource(&oauth2.Token{
		AccessToken: as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"orders:read"}}),
	})
	conn, err := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(grpcguard.NewCredentials(ts, grpcguard.AllowInsecureTransport())))
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	resp, err := testpb.NewTestServiceClient(conn).UnaryCall(context.Background(), &testpb.SimpleRequest{})
	fmt.Println(resp.GetUsername(), status.Code(err))

	// Without credentials: refused.
	anon, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		panic(err)
	}
	defer anon.Close()
	_, err = testpb.NewTestServiceClient(anon).UnaryCall(context.Background(), &testpb.SimpleRequest{})
	fmt.Println(status.Code(err), status.Convert(err).Message())
	// Output:
	// alice OK
	// Unauthenticated grpcguard: no access token
}

// A client that gets its tokens with the client credentials grant (RFC 6749
// §4.4) and sends them over TLS only.
func ExampleNewCredentials() {
	cc := clientcredentials.Config{
		ClientID:     "reporting",
		ClientSecret: "from your secret store",
		TokenURL:     "https://as.example.com/oauth2/token",
		Scopes:       []string{"orders:read"},
	}
	conn, err := grpc.NewClient("orders.example.com:443",
		grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(nil, "")),
		grpc.WithPerRPCCredentials(grpcguard.NewCredentials(cc.TokenSource(context.Background()))))
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	_ = testpb.NewTestServiceClient(conn) // calls carry "authorization: Bearer …"
}
