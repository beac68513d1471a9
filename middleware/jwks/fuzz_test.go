package jwks

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/internal/jsonscan"
	"github.com/rsguard/rsguard/internal/keytest"
)

// FuzzParseSet: ParseSet never panics; every key it returns is usable by
// the rules of RFC 7517 §4.3 (key_ops), §4.7 (x5c, checked by construction)
// and the RSA bounds; a document or JWK with a member name twice, also in
// another case, yields no key.
func FuzzParseSet(f *testing.F) {
	good := string(keytest.JSON(keytest.PublicJWK(f, "es", signerFor(f, "ES256").Public())))
	for _, seed := range []string{
		`{"keys":[` + good + `]}`,
		`{"keys":[` + good + `],"Keys":[]}`,
		`{"keys":[` + strings.Replace(good, "{", `{"key_ops":["verify"],`, 1) + `]}`,
		`{"keys":[` + strings.Replace(good, "{", `{"key_ops":["sign"],`, 1) + `]}`,
		`{"keys":[` + strings.Replace(good, "{", `{"kid":"a",`, 1) + `]}`,
		`{"keys":[` + strings.Replace(good, "{", `{"x5c":["MIIB"],`, 1) + `]}`,
		`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`,
		`{"keys":[]}`, `{}`, `[]`, `{"keys":{}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, skipped, err := ParseSet(data)
		if err != nil {
			if keys != nil || skipped != nil {
				t.Fatalf("ParseSet(%q) = keys and an error", data)
			}
			return
		}
		if jsonscan.UniqueMembers(data) != nil {
			t.Fatalf("ParseSet(%q) accepted a document with a repeated member", data)
		}
		for _, err := range skipped {
			if !errors.Is(err, ErrUnusableKey) {
				t.Fatalf("ParseSet(%q) skipped a key for %v, want %v", data, err, ErrUnusableKey)
			}
		}
		for _, k := range keys {
			checkLoadedKey(t, data, k)
		}
	})
}

// checkLoadedKey fails unless k obeys the rules a loaded key must.
func checkLoadedKey(t *testing.T, data []byte, k *Key) {
	t.Helper()
	switch pub := k.public.(type) {
	case *rsa.PublicKey:
		if n := pub.N.BitLen(); n < MinRSABits || n > MaxRSABits || pub.N.Bit(0) == 0 || pub.E < 3 || pub.E%2 == 0 {
			t.Fatalf("ParseSet(%q) loaded an RSA key of %d bits, exponent %d", data, n, pub.E)
		}
	case *ecdsa.PublicKey:
	default:
		if k.family != "OKP-Ed25519" {
			t.Fatalf("ParseSet(%q) loaded a %s key", data, k.family)
		}
	}
}
