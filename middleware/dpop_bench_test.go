package middleware

import (
	"context"
	"testing"
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
			for range b.N {
				if !j.verify(key) {
					b.Fatal("verify failed")
				}
			}
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
	for i := range b.N {
		if _, err := v.Authenticate(ctx, &creds[i]); err != nil {
			b.Fatal(err)
		}
	}
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
			for range b.N {
				if _, err := v.Authenticate(ctx, &bc.cred); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
