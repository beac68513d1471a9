package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/rsguard/rsguard/internal/jose"
)

// MinRSABits is the smallest RSA modulus accepted for a verification key
// (RFC 7518 §3.3 requires 2048 bits).
const MinRSABits = 2048

// MaxRSABits is the largest RSA modulus accepted for a verification key. The
// cost of a verification grows with the square of the modulus size, so a key
// of millions of bits in a hostile or compromised JWK Set would let one
// unauthenticated request cost seconds to minutes of CPU. 8192 bits is the
// ceiling Go's TLS stack applies to the keys it verifies with (crypto/tls,
// since CVE-2023-29409): no authorization server is known to sign with more,
// and an 8192-bit verification costs well under a millisecond.
const MaxRSABits = 8192

// maxRSAExponent is the largest public exponent accepted, crypto/rsa's own
// limit (2^31-1); exponents in use are 65537 and, rarely, 3.
const maxRSAExponent = 1<<31 - 1

// ErrUnusableKey is returned by [NewKey] and key parsers for a key that cannot
// verify any allowed JWS algorithm (wrong type, unsupported curve, RSA modulus
// under [MinRSABits] or over [MaxRSABits], an RSA key that can never verify,
// "use" other than "sig", "key_ops" without "verify", an "x5c" certificate
// for another key).
var ErrUnusableKey = errors.New("jwks: unusable key")

// Key is one verification key, converted to its Go form once when the key set
// loads. A Key is immutable except for its retired flag, and safe for
// concurrent use.
type Key struct {
	id     string
	alg    string           // the JWK "alg", or "" when the key does not name one
	public crypto.PublicKey // *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey, or []byte (HMAC)
	family string           // "RSA", "EC-" and the JWK "crv" ("EC-P-256"), "OKP-Ed25519", "oct"
	issuer string           // the JWK "issuer" member (Microsoft Entra ID), or ""
	a      jose.Alg         // the facts of alg, when alg is set (it fits the key: checked when made)

	retired atomic.Bool
}

// NewKey returns a verification key for an *rsa.PublicKey (of [MinRSABits] to
// [MaxRSABits], with an odd modulus and an odd exponent of at least 3, as
// every RSA key is, RFC 8017 §3.1), an *ecdsa.PublicKey on P-256, P-384 or P-521, or an
// ed25519.PublicKey. id is the JWK "kid" (may be empty); alg, when not empty,
// restricts the key to that JWS algorithm (RFC 7517 §4.4).
func NewKey(id, alg string, public crypto.PublicKey) (*Key, error) {
	k := &Key{id: id, alg: alg}
	switch pub := public.(type) {
	case *rsa.PublicKey:
		if err := checkRSA(pub); err != nil {
			return nil, err
		}
		k.public, k.family = pub, "RSA"
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256():
			k.family = "EC-P-256"
		case elliptic.P384():
			k.family = "EC-P-384"
		case elliptic.P521():
			k.family = "EC-P-521"
		default:
			return nil, fmt.Errorf("%w: unsupported elliptic curve", ErrUnusableKey)
		}
		k.public = pub
	case ed25519.PublicKey:
		if len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: bad Ed25519 key length", ErrUnusableKey)
		}
		k.public, k.family = pub, "OKP-Ed25519"
	default:
		return nil, fmt.Errorf("%w: unsupported key type %T", ErrUnusableKey, public)
	}
	if alg != "" && !k.fits(alg) {
		return nil, fmt.Errorf("%w: key type does not fit its alg %q", ErrUnusableKey, alg)
	}
	k.a, _ = jose.Lookup(alg)
	return k, nil
}

// checkRSA refuses an RSA key outside the size bounds, or one that cannot be
// an RSA key at all (RFC 8017 §3.1: n is a product of odd primes, e is odd
// and at least 3), before any verification is attempted with it.
func checkRSA(pub *rsa.PublicKey) error {
	switch {
	case pub.N == nil || pub.N.BitLen() < MinRSABits:
		return fmt.Errorf("%w: RSA key shorter than %d bits", ErrUnusableKey, MinRSABits)
	case pub.N.BitLen() > MaxRSABits:
		return fmt.Errorf("%w: RSA key longer than %d bits", ErrUnusableKey, MaxRSABits)
	case pub.N.Bit(0) == 0:
		return fmt.Errorf("%w: RSA modulus is even", ErrUnusableKey)
	case pub.E < 3 || pub.E > maxRSAExponent || pub.E%2 == 0:
		return fmt.Errorf("%w: RSA exponent is not an odd number from 3 to 2^31-1", ErrUnusableKey)
	}
	return nil
}

// NewSymmetricKey returns an HMAC key for HS256, HS384 or HS512. Symmetric
// keys are used only when configured explicitly, and a validator accepts HS
// algorithms only when they are named explicitly
// (middleware.Issuer.Algorithms). The secret, which NewSymmetricKey copies,
// must be at least as long as the hash (RFC 7518 §3.2): 32 bytes for HS256,
// 48 for HS384, 64 for HS512; a key without alg verifies only the
// algorithms its length allows.
func NewSymmetricKey(id, alg string, secret []byte) (*Key, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("%w: HMAC secret shorter than 32 bytes", ErrUnusableKey)
	}
	k := &Key{id: id, alg: alg, public: append([]byte(nil), secret...), family: "oct"}
	if alg != "" && !k.fits(alg) {
		return nil, fmt.Errorf("%w: key type does not fit its alg %q", ErrUnusableKey, alg)
	}
	k.a, _ = jose.Lookup(alg)
	return k, nil
}

// ID returns the key's "kid".
func (k *Key) ID() string { return k.id }

// Issuer returns the issuer the key's JWK says it signs for, its "issuer"
// member, or "". Microsoft Entra ID publishes one for each key, a template
// with the placeholder "{tenantid}" in its multi-tenant key sets; a validator then
// refuses a token whose "iss" is not that issuer (its "tid" in the
// placeholder's place).
func (k *Key) Issuer() string { return k.issuer }

// Algorithm returns the key's own "alg", or "" if it names none.
func (k *Key) Algorithm() string { return k.alg }

// Public returns the Go public key (or, for an HMAC key, nil: the secret is
// never handed out).
func (k *Key) Public() crypto.PublicKey {
	if k.family == "oct" {
		return nil
	}
	return k.public
}

// Retire marks the key as withdrawn from its key set. Key sources call it when a
// refresh drops the key; the validator then stops using tokens it cached after
// verifying them with this key.
func (k *Key) Retire() { k.retired.Store(true) }

// Retired reports whether [Key.Retire] was called.
func (k *Key) Retired() bool { return k.retired.Load() }

// Accepts reports whether the key may verify a JWS signed with alg (RFC 7515
// §4.1.1): its own "alg", when it names one, is alg (RFC 7517 §4.4), and its
// type fits alg's family (RFC 7518 §3.1). A key that does not accept alg
// must not be tried: a validator refuses the token for a key mismatch, not
// a bad signature.
func (k *Key) Accepts(alg string) bool {
	a, ok := jose.Lookup(alg)
	return ok && (k.alg == "" || k.alg == alg) && k.fitsAlg(a)
}

// Verify reports whether the key accepts alg ([Key.Accepts]) and sig is a
// valid JWS signature (RFC 7515 §5.2, RFC 7518 §3) of signingInput under alg
// with this key: a key that does not accept alg verifies nothing, and is
// never tried. ECDSA signatures are the fixed-length R || S of RFC 7518
// §3.4. Verify allocates nothing. A caller that must tell a key mismatch
// from a bad signature asks Accepts once Verify has said false.
func (k *Key) Verify(alg string, signingInput, sig []byte) bool {
	if k.alg != "" { // the key's own algorithm, whose fit was checked when it was made
		return alg == k.alg && jose.Verify(k.a, k.public, signingInput, sig)
	}
	a, ok := jose.Lookup(alg)
	return ok && k.fitsAlg(a) && jose.Verify(a, k.public, signingInput, sig)
}

// fits reports whether the key's type fits the JWS algorithm's family
// (RFC 7518 §3.1), from the one algorithm table ([jose.Lookup]).
func (k *Key) fits(alg string) bool {
	a, ok := jose.Lookup(alg)
	return ok && k.fitsAlg(a)
}

// fitsAlg is fits for an algorithm already looked up; false for the zero Alg.
func (k *Key) fitsAlg(a jose.Alg) bool {
	switch a.Family {
	case jose.RSA, jose.PSS:
		return k.family == "RSA"
	case jose.ECDSA:
		return len(k.family) > 3 && k.family[:3] == "EC-" && k.family[3:] == a.Curve
	case jose.EdDSA:
		return k.family == "OKP-Ed25519"
	}
	// HMAC, RFC 7518 §3.2: a key at least as long as the hash output.
	return k.family == "oct" && len(k.public.([]byte)) >= a.Hash.Size()
}
