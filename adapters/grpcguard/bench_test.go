package grpcguard_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/rsguard/rsguard/adapters/grpcguard"
	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

var (
	benchResponse = &testpb.SimpleResponse{}
	// unaryHandler is the application handler of a unary method.
	unaryHandler = func(ctx context.Context, _ any) (any, error) {
		if c, ok := middleware.FromContext(ctx); ok && c.Subject == "" {
			return nil, context.Canceled
		}
		return benchResponse, nil
	}
)

// BenchmarkGRPC measures the unary interceptor, cache warm, against calling
// the handler bare, and the net/http guard against its bare handler, with the
// same validator and token: the adapter's overhead (grpc/protected -
// grpc/bare) must stay within 1.2x the guard's (nethttp/protected -
// nethttp/bare). grpc/protected requires a valid token, grpc/protected+scope
// also guardtest.Requirement. The bufconn cases are whole calls over an
// in-memory connection, with the token sent in both, for scale.
func BenchmarkGRPC(b *testing.B) {
	f := guardtest.New(b)
	token := f.Token(guardtest.Scope)
	g := newGuard(b, f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{
		emptyCall: nil, unaryCall: guardtest.Requirement,
	}))
	hg := guardtest.NewGuard(b, f.Validator, nil)
	guardtest.RunBench(b, guardtest.BenchRequest(token), guardtest.NetHTTPBenchCases("nethttp/", hg, guardtest.Requirement))

	ctx := metadata.NewIncomingContext(context.Background(), metadata.MD{"authorization": {"Bearer " + token}})
	unary := g.UnaryServerInterceptor()
	for _, bc := range []struct {
		name   string
		method string
		call   func(info *grpc.UnaryServerInfo) (any, error)
	}{
		{"grpc/bare", emptyCall, func(*grpc.UnaryServerInfo) (any, error) { return unaryHandler(ctx, nil) }},
		{"grpc/protected", emptyCall, func(info *grpc.UnaryServerInfo) (any, error) { return unary(ctx, nil, info, unaryHandler) }},
		{"grpc/protected+scope", unaryCall, func(info *grpc.UnaryServerInfo) (any, error) { return unary(ctx, nil, info, unaryHandler) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			info := &grpc.UnaryServerInfo{FullMethod: bc.method}
			if _, err := bc.call(info); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				bc.call(info)
			}
		})
	}

	for _, bc := range []struct {
		name string
		lis  func() *grpc.ClientConn
	}{
		{"bufconn/bare", func() *grpc.ClientConn {
			bare := grpc.NewServer()
			testpb.RegisterTestServiceServer(bare, testService{})
			return dial(b, serveWith(b, bare))
		}},
		{"bufconn/protected+scope", func() *grpc.ClientConn { return dial(b, serve(b, g)) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			client := testpb.NewTestServiceClient(bc.lis())
			octx := metadata.NewOutgoingContext(context.Background(), metadata.MD{"authorization": {"Bearer " + token}})
			if _, err := client.UnaryCall(octx, &testpb.SimpleRequest{}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				client.UnaryCall(octx, &testpb.SimpleRequest{})
			}
		})
	}
}

// TestAllocs holds the allocation budget: the unary interceptor allocates no
// more per call than the net/http guard per request.
func TestAllocs(t *testing.T) {
	f := guardtest.New(t)
	token := f.Token(guardtest.Scope)
	g := newGuard(t, f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{unaryCall: guardtest.Requirement}))
	r := guardtest.BenchRequest(token)
	h := guardtest.NewGuard(t, f.Validator, nil).Require(guardtest.Requirement, guardtest.BenchHandler)
	w := guardtest.NewBenchWriter()
	h.ServeHTTP(w, r)
	guard := testing.AllocsPerRun(200, func() { h.ServeHTTP(w, r) })

	ctx := metadata.NewIncomingContext(context.Background(), metadata.MD{"authorization": {"Bearer " + token}})
	unary, info := g.UnaryServerInterceptor(), &grpc.UnaryServerInfo{FullMethod: unaryCall}
	if _, err := unary(ctx, nil, info, unaryHandler); err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(200, func() { unary(ctx, nil, info, unaryHandler) })
	t.Logf("unary interceptor: %v allocations per call (net/http guard: %v)", n, guard)
	if n > guard {
		t.Errorf("unary interceptor: %v allocations per call, want at most %v", n, guard)
	}
}
