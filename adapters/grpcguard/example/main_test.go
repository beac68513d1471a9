package main

import (
	"context"
	"net"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/rsguard/rsguard/adapters/grpcguard"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// TestServer calls the example server as the package comment suggests, and
// checks its refusals: public health checks, and the scope of the test
// service, which its service default extends to every method.
func TestServer(t *testing.T) {
	as := oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256"})
	defer as.Close()
	keys, err := jwks.NewRemote(context.Background(), as.Issuer(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	srv, err := newServer(as.Issuer(), oauthtest.DefaultAudience, keys)
	if err != nil {
		t.Fatalf("newServer = %v", err)
	}
	lis := bufconn.Listen(1 << 20)
	go srv.Serve(lis)
	defer srv.Stop()
	conn, err := grpc.NewClient("passthrough:///example",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	token := func(o oauthtest.TokenOptions) string { o.Subject = "alice"; return as.Token(o) }
	read := token(oauthtest.TokenOptions{Scopes: []string{"orders:read"}})
	write := token(oauthtest.TokenOptions{Scopes: []string{"orders:write"}})
	expired := token(oauthtest.TokenOptions{Scopes: []string{"orders:read"}, Lifetime: -time.Hour})
	unary := func(ctx context.Context) error {
		resp, err := testpb.NewTestServiceClient(conn).UnaryCall(ctx, &testpb.SimpleRequest{})
		if err == nil && (resp.GetUsername() != "alice" || resp.GetOauthScope() != "orders:read") {
			return status.Errorf(codes.Internal, "UnaryCall = %q %q, want alice orders:read", resp.GetUsername(), resp.GetOauthScope())
		}
		return err
	}
	for _, tc := range []struct {
		name  string
		token string
		call  func(context.Context) error
		want  codes.Code
	}{
		{"read", read, unary, codes.OK},
		{"no_token", "", unary, codes.Unauthenticated},
		{"expired", expired, unary, codes.Unauthenticated},
		{"missing_scope", write, unary, codes.PermissionDenied},
		{"health_is_public", "", func(ctx context.Context) error {
			_, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
			return err
		}, codes.OK},
		{"service_default_covers_every_method", "", func(ctx context.Context) error {
			_, err := testpb.NewTestServiceClient(conn).EmptyCall(ctx, &testpb.Empty{})
			return err
		}, codes.Unauthenticated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if tc.token != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tc.token)
			}
			if err := tc.call(ctx); status.Code(err) != tc.want {
				t.Errorf("%s = %v, want %v", tc.name, err, tc.want)
			}
		})
	}

	t.Run("credentials", func(t *testing.T) {
		creds := grpcguard.NewCredentials(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: read}), grpcguard.AllowInsecureTransport())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := testpb.NewTestServiceClient(conn).UnaryCall(ctx, &testpb.SimpleRequest{}, grpc.PerRPCCredentials(creds))
		if err != nil {
			t.Errorf("UnaryCall with grpcguard credentials = %v, want OK", err)
		}
	})
}
