package middleware

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The benchmarks of issue #2. Compare with
//
//	go test -run '^$' -bench 'Floor|Validate' -benchmem -cpu 1 -count 6 ./middleware | tee new.txt
//	benchstat new.txt
//
// BenchmarkFloor is the bare signature check over the same token, done with
// the standard library only: base64url-decode the signature, hash the signing
// input, verify. BenchmarkValidate/<alg>/cold is Validate with the cache off;
// /cached is Validate of a token already in the cache.

var benchAlgs = []string{"RS256", "ES256", "EdDSA"}

func BenchmarkFloor(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run(alg, func(b *testing.B) {
			k := keyFor(b, alg)
			tok := k.token()
			dot := strings.LastIndexByte(tok, '.')
			input, sig := []byte(tok[:dot]), []byte(tok[dot+1:])
			pub := k.key.Public()
			if !floorVerify(pub, input, sig) {
				b.Fatalf("floorVerify(%s token) = false, want true", alg)
			}
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				if !floorVerify(pub, input, sig) {
					b.Fatal("floorVerify = false")
				}
			}
			cpu.report(b)
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	ctx := context.Background()
	for _, alg := range benchAlgs {
		k := keyFor(b, alg)
		tok := k.token()
		for _, mode := range []struct {
			name string
			size int
		}{{"cold", -1}, {"cached", 0}} {
			b.Run(alg+"/"+mode.name, func(b *testing.B) {
				v := newTestValidator(b, []*testKey{k}, nil, &Config{CacheSize: mode.size})
				if _, err := v.Validate(ctx, tok); err != nil {
					b.Fatalf("Validate(%s token) = %v, want nil", alg, err)
				}
				b.ReportAllocs()
				cpu := startCPU()
				for b.Loop() {
					if _, err := v.Validate(ctx, tok); err != nil {
						b.Fatal(err)
					}
				}
				cpu.report(b)
			})
		}
	}
}

// floorVerify is the least a verifier must do, with the standard library
// alone: decode the base64url signature b64sig, hash the signing input
// (SHA-256: the benchmarked algorithms all use it), verify. An ECDSA
// signature is R||S (RFC 7518 §3.4), re-encoded as the ASN.1 that
// crypto/ecdsa takes.
func floorVerify(pub crypto.PublicKey, input, b64sig []byte) bool {
	var buf [512]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], b64sig)
	if err != nil {
		return false
	}
	sig := buf[:n]
	switch pub := pub.(type) {
	case ed25519.PublicKey:
		return ed25519.Verify(pub, input, sig)
	case *rsa.PublicKey:
		d := sha256.Sum256(input)
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig) == nil
	case *ecdsa.PublicKey:
		d := sha256.Sum256(input)
		var der [80]byte
		return ecdsa.VerifyASN1(pub, d[:], asn1Sig(der[:0], sig[:32], sig[32:]))
	}
	return false
}

// asn1Sig appends the DER SEQUENCE of INTEGER r and s (each at most 32
// bytes, so every length fits in one byte).
func asn1Sig(dst, r, s []byte) []byte {
	r, s = trimZeros(r), trimZeros(s)
	rl, sl := len(r)+int(r[0]>>7), len(s)+int(s[0]>>7)
	dst = append(dst, 0x30, byte(4+rl+sl), 0x02, byte(rl))
	if rl > len(r) {
		dst = append(dst, 0)
	}
	dst = append(append(dst, r...), 0x02, byte(sl))
	if sl > len(s) {
		dst = append(dst, 0)
	}
	return append(dst, s...)
}

func trimZeros(b []byte) []byte {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

// BenchmarkOverhead is what cold validation adds to the floor: everything
// Validate does for a JWS but the signature check (split, header, claims,
// issuer, type, key lookup, time claims, scopes).
func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()
	for _, alg := range benchAlgs {
		b.Run(alg, func(b *testing.B) {
			k := keyFor(b, alg)
			tok := k.token()
			v := newTestValidator(b, []*testKey{k}, nil, &Config{CacheSize: -1})
			b.ReportAllocs()
			for b.Loop() {
				var j jws
				var sigBuf [sigBufSize]byte
				if _, err := splitToken(tok, &j, sigBuf[:], &v.headers); err != nil {
					b.Fatal(err)
				}
				c, sp, err := j.claims()
				if err != nil {
					b.Fatal(err)
				}
				is, err := v.issuerOf(c)
				if err != nil || !is.algs.Has(j.a) || !is.typeAllowed(j.typ, j.hasTyp) {
					b.Fatal("issuer, alg or typ refused")
				}
				key, err := is.Keys.LookupKey(ctx, j.kid)
				if err != nil || !key.Accepts(j.alg) {
					b.Fatal("key refused")
				}
				if err := v.checkClaims(c, is, v.now(), true); err != nil {
					b.Fatal(err)
				}
				if err := c.setScopes(sp, is.ScopeClaim, &v.scopeSets); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cpuClock measures the CPU time of the process's threads, from Linux's
// /proc/self/task/*/schedstat (nanoseconds on a CPU); elsewhere it reports
// nothing.
type cpuClock struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuClock {
	t, ok := processCPU()
	return cpuClock{t, ok}
}

func (c cpuClock) report(b *testing.B) {
	if end, ok := processCPU(); ok && c.ok && b.N > 0 {
		b.ReportMetric(float64(end-c.start)/float64(b.N), "cpu-ns/op")
	}
}

func processCPU() (time.Duration, bool) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, false
	}
	var total time.Duration
	for _, task := range tasks {
		stat, err := os.ReadFile("/proc/self/task/" + task.Name() + "/schedstat")
		if err != nil {
			continue // the thread exited
		}
		field, _, _ := strings.Cut(string(stat), " ")
		ns, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return 0, false
		}
		total += time.Duration(ns)
	}
	return total, true
}

// BenchmarkPaired measures the acceptance ratio directly on a busy machine:
// each iteration runs the floor and a cold Validate of the same token back to
// back (in alternating order), and the benchmark reports the median ratio of
// their durations as cold/floor. Neighbouring runs share the machine's load,
// which the separate sec/op figures do not.
func BenchmarkPaired(b *testing.B) {
	ctx := context.Background()
	for _, alg := range benchAlgs {
		b.Run(alg, func(b *testing.B) {
			k := keyFor(b, alg)
			tok := k.token()
			dot := strings.LastIndexByte(tok, '.')
			input, sig := []byte(tok[:dot]), []byte(tok[dot+1:])
			pub := k.key.Public()
			v := newTestValidator(b, []*testKey{k}, nil, &Config{CacheSize: -1})
			floor := func() {
				if !floorVerify(pub, input, sig) {
					b.Fatal("floorVerify = false")
				}
			}
			cold := func() {
				if _, err := v.Validate(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
			var ratios []float64
			for i := 0; b.Loop(); i++ {
				first, second := floor, cold
				if i%2 == 1 {
					first, second = cold, floor
				}
				t0 := time.Now()
				first()
				t1 := time.Now()
				second()
				t2 := time.Now()
				df, dc := t1.Sub(t0), t2.Sub(t1)
				if i%2 == 1 {
					df, dc = dc, df
				}
				ratios = append(ratios, float64(dc)/float64(df))
			}
			slices.Sort(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "cold/floor")
		})
	}
}
