package middleware

import (
	"context"
	"slices"
	"testing"
	"time"
)

// Benchmarks of sender-constrained tokens. The goals (issue 13): a DPoP
// request with a cached token costs at most 1.10× the bare signature check
// of its proof (BenchmarkDPoPProofSignature), per proof algorithm; the
// certificate-binding check at most 1 µs over a bearer request.
//
//	go test -run '^$' -bench 'DPoP|CertificateBinding' -benchtime 2000x ./middleware

var dpopBenchAlgs = []string{"ES256", "EdDSA", "RS256"}

// proofsFor pre-signs n proofs for token, each with its own jti (a proof
// cannot be accepted twice).
func proofsFor(c *dpopClient, token string, n int) []string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = c.proof(token, nil, nil)
	}
	return ps
}

// BenchmarkDPoPProofSignature is the bare signature check of a proof: the
// JWS verifier on a proof already split, with its key already parsed.
func BenchmarkDPoPProofSignature(b *testing.B) {
	for _, alg := range dpopBenchAlgs {
		b.Run(alg, func(b *testing.B) {
			c := newDPoPClient(b, alg)
			proof := c.proof("token", nil, nil)
			var j jws
			if err := splitJWS(proof, &j); err != nil {
				b.Fatal(err)
			}
			key := c.k.key
			b.ReportAllocs()
			b.ResetTimer()
			cpu := startCPU()
			for range b.N {
				if !j.verify(key) {
					b.Fatal("verify failed")
				}
			}
			cpu.report(b)
		})
	}
}

// BenchmarkDPoPCachedToken is a whole DPoP request to the core with a
// cached access token: every proof check, the in-memory replay store.
func BenchmarkDPoPCachedToken(b *testing.B) {
	for _, alg := range dpopBenchAlgs {
		b.Run(alg, func(b *testing.B) { benchDPoP(b, alg, nil) })
	}
}

// BenchmarkDPoPColdToken is the same with the token cache off: the access
// token's signature is verified too.
func BenchmarkDPoPColdToken(b *testing.B) {
	for _, alg := range dpopBenchAlgs {
		b.Run(alg, func(b *testing.B) { benchDPoP(b, alg, &Config{CacheSize: -1}) })
	}
}

func benchDPoP(b *testing.B, alg string, cfg *Config) {
	tk := keyFor(b, "ES256")
	c := newDPoPClient(b, alg)
	token := c.boundToken(tk)
	v := dpopValidator(b, "ES256", DPoPAllowed, cfg)
	if _, err := v.Authenticate(context.Background(), dpopCred(token, c.proof(token, nil, nil))); err != nil {
		b.Fatal(err) // warms the token cache and the proof-key cache
	}
	proofs := proofsFor(c, token, b.N)
	creds := make([]Credentials, b.N)
	for i := range creds {
		creds[i] = *dpopCred(token, proofs[i])
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := range b.N {
		if _, err := v.Authenticate(ctx, &creds[i]); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// BenchmarkCertificateBinding compares a bearer request with a cached
// token to one with a cached certificate-bound token and its certificate.
func BenchmarkCertificateBinding(b *testing.B) {
	tk := keyFor(b, "ES256")
	v := dpopValidator(b, "ES256", DPoPOff, nil)
	cert, _ := newClientCert(b, "client")
	for _, bc := range []struct {
		name string
		cred Credentials
	}{
		{"bearer", Credentials{Authorization: []string{"Bearer " + tk.token()}}},
		{"certificate_bound", Credentials{Authorization: []string{"Bearer " + certBound(tk, cert)}, PeerCertificate: cert}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			if _, err := v.Authenticate(ctx, &bc.cred); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := startCPU()
			for range b.N {
				if _, err := v.Authenticate(ctx, &bc.cred); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}

// BenchmarkDPoPPaired measures the goal's ratio directly on a busy machine:
// each iteration runs the bare signature check of a proof and a whole DPoP
// request with a cached token (another proof of the same key) back to back,
// in alternating order, and reports the median ratio as request/signature.
func BenchmarkDPoPPaired(b *testing.B) {
	for _, alg := range dpopBenchAlgs {
		b.Run(alg, func(b *testing.B) {
			tk := keyFor(b, "ES256")
			c := newDPoPClient(b, alg)
			token := c.boundToken(tk)
			v := dpopValidator(b, "ES256", DPoPAllowed, nil)
			ctx := context.Background()
			if _, err := v.Authenticate(ctx, dpopCred(token, c.proof(token, nil, nil))); err != nil {
				b.Fatal(err)
			}
			var j jws
			if err := splitJWS(c.proof(token, nil, nil), &j); err != nil {
				b.Fatal(err)
			}
			const n = 400 // proofs signed ahead; the loop cycles through them with fresh jti each round
			// Credentials built ahead too: a front door fills them on its
			// stack, aliasing the request's header values.
			creds := func() []Credentials {
				cs := make([]Credentials, n)
				for i, p := range proofsFor(c, token, n) {
					cs[i] = *dpopCred(token, p)
				}
				return cs
			}
			proofs := creds()
			bare := func(int) {
				if !j.verify(c.k.key) {
					b.Fatal("verify failed")
				}
			}
			var ratios []float64
			for i := 0; b.Loop(); i++ {
				if i > 0 && i%n == 0 {
					b.StopTimer()
					proofs = creds()
					b.StartTimer()
				}
				req := func(i int) {
					if _, err := v.Authenticate(ctx, &proofs[i%n]); err != nil {
						b.Fatal(err)
					}
				}
				first, second := bare, req
				if i%2 == 1 {
					first, second = req, bare
				}
				t0 := time.Now()
				first(i)
				t1 := time.Now()
				second(i)
				t2 := time.Now()
				db, dr := t1.Sub(t0), t2.Sub(t1)
				if i%2 == 1 {
					db, dr = dr, db
				}
				ratios = append(ratios, float64(dr)/float64(db))
			}
			slices.Sort(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "request/signature")
		})
	}
}

// BenchmarkCertificateBindingPaired measures the certificate-binding goal
// on a busy machine: a bearer request and a certificate-bound one (both
// cached tokens) back to back, in alternating order; it reports the median
// extra time of the bound one in ns.
func BenchmarkCertificateBindingPaired(b *testing.B) {
	tk := keyFor(b, "ES256")
	v := dpopValidator(b, "ES256", DPoPOff, nil)
	cert, _ := newClientCert(b, "client")
	ctx := context.Background()
	bearer := Credentials{Authorization: []string{"Bearer " + tk.token()}}
	bound := Credentials{Authorization: []string{"Bearer " + certBound(tk, cert)}, PeerCertificate: cert}
	run := func(c *Credentials) func() {
		return func() {
			if _, err := v.Authenticate(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
	}
	plain, withCert := run(&bearer), run(&bound)
	plain()
	withCert()
	var extra []float64
	for i := 0; b.Loop(); i++ {
		first, second := plain, withCert
		if i%2 == 1 {
			first, second = withCert, plain
		}
		t0 := time.Now()
		first()
		t1 := time.Now()
		second()
		t2 := time.Now()
		dp, dc := t1.Sub(t0), t2.Sub(t1)
		if i%2 == 1 {
			dp, dc = dc, dp
		}
		extra = append(extra, float64(dc-dp))
	}
	slices.Sort(extra)
	b.ReportMetric(extra[len(extra)/2], "extra-ns")
}
