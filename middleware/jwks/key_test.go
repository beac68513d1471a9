package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/internal/jose"
	"github.com/rsguard/rsguard/internal/keytest"
)

func TestNewKey(t *testing.T) {
	t.Parallel()
	rsa2048 := signerFor(t, "RS256").Public()
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	p256 := signerFor(t, "ES256").Public()
	p384 := signerFor(t, "ES384").Public()
	p521 := signerFor(t, "ES512").Public()
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	ed := signerFor(t, "EdDSA").Public().(ed25519.PublicKey)
	tests := []struct {
		name string
		alg  string
		pub  crypto.PublicKey
		ok   bool
	}{
		{"RSA 2048", "", rsa2048, true},
		{"RSA 2048 RS256", "RS256", rsa2048, true},
		{"RSA 2048 PS512", "PS512", rsa2048, true},
		{"RSA 1024", "", rsa1024.Public(), false},
		{"RSA 1024 RS256", "RS256", rsa1024.Public(), false},
		{"RSA without modulus", "", &rsa.PublicKey{E: 65537}, false},
		{"RSA ES256", "ES256", rsa2048, false},
		{"RSA HS256", "HS256", rsa2048, false},
		{"RSA none", "none", rsa2048, false},
		{"P-256", "", p256, true},
		{"P-256 ES256", "ES256", p256, true},
		{"P-256 ES384", "ES384", p256, false},
		{"P-384 ES384", "ES384", p384, true},
		{"P-521 ES512", "ES512", p521, true},
		{"P-521 ES256", "ES256", p521, false},
		{"P-224", "", p224.Public(), false},
		{"Ed25519", "", ed, true},
		{"Ed25519 EdDSA", "EdDSA", ed, true},
		{"Ed25519 Ed25519", "Ed25519", ed, true},
		{"Ed25519 ES256", "ES256", ed, false},
		{"Ed25519 short", "", ed[:31], false},
		{"*ed25519.PublicKey", "", &ed, false},
		{"bytes", "", []byte(strings.Repeat("k", 32)), false},
		{"nil", "", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := NewKey("kid", tc.alg, tc.pub)
			if tc.ok {
				if err != nil || k.ID() != "kid" || k.Algorithm() != tc.alg || k.Public() == nil {
					t.Errorf("NewKey(%s) = %v, %v; want a key", tc.name, k, err)
				}
				return
			}
			if !errors.Is(err, ErrUnusableKey) || k != nil {
				t.Errorf("NewKey(%s) = %v, %v; want %v", tc.name, k, err, ErrUnusableKey)
			}
		})
	}
}

// TestKeyAcceptsVerify: Accepts follows the key's own "alg" and type
// (RFC 7517 §4.4, RFC 7518 §3.1); Verify checks the signature, and a key of
// another type, or of another "alg", is false, never a panic.
func TestKeyAcceptsVerify(t *testing.T) {
	t.Parallel()
	rs, es, ed := signerFor(t, "RS256"), signerFor(t, "ES256"), signerFor(t, "EdDSA")
	rsKey, _ := NewKey("rs", "", rs.Public())
	rsPinned, _ := NewKey("rs", "RS256", rs.Public())
	esKey, _ := NewKey("es", "", es.Public())
	edKey, _ := NewKey("ed", "", ed.Public())
	for _, tc := range []struct {
		name   string
		key    *Key
		signer any
		alg    string
		want   bool
	}{
		{"RSA RS256", rsKey, rs, "RS256", true},
		{"RSA PS384", rsKey, rs, "PS384", true},
		{"RSA pinned RS256", rsPinned, rs, "RS256", true},
		{"RSA pinned PS256", rsPinned, rs, "PS256", false},
		{"P-256 ES256", esKey, es, "ES256", true},
		{"Ed25519 EdDSA", edKey, ed, "EdDSA", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := verifies(t, tc.key, tc.signer, tc.alg); got != tc.want {
				t.Errorf("Accepts and Verify(%s) = %v, want %v", tc.alg, got, tc.want)
			}
		})
	}
	input := []byte("a.b")
	for _, tc := range []struct {
		name string
		key  *Key
		alg  string
		sig  []byte
	}{
		{"ES256 signature, RSA key", rsKey, "ES256", signature(t, es, "ES256", input)},
		{"RS256 signature, EC key", esKey, "RS256", signature(t, rs, "RS256", input)},
		{"unknown alg", edKey, "none", nil},
		{"empty signature", edKey, "EdDSA", nil},
	} {
		if tc.key.Accepts(tc.alg) && tc.alg != "EdDSA" {
			t.Errorf("%s: Accepts(%s) = true", tc.name, tc.alg)
		}
		if tc.key.Verify(tc.alg, input, tc.sig) {
			t.Errorf("%s: Verify = true", tc.name)
		}
	}
	// Verify checks the fit itself: a good PS256 signature of the RSA key
	// verifies under the unpinned key, not under the key pinned to RS256.
	ps := signature(t, rs, "PS256", input)
	if !rsKey.Verify("PS256", input, ps) {
		t.Error("unpinned RSA key: Verify(PS256) of a good signature = false")
	}
	if rsPinned.Verify("PS256", input, ps) {
		t.Error("RSA key pinned to RS256: Verify(PS256) = true")
	}
}

func TestNewSymmetricKey(t *testing.T) {
	t.Parallel()
	secret := keytest.Random(32)
	for _, tc := range []struct {
		alg    string
		secret []byte
		ok     bool
	}{
		{"HS256", secret, true}, {"", secret, true},
		{"HS256", secret[:31], false}, {"HS256", nil, false}, {"RS256", secret, false}, {"EdDSA", secret, false},
		{"HS384", keytest.Random(48), true}, {"HS384", keytest.Random(47), false}, {"HS512", keytest.Random(64), true}, {"HS512", keytest.Random(63), false},
	} {
		k, err := NewSymmetricKey("h", tc.alg, tc.secret)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrUnusableKey)) {
			t.Errorf("NewSymmetricKey(%q, %d bytes) = %v, want ok %v", tc.alg, len(tc.secret), err, tc.ok)
		}
		if err == nil && k.Public() != nil {
			t.Errorf("NewSymmetricKey(%q).Public() hands out the secret", tc.alg)
		}
	}
	// A 32-byte key without alg accepts HS256 but not HS384 or HS512 (RFC
	// 7518 §3.2: a key at least as long as the hash).
	k, _ := NewSymmetricKey("h", "", secret)
	for alg, want := range map[string]bool{"HS256": true, "HS384": false, "HS512": false} {
		if got := k.Accepts(alg); got != want {
			t.Errorf("32-byte key: Accepts(%s) = %v, want %v", alg, got, want)
		}
	}
	// The secret is copied: clearing the caller's slice changes nothing.
	own := append([]byte(nil), secret...)
	k, _ = NewSymmetricKey("h", "HS256", own)
	input := []byte("a.b")
	sig := signature(t, secret, "HS256", input)
	clear(own)
	if !k.Verify("HS256", input, sig) {
		t.Fatal("Verify after the caller cleared its secret = false")
	}
}

// TestVerifyEveryPinning holds Verify to Accepts for every key type, pinned
// to each algorithm it fits and not pinned, under every algorithm: Verify is
// true exactly when the key accepts the algorithm and the signature is the
// signer's under it. A pinned key verifies through the algorithm it was made
// with, without looking it up again.
func TestVerifyEveryPinning(t *testing.T) {
	t.Parallel()
	algs := append(jose.Asymmetric(), "HS256", "HS384", "HS512")
	probes := append(append([]string(nil), algs...), "none", "rs256", "")
	input := []byte("eyJhbGciOiJ0ZXN0In0.eyJzdWIiOiJ0ZXN0In0")
	secret := []byte(strings.Repeat("k", 64))
	signers := map[string]any{"RSA": signerFor(t, "RS256"), "P-256": signerFor(t, "ES256"),
		"P-384": signerFor(t, "ES384"), "P-521": signerFor(t, "ES512"), "Ed25519": signerFor(t, "EdDSA"), "oct": secret}
	for name, signer := range signers {
		for _, pin := range append([]string{""}, algs...) {
			var k *Key
			var err error
			if s, ok := signer.([]byte); ok {
				k, err = NewSymmetricKey("k", pin, s)
			} else {
				k, err = NewKey("k", pin, signer.(crypto.Signer).Public())
			}
			if err != nil {
				continue // the key does not fit pin
			}
			for _, alg := range probes {
				sig, signed := []byte(nil), false
				if s, ok := signer.([]byte); ok {
					if h, ok := jose.Lookup(alg); ok && h.Family == jose.HMAC {
						sig, signed = signature(t, s, alg, input), true
					}
				} else if sig, err = jose.Signature(signer.(crypto.Signer), alg, input); err == nil {
					signed = true
				}
				if !signed {
					sig = make([]byte, 64) // a signature of no one
				}
				want := signed && k.Accepts(alg)
				if got := k.Verify(alg, input, sig); got != want {
					t.Errorf("%s key pinned to %q: Verify(%q) = %v, want %v (Accepts %v)", name, pin, alg, got, want, k.Accepts(alg))
				}
				if pin == "" {
					continue
				}
				if k.Accepts(alg) != (alg == pin) {
					t.Errorf("%s key pinned to %q: Accepts(%q) = %v", name, pin, alg, k.Accepts(alg))
				}
				// A signature made under the pinned algorithm verifies
				// only when alg names it.
				if got := k.Verify(alg, input, signature(t, signer, pin, input)); got != (alg == pin) {
					t.Errorf("%s key pinned to %q: Verify(%q) of a %s signature = %v", name, pin, alg, pin, got)
				}
			}
		}
	}
}
