package dpop_test

import (
	"testing"

	"github.com/rsguard/rsguard/middleware/dpop"
)

// BenchmarkProof is the client's cost per request: one proof with "ath",
// per algorithm (the signature dominates).
//
//	go test -run '^$' -bench Proof -benchtime 200x ./middleware/dpop
func BenchmarkProof(b *testing.B) {
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		b.Run(alg, func(b *testing.B) {
			k, err := dpop.GenerateKey(alg)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Proof("GET", "https://api.example.test/orders?page=2", "an-access-token", "a-nonce"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
