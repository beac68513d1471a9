package bench_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rsguard/rsguard/bench"
)

// Every benchmark below runs on the fixture's keys and tokens, one
// sub-benchmark per algorithm, and checks once before the timed loop that the
// token is accepted, so that none measures a failure path.

func BenchmarkFloor(b *testing.B) {
	f := loadFixture(b)
	for _, alg := range bench.Algorithms {
		b.Run(alg, func(b *testing.B) {
			verify := bench.Floor(f.Cases[alg])
			if !verify() {
				b.Fatalf("Floor(%s)() = false, want true", alg)
			}
			measure(b, func() {
				if !verify() {
					b.Fatal("signature refused")
				}
			})
		})
	}
}

func BenchmarkRSGuard(b *testing.B) {
	f := loadFixture(b)
	for _, alg := range bench.Algorithms {
		for _, mode := range []struct {
			name      string
			cacheSize int
		}{{"cold", -1}, {"cached", 0}} {
			b.Run(alg+"/"+mode.name, func(b *testing.B) {
				v, err := bench.NewRSGuard(f, mode.cacheSize)
				if err != nil {
					b.Fatalf("NewRSGuard() = %v", err)
				}
				ctx, tok := context.Background(), f.Cases[alg].Token
				if _, err := v.Validate(ctx, tok); err != nil {
					b.Fatalf("Validate(%s token) = %v, want nil", alg, err)
				}
				measure(b, func() {
					if _, err := v.Validate(ctx, tok); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

func BenchmarkJWX(b *testing.B)       { benchPeer(b, bench.NewJWX) }
func BenchmarkGolangJWT(b *testing.B) { benchPeer(b, bench.NewGolangJWT) }
func BenchmarkKeyfunc(b *testing.B)   { benchPeer(b, bench.NewKeyfunc) }
func BenchmarkGoJose(b *testing.B)    { benchPeer(b, bench.NewGoJose) }

func BenchmarkAuth0(b *testing.B) {
	f := loadFixture(b)
	srv := bench.ServeJWKS(f)
	defer srv.Close()
	for _, alg := range bench.Algorithms {
		b.Run(alg, func(b *testing.B) {
			a, err := bench.NewAuth0(f, alg, srv.URL+"/jwks")
			if err != nil {
				b.Fatalf("NewAuth0(%s) = %v", alg, err)
			}
			runVerifier(b, bench.Auth0Verifier(a), f.Cases[alg].Token)
		})
	}
}

func benchPeer(b *testing.B, newPeer func(*bench.Fixture) (bench.Verifier, error)) {
	f := loadFixture(b)
	v, err := newPeer(f)
	if err != nil {
		b.Fatalf("setup = %v", err)
	}
	for _, alg := range bench.Algorithms {
		b.Run(alg, func(b *testing.B) { runVerifier(b, v, f.Cases[alg].Token) })
	}
}

func runVerifier(b *testing.B, v bench.Verifier, tok string) {
	b.Helper()
	ctx := context.Background()
	if err := v(ctx, tok); err != nil {
		b.Fatalf("Verify(token) = %v, want nil", err)
	}
	measure(b, func() {
		if err := v(ctx, tok); err != nil {
			b.Fatal(err)
		}
	})
}

// measure runs op in the benchmark loop and reports, beside wall time and
// allocations, the process CPU time per operation ("cpu-ns/op"): with -cpu 1
// it is the benchmark's own work, steadier than wall time on a busy machine.
func measure(b *testing.B, op func()) {
	b.Helper()
	b.ReportAllocs()
	start, ok := bench.CPUTime()
	for b.Loop() {
		op()
	}
	if end, ok2 := bench.CPUTime(); ok && ok2 && b.N > 0 {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkPaired times the floor, rsguard cold and every peer call by call
// on the same token, in an order rotated at every iteration, and reports the
// ratios of their median call times: "cold/floor", "cold/cached" and
// "<peer>/cold". On a
// shared, busy machine the load changes from second to second, and a call
// that loses its core for a scheduler slice takes a hundred times longer; here
// every verifier sees the same load, and the median ignores the calls that
// were preempted, so the ratios hold where separate benchmarks' means do not.
func BenchmarkPaired(b *testing.B) {
	f := loadFixture(b)
	srv := bench.ServeJWKS(f)
	defer srv.Close()
	for _, alg := range bench.Algorithms {
		b.Run(alg, func(b *testing.B) {
			ops := pairedOps(b, f, alg, srv.URL+"/jwks")
			ctx, tok := context.Background(), f.Cases[alg].Token
			times := make([][]float64, len(ops))
			turn := 0
			for b.Loop() {
				for i := range ops {
					k := (turn + i) % len(ops)
					start := time.Now()
					if err := ops[k].v(ctx, tok); err != nil {
						b.Fatalf("%s: %v", ops[k].name, err)
					}
					times[k] = append(times[k], float64(time.Since(start)))
				}
				turn++
			}
			median := make([]float64, len(ops))
			for k := range ops {
				median[k] = bench.Median(times[k])
			}
			b.ReportMetric(median[1]/median[0], "cold/floor")
			b.ReportMetric(median[1]/median[2], "cold/cached")
			for k := 3; k < len(ops); k++ {
				b.ReportMetric(median[k]/median[1], ops[k].name+"/cold")
			}
		})
	}
}

// pairedOps returns the floor, rsguard cold, rsguard cached and the peers, in
// that order, each checked once to accept the token (which warms the cache).
func pairedOps(b *testing.B, f *bench.Fixture, alg, jwksURL string) []namedVerifier {
	b.Helper()
	floor := bench.Floor(f.Cases[alg])
	ops := []namedVerifier{{"floor", func(context.Context, string) error {
		if !floor() {
			return errors.New("signature refused")
		}
		return nil
	}}}
	for _, rs := range []struct {
		name      string
		cacheSize int
	}{{"cold", -1}, {"cached", 0}} {
		v, err := bench.NewRSGuard(f, rs.cacheSize)
		if err != nil {
			b.Fatalf("NewRSGuard() = %v", err)
		}
		ops = append(ops, namedVerifier{rs.name, func(ctx context.Context, tok string) error {
			_, err := v.Validate(ctx, tok)
			return err
		}})
	}
	news := map[string]func(*bench.Fixture) (bench.Verifier, error){
		"jwx": bench.NewJWX, "golang-jwt": bench.NewGolangJWT, "keyfunc": bench.NewKeyfunc, "go-jose": bench.NewGoJose,
		"auth0": func(f *bench.Fixture) (bench.Verifier, error) {
			a, err := bench.NewAuth0(f, alg, jwksURL)
			return bench.Auth0Verifier(a), err
		},
	}
	for _, p := range bench.Peers {
		v, err := news[p.Key](f)
		if err != nil {
			b.Fatalf("%s: setup = %v", p.Key, err)
		}
		ops = append(ops, namedVerifier{p.Key, v})
	}
	for _, op := range ops {
		if err := op.v(context.Background(), f.Cases[alg].Token); err != nil {
			b.Fatalf("%s: Verify(%s token) = %v, want nil", op.name, alg, err)
		}
	}
	return ops
}

// BenchmarkHandler serves one request in process, without the network, by
// each handler of the HTTP figure: what the guard itself costs per request.
func BenchmarkHandler(b *testing.B) {
	f := loadFixture(b)
	srv := bench.ServeJWKS(f)
	defer srv.Close()
	const alg = "RS256"
	hs, err := bench.Handlers(f, alg, srv.URL+"/jwks")
	if err != nil {
		b.Fatalf("Handlers() = %v", err)
	}
	for _, name := range bench.ServerNames {
		b.Run(alg+"/"+name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Authorization", "Bearer "+f.Cases[alg].Token)
			serve := func() {
				w := httptest.NewRecorder()
				hs[name].ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s answered %d, want 200", name, w.Code)
				}
			}
			serve() // accepted, and rsguard's cache warm
			measure(b, serve)
		})
	}
}
