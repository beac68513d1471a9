// Command example serves a gRPC service protected by rsguard, and calls it
// once as a client would.
//
// Against your authorization server:
//
//	go run . -issuer https://as.example.com -audience https://api.example.com
//
// Without -issuer it starts an in-process test authorization server
// (oauthtest), prints a token and calls the service with it. Then:
//
//	grpcurl -plaintext -H "authorization: Bearer $TOKEN" 127.0.0.1:9090 grpc.testing.TestService/UnaryCall
//
// It listens without TLS, on loopback only: in production, give the server
// grpc.Creds(credentials.NewTLS(...)).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing" // stands for your generated service
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/rsguard/rsguard/adapters/grpcguard"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// service answers with the caller's subject and scopes.
type service struct {
	testpb.UnimplementedTestServiceServer
}

func (service) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	claims, _ := middleware.FromContext(ctx)
	return &testpb.SimpleResponse{Username: claims.Subject, OauthScope: claims.Scopes.String()}, nil
}

func main() {
	issuer := flag.String("issuer", "", "issuer URL (default: an in-process test authorization server)")
	audience := flag.String("audience", "https://api.example.test", "the audience of this API")
	addr := flag.String("addr", "127.0.0.1:9090", "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var token string
	if *issuer == "" {
		as := oauthtest.NewServer(nil)
		defer as.Close()
		*issuer = as.Issuer()
		token = as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"orders:read"}, Audience: []string{*audience}})
		fmt.Println("TOKEN=" + token)
	}
	keys, err := jwks.NewRemote(ctx, *issuer, nil) // discovers jwks_uri
	if err != nil {
		log.Fatal(err)
	}
	defer keys.Close()
	srv, err := newServer(*issuer, *audience, keys)
	if err != nil {
		log.Fatal(err)
	}

	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		<-ctx.Done()
		srv.GracefulStop()
	}()
	if token != "" {
		go call(lis.Addr().String(), token)
	}
	log.Printf("listening on %s", lis.Addr())
	if err := srv.Serve(lis); err != nil {
		log.Fatal(err)
	}
}

// newServer builds the protected gRPC server: a validator for the issuer, a
// method table (the test service needs orders:read; health checks and
// reflection are public; every other method is denied), and the
// interceptors.
func newServer(issuer, audience string, keys jwks.Source) (*grpc.Server, error) {
	v, err := middleware.NewValidator(middleware.Issuer{URL: issuer, Audiences: []string{audience}, Keys: keys},
		&middleware.Config{Hooks: middleware.SlogHooks(slog.Default())})
	if err != nil {
		return nil, err
	}
	g, err := grpcguard.New(v,
		grpcguard.WithMethods(map[string]scopes.Requirement{
			"/grpc.testing.TestService/*": scopes.AllOf("orders:read"),
		}),
		grpcguard.WithPublic(grpcguard.HealthService, grpcguard.ReflectionService, grpcguard.ReflectionServiceAlpha),
	)
	if err != nil {
		return nil, err
	}
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(g.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(g.StreamServerInterceptor()),
	)
	testpb.RegisterTestServiceServer(srv, service{})
	healthpb.RegisterHealthServer(srv, health.NewServer())
	reflection.Register(srv)
	return srv, nil
}

// call makes one call with the token, as a client would.
func call(addr, token string) {
	creds := grpcguard.NewCredentials(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token}),
		grpcguard.AllowInsecureTransport()) // loopback only; use TLS otherwise
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(creds))
	if err != nil {
		log.Print(err)
		return
	}
	defer conn.Close()
	resp, err := testpb.NewTestServiceClient(conn).UnaryCall(context.Background(), &testpb.SimpleRequest{})
	log.Printf("client: UnaryCall = %s %q %q", status.Code(err), resp.GetUsername(), resp.GetOauthScope())
}
