package oauthtest

import (
	"crypto"
	"testing"

	"github.com/rsguard/rsguard/internal/jose"
)

// TestVerifyPairs checks every key type against every algorithm: a signature
// verifies only under the algorithm it was made with, and no pairing panics.
func TestVerifyPairs(t *testing.T) {
	t.Parallel()
	keys := map[string]crypto.Signer{}
	for _, alg := range []string{"RS256", "ES256", "ES384", "ES512", "EdDSA"} {
		priv, err := jose.GenerateKey(alg)
		if err != nil {
			t.Fatalf("jose.GenerateKey(%s): %v", alg, err)
		}
		keys[alg] = priv
	}
	keyFor := map[string]string{
		"RS256": "RS256", "RS384": "RS256", "RS512": "RS256", "PS256": "RS256", "PS384": "RS256", "PS512": "RS256",
		"ES256": "ES256", "ES384": "ES384", "ES512": "ES512", "EdDSA": "EdDSA",
	}
	input := []byte("header.payload")
	for signAlg, keyName := range keyFor {
		sig, err := sign(signAlg, keys[keyName], input)
		if err != nil {
			t.Fatalf("sign(%s): %v", signAlg, err)
		}
		for verifyAlg := range keyFor {
			for _, other := range []string{"none", "HS256", "Ed25519X", ""} {
				if verify(other, keys[keyName].Public(), input, sig) {
					t.Errorf("verify(%q, %s key) = true, want false", other, keyName)
				}
			}
			want := verifyAlg == signAlg
			if got := verify(verifyAlg, keys[keyName].Public(), input, sig); got != want {
				t.Errorf("verify(%s, %s signature) = %v, want %v", verifyAlg, signAlg, got, want)
			}
		}
		if verify(signAlg, keys[keyName].Public(), []byte("other"), sig) {
			t.Errorf("verify(%s) of other input = true, want false", signAlg)
		}
	}
}
