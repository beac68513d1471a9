package grpcguard_test

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/rsguard/rsguard/adapters/grpcguard"
	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/scopes"
)

// serveTLS starts g's server on a loopback TCP port with TLS that asks for
// (and does not require) a client certificate, and returns a dialer for a
// client presenting cert (nil: none).
func serveTLS(t *testing.T, g *grpcguard.Guard) func(cert *tls.Certificate) testpb.TestServiceClient {
	t.Helper()
	serverTLS, clientTLS := tlsConfigs(t)
	serverTLS.ClientAuth = tls.RequestClientCert
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(serverTLS)),
		grpc.ChainUnaryInterceptor(g.UnaryServerInterceptor()))
	testpb.RegisterTestServiceServer(srv, testService{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return func(cert *tls.Certificate) testpb.TestServiceClient {
		c := clientTLS.Clone()
		if cert != nil {
			c.Certificates = []tls.Certificate{*cert}
		}
		conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(credentials.NewTLS(c)),
			grpc.WithAuthority("bufconn.test"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return testpb.NewTestServiceClient(conn)
	}
}

// TestCertificateBoundGRPC checks certificate-bound tokens (RFC 8705 §3)
// over real mutual TLS on loopback: the token's "x5t#S256" against the
// client certificate of the connection — match, mismatch, none.
func TestCertificateBoundGRPC(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{unaryCall: guardtest.Requirement}))
	connect := serveTLS(t, g)
	mine, other := guardtest.ClientCertificate("client"), guardtest.ClientCertificate("other")
	token := f.CertificateToken(mine.Leaf)
	tests := []struct {
		name string
		cert *tls.Certificate
		code codes.Code
		msg  string
	}{
		{"match", &mine, codes.OK, ""},
		{"mismatch", &other, codes.Unauthenticated, "client certificate does not match the token"},
		{"none", nil, codes.Unauthenticated, "token is sender-constrained"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := connect(tt.cert).UnaryCall(withAuth(t, []string{"Bearer " + token}), &testpb.SimpleRequest{})
			st := status.Convert(err)
			if st.Code() != tt.code || !strings.Contains(st.Message(), tt.msg) {
				t.Fatalf("UnaryCall = %v, want %v %q", err, tt.code, tt.msg)
			}
			if tt.code == codes.OK && resp.GetUsername() != guardtest.Subject {
				t.Fatalf("subject seen by the handler = %q, want %q", resp.GetUsername(), guardtest.Subject)
			}
		})
	}
}

// TestDPoPGRPC checks DPoP over gRPC: refused by default, even with a valid
// proof in "dpop" metadata; with WithDPoP, a proof of POST
// https://<authority>/<service>/<method> is accepted once, and a proof of
// any other URI is refused.
func TestDPoPGRPC(t *testing.T) {
	f := guardtest.New(t)
	methods := grpcguard.WithMethods(map[string]scopes.Requirement{unaryCall: guardtest.Requirement})
	plain := serveTLS(t, newGuard(t, f.Validator, methods))(nil)
	mapped := serveTLS(t, newGuard(t, f.Validator, methods, grpcguard.WithDPoP()))(nil)
	token := f.DPoPToken()
	htu := "https://bufconn.test" + unaryCall
	call := func(t *testing.T, c testpb.TestServiceClient, proof string) (*testpb.SimpleResponse, error) {
		ctx := metadata.AppendToOutgoingContext(withAuth(t, []string{"DPoP " + token}), "dpop", proof)
		return c.UnaryCall(ctx, &testpb.SimpleRequest{})
	}
	if _, err := call(t, plain, f.Proof(token, "POST", htu)); status.Code(err) != codes.Unauthenticated ||
		!strings.Contains(status.Convert(err).Message(), "token is sender-constrained") {
		t.Fatalf("without WithDPoP: %v, want Unauthenticated, sender-constrained", err)
	}
	proof := f.Proof(token, "POST", htu)
	resp, err := call(t, mapped, proof)
	if err != nil || resp.GetUsername() != guardtest.Subject {
		t.Fatalf("WithDPoP: %v, %v; want the subject", resp, err)
	}
	if _, err := call(t, mapped, proof); !strings.Contains(status.Convert(err).Message(), "DPoP proof already used") {
		t.Fatalf("replayed proof: %v, want refused as used", err)
	}
	for _, bad := range []struct{ method, uri string }{
		{"GET", htu},
		{"POST", "https://bufconn.test" + emptyCall},
		{"POST", "https://other.test" + unaryCall},
	} {
		if _, err := call(t, mapped, f.Proof(token, bad.method, bad.uri)); status.Code(err) != codes.Unauthenticated {
			t.Errorf("proof of %s %s: %v, want Unauthenticated", bad.method, bad.uri, err)
		}
	}
}
