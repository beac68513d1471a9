package jwks

import (
	"crypto"
	"crypto/hmac"
	"maps"
	"sync"
	"testing"

	"github.com/rsguard/rsguard/internal/jose"
)

// Test keys are generated once per algorithm and process (RSA generation
// is slow); tests that need distinct keys call [jose.GenerateKey] themselves.
var (
	signersMu sync.Mutex
	signers   = map[string]crypto.Signer{}
)

// signerFor returns the process's test signing key for alg.
func signerFor(tb testing.TB, alg string) crypto.Signer {
	tb.Helper()
	signersMu.Lock()
	defer signersMu.Unlock()
	if s, ok := signers[alg]; ok {
		return s
	}
	s, err := jose.GenerateKey(alg)
	if err != nil {
		tb.Fatal(err)
	}
	signers[alg] = s
	return s
}

// merge returns base with mods set.
func merge(base, mods map[string]any) map[string]any {
	out := maps.Clone(base)
	maps.Copy(out, mods)
	return out
}

// signature signs input under alg with signer (a crypto.Signer, or an HMAC
// secret as []byte).
func signature(tb testing.TB, signer any, alg string, input []byte) []byte {
	tb.Helper()
	if secret, ok := signer.([]byte); ok {
		h, _ := jose.Lookup(alg)
		mac := hmac.New(h.Hash.New, secret)
		mac.Write(input)
		return mac.Sum(nil)
	}
	sig, err := jose.Signature(signer.(crypto.Signer), alg, input)
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

// verifies reports whether k accepts alg and verifies a fresh signature by
// signer, and refuses the same signature over other input.
func verifies(tb testing.TB, k *Key, signer any, alg string) bool {
	tb.Helper()
	input := []byte("eyJhbGciOiJ0ZXN0In0.eyJzdWIiOiJ0ZXN0In0")
	sig := signature(tb, signer, alg, input)
	if k.Verify(alg, append(input, 'x'), sig) {
		tb.Fatalf("%v verifies %s over other input", k, alg)
	}
	return k.Accepts(alg) && k.Verify(alg, input, sig)
}
