package grpcguard_test

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/rsguard/rsguard/adapters/grpcguard"
	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/scopes"
)

// Shape of one burst of BenchmarkGRPCThroughput: workers concurrent callers,
// each making burstCalls unary calls in a row.
const (
	workers    = 4
	burstCalls = 25
)

// BenchmarkGRPCThroughput measures the throughput of unary calls over TCP
// on loopback to a server protected by the interceptor (a valid token
// satisfying guardtest.Requirement, cache warm) against the same server
// without it, paired in one run: every iteration sends one burst to each
// server, alternating which goes first, so that both see the same machine
// load. Both calls carry the same token, so the wire cost is the same; the
// metric protected/bare is the protected server's throughput as a fraction
// of the bare one's (goal: at least 0.95), the median of the iterations'
// ratios. The method is EmptyCall, whose handler does the same (nothing)
// on both servers, so that only the interceptor differs.
func BenchmarkGRPCThroughput(b *testing.B) {
	f := guardtest.New(b)
	g := newGuard(b, f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{emptyCall: guardtest.Requirement}))
	bare := serveTCP(b, grpc.NewServer())
	protected := serveTCP(b, grpc.NewServer(grpc.ChainUnaryInterceptor(g.UnaryServerInterceptor())))
	ctx := metadata.NewOutgoingContext(context.Background(), metadata.MD{"authorization": {"Bearer " + f.Token(guardtest.Scope)}})
	for _, c := range []testpb.TestServiceClient{bare, protected} {
		for range 50 { // warm: connection, token cache, buffers
			if _, err := c.EmptyCall(ctx, &testpb.Empty{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	var tBare, tProtected time.Duration
	var ratios []float64
	for b.Loop() {
		var pb, pp time.Duration
		if len(ratios)%2 == 0 {
			pb = burst(b, ctx, bare)
			pp = burst(b, ctx, protected)
		} else {
			pp = burst(b, ctx, protected)
			pb = burst(b, ctx, bare)
		}
		tBare, tProtected = tBare+pb, tProtected+pp
		ratios = append(ratios, pb.Seconds()/pp.Seconds())
	}
	calls := float64(len(ratios) * workers * burstCalls)
	b.ReportMetric(calls/tBare.Seconds(), "bare-calls/s")
	b.ReportMetric(calls/tProtected.Seconds(), "protected-calls/s")
	b.ReportMetric(median(ratios), "protected/bare")
}

// median returns the median of xs (which it sorts): the pairs' ratio that
// a burst of load on the shared machine moves least.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// burst makes workers × burstCalls unary calls to c and returns how long
// they took.
func burst(b *testing.B, ctx context.Context, c testpb.TestServiceClient) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for range burstCalls {
				if _, err := c.EmptyCall(ctx, &testpb.Empty{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// serveTCP serves the test service with srv on a loopback TCP port and
// returns a client connected to it.
func serveTCP(tb testing.TB, srv *grpc.Server) testpb.TestServiceClient {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	testpb.RegisterTestServiceServer(srv, testService{})
	go srv.Serve(lis)
	tb.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return testpb.NewTestServiceClient(conn)
}
