package grpcguard_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	"github.com/rsguard/rsguard/adapters/grpcguard"
	"github.com/rsguard/rsguard/middleware"
)

// Methods of the test service (grpc.testing.TestService, generated code from
// grpc's own module).
const (
	unaryCall  = testpb.TestService_UnaryCall_FullMethodName
	streamCall = testpb.TestService_StreamingOutputCall_FullMethodName
	emptyCall  = testpb.TestService_EmptyCall_FullMethodName
)

// testService answers with the subject of the claims its handlers find in
// their context (unary) or their stream's context (streaming), "" if none.
type testService struct {
	testpb.UnimplementedTestServiceServer
}

func (testService) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

func (testService) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	resp := &testpb.SimpleResponse{}
	if c, ok := middleware.FromContext(ctx); ok {
		resp.Username, resp.OauthScope = c.Subject, c.Scopes.String()
	}
	return resp, nil
}

func (testService) StreamingOutputCall(_ *testpb.StreamingOutputCallRequest, stream testpb.TestService_StreamingOutputCallServer) error {
	var subject string
	if c, ok := middleware.FromContext(stream.Context()); ok {
		subject = c.Subject
	}
	for range 2 {
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: []byte(subject)}}); err != nil {
			return err
		}
	}
	return nil
}

// newGuard returns a guard for v; it fails the test on error.
func newGuard(t testing.TB, v *middleware.Validator, opts ...grpcguard.Option) *grpcguard.Guard {
	t.Helper()
	g, err := grpcguard.New(v, opts...)
	if err != nil {
		t.Fatalf("grpcguard.New = %v", err)
	}
	return g
}

// serve starts a gRPC server with g's interceptors, the test service and the
// health service on an in-memory listener, stopped when the test ends.
func serve(t testing.TB, g *grpcguard.Guard, opts ...grpc.ServerOption) *bufconn.Listener {
	t.Helper()
	opts = append(opts,
		grpc.ChainUnaryInterceptor(g.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(g.StreamServerInterceptor()))
	srv := grpc.NewServer(opts...)
	testpb.RegisterTestServiceServer(srv, testService{})
	healthpb.RegisterHealthServer(srv, health.NewServer())
	return serveWith(t, srv)
}

// serveWith starts srv on an in-memory listener, stopped when the test ends.
func serveWith(t testing.TB, srv *grpc.Server) *bufconn.Listener {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return lis
}

// dial connects to lis; without options, over an insecure connection.
func dial(t testing.TB, lis *bufconn.Listener, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	if len(opts) == 0 {
		opts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	opts = append(opts, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
		return lis.DialContext(ctx)
	}))
	conn, err := grpc.NewClient("passthrough:///bufconn.test", opts...)
	if err != nil {
		t.Fatalf("grpc.NewClient = %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// withAuth returns a context with a deadline whose outgoing metadata holds
// the given "authorization" values, in order.
func withAuth(t testing.TB, values []string) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	if len(values) == 0 {
		return ctx
	}
	return metadata.NewOutgoingContext(ctx, metadata.MD{"authorization": values})
}

// incoming returns a context as a server handler sees it: with the given
// "authorization" values in its incoming metadata.
func incoming(t testing.TB, values []string) context.Context {
	t.Helper()
	md := metadata.MD{}
	if len(values) > 0 {
		md["authorization"] = values
	}
	return metadata.NewIncomingContext(context.Background(), md)
}

// tlsConfigs returns a server and a client TLS configuration for a
// self-signed certificate of "bufconn.test", generated for the test.
func tlsConfigs(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "bufconn.test"},
		DNSNames:     []string{"bufconn.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS13}
	client = &tls.Config{RootCAs: pool, ServerName: "bufconn.test", MinVersion: tls.VersionTLS13}
	return server, client
}

// tlsOptions returns matching server and client options for TLS.
func tlsOptions(t testing.TB) (grpc.ServerOption, grpc.DialOption) {
	t.Helper()
	s, c := tlsConfigs(t)
	return grpc.Creds(credentials.NewTLS(s)), grpc.WithTransportCredentials(credentials.NewTLS(c))
}
