package bench_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rsguard/rsguard/bench"
	"github.com/rsguard/rsguard/middleware"
)

// BenchmarkDPoPPaired times, call by call in an order rotated every
// iteration, the bare signature check of a fresh proof ("floor", like
// BenchmarkFloor), a whole DPoP request to the core with a cached token
// ("cached": every RFC 9449 §4.3 check, the in-memory replay store) and the
// same with the token cache off ("cold": the access token's ES256 signature
// too), and reports the ratios of their median call times. Each iteration
// signs a new proof outside the timed calls (a proof is accepted once; the
// cached and cold validators have replay stores of their own).
func BenchmarkDPoPPaired(b *testing.B) {
	f := loadFixture(b)
	for _, alg := range bench.DPoPAlgorithms {
		b.Run(alg, func(b *testing.B) {
			c, err := bench.NewDPoPCase(f, alg)
			if err != nil {
				b.Fatal(err)
			}
			cached := dpopValidator(b, f, 0)
			cold := dpopValidator(b, f, -1)
			ctx := context.Background()
			var times [3][]float64
			turn := 0
			for b.Loop() {
				cred, proof, err := c.Credentials()
				if err != nil {
					b.Fatal(err)
				}
				floor, err := bench.ProofFloor(proof, c.Key.Public())
				if err != nil {
					b.Fatal(err)
				}
				ops := [3]func() error{
					func() error { return ok(floor()) },
					func() error { _, err := cached.Authenticate(ctx, cred); return err },
					func() error { _, err := cold.Authenticate(ctx, cred); return err },
				}
				for i := range ops {
					k := (turn + i) % len(ops)
					start := time.Now()
					if err := ops[k](); err != nil {
						b.Fatalf("op %d: %v", k, err)
					}
					times[k] = append(times[k], float64(time.Since(start)))
				}
				turn++
			}
			floor, cachedT := bench.Median(times[0]), bench.Median(times[1])
			b.ReportMetric(cachedT/floor, "cached/floor")
			b.ReportMetric(bench.Median(times[2])/floor, "cold/floor")
			b.ReportMetric(cachedT-floor, "cached-floor-ns") // what DPoP adds to the proof's signature check
		})
	}
}

// BenchmarkCertBindingPaired times a bearer request with a cached token and
// one with a cached certificate-bound token and its certificate (RFC 8705
// §3), alternately, and reports the ratio and the difference of their median
// call times.
func BenchmarkCertBindingPaired(b *testing.B) {
	f := loadFixture(b)
	v, err := bench.NewRSGuard(f, 0)
	if err != nil {
		b.Fatal(err)
	}
	bearer, bound, err := bench.CertificateCredentials(f)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	creds := [2]*middleware.Credentials{bearer, bound}
	for _, c := range creds {
		if _, err := v.Authenticate(ctx, c); err != nil {
			b.Fatalf("Authenticate = %v, want nil", err) // and the cache warm
		}
	}
	var times [2][]float64
	turn := 0
	for b.Loop() {
		for i := range creds {
			k := (turn + i) % 2
			start := time.Now()
			if _, err := v.Authenticate(ctx, creds[k]); err != nil {
				b.Fatal(err)
			}
			times[k] = append(times[k], float64(time.Since(start)))
		}
		turn++
	}
	bm, cm := bench.Median(times[0]), bench.Median(times[1])
	b.ReportMetric(cm/bm, "bound/bearer")
	b.ReportMetric(cm-bm, "bound-bearer-ns")
}

func dpopValidator(b *testing.B, f *bench.Fixture, cacheSize int) *middleware.Validator {
	b.Helper()
	v, err := bench.NewDPoPValidator(f, cacheSize)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func ok(good bool) error {
	if !good {
		return errSignature
	}
	return nil
}

var errSignature = errors.New("proof signature refused")
