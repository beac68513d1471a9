package middleware

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/rsguard/rsguard/internal/jose"
	"github.com/rsguard/rsguard/internal/jsonscan"
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
var ErrUnusableKey = errors.New("middleware: unusable key")

// Key is one verification key, converted to its Go form once when the key set
// loads. A Key is immutable except for its retired flag, and safe for
// concurrent use.
type Key struct {
	id     string
	alg    string           // the JWK "alg", or "" when the key does not name one
	public crypto.PublicKey // *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey, or []byte (HMAC)
	family string           // "RSA", "EC-" and the JWK "crv" ("EC-P-256"), "OKP-Ed25519", "oct"
	issuer string           // the JWK "issuer" member (Microsoft Entra ID), or ""

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
// keys are used only when configured explicitly, and the validator accepts HS
// algorithms only when they are named in [Issuer.Algorithms]. The secret must be
// at least as long as the hash (RFC 7518 §3.2): 32 bytes for HS256, 48 for
// HS384, 64 for HS512; a key without alg verifies only the algorithms its
// length allows.
func NewSymmetricKey(id, alg string, secret []byte) (*Key, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("%w: HMAC secret shorter than 32 bytes", ErrUnusableKey)
	}
	k := &Key{id: id, alg: alg, public: append([]byte(nil), secret...), family: "oct"}
	if alg != "" && !k.fits(alg) {
		return nil, fmt.Errorf("%w: key type does not fit its alg %q", ErrUnusableKey, alg)
	}
	return k, nil
}

// ID returns the key's "kid".
func (k *Key) ID() string { return k.id }

// Issuer returns the issuer the key's JWK says it signs for, its "issuer"
// member, or "". Microsoft Entra ID publishes one for each key, a template
// with [TenantPlaceholder] in its multi-tenant key sets; the validator then
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

// fits reports whether the key's type fits the JWS algorithm's family
// (RFC 7518 §3.1), from the one algorithm table ([jose.Lookup]).
func (k *Key) fits(alg string) bool {
	a, ok := jose.Lookup(alg)
	if !ok {
		return false
	}
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

// KeySource supplies verification keys to a [Validator]. Implementations must
// be safe for concurrent use; LookupKey is on every uncached request's path and
// must not block on I/O when it already knows the key.
type KeySource interface {
	// LookupKey returns the key whose "kid" is kid. When kid is empty it returns
	// the set's only key, if the set has exactly one. A key it does not know is
	// an error matching ErrUnknownKey (see [InvalidToken]); keys that cannot be
	// obtained at all are an error matching ErrUnavailable (see [Unavailable]).
	LookupKey(ctx context.Context, kid string) (*Key, error)
}

// StaticKeys is a fixed [KeySource], for tests and air-gapped deployments.
type StaticKeys struct {
	byID map[string]*Key
	only *Key // the single key, when the set has exactly one
}

// NewStaticKeys returns a key source holding keys. Key IDs must be unique.
func NewStaticKeys(keys ...*Key) (*StaticKeys, error) {
	s := &StaticKeys{byID: make(map[string]*Key, len(keys))}
	for _, k := range keys {
		if k == nil {
			return nil, fmt.Errorf("%w: nil key", ErrUnusableKey)
		}
		if _, dup := s.byID[k.id]; dup {
			return nil, fmt.Errorf("middleware: duplicate key id %q", k.id)
		}
		s.byID[k.id] = k
	}
	if len(keys) == 1 {
		s.only = keys[0]
	}
	return s, nil
}

// LookupKey implements [KeySource].
func (s *StaticKeys) LookupKey(_ context.Context, kid string) (*Key, error) {
	if kid == "" {
		if s.only != nil {
			return s.only, nil
		}
		return nil, errUnknownKey
	}
	if k, ok := s.byID[kid]; ok {
		return k, nil
	}
	return nil, errUnknownKey
}

// Keys returns the keys in the set.
func (s *StaticKeys) Keys() []*Key {
	out := make([]*Key, 0, len(s.byID))
	for _, k := range s.byID {
		out = append(out, k)
	}
	return out
}

var errUnknownKey = invalid(ErrUnknownKey)

// ParseJWKS parses a JWK Set document (RFC 7517 §5) into verification keys.
// Keys the library cannot use — unknown "kty", unsupported curve, bad
// parameters, an RSA modulus outside [MinRSABits]…[MaxRSABits], "use" other
// than "sig", "key_ops" without "verify" (RFC 7517 §4.3), an "x5c" whose
// first certificate holds another key (§4.7), a member name twice, private or
// symmetric material — are
// skipped, as RFC 7517 §5 asks, and reported in skipped. An error is returned
// only when the document itself is not a JWK Set.
func ParseJWKS(data []byte) (keys []*Key, skipped []error, err error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := jsonscan.UniqueMembers(data); err != nil {
		// A second "keys" (or "Keys") would be read last-wins by one
		// parser and first-wins by another (RFC 8259 §4).
		return nil, nil, fmt.Errorf("middleware: JWKS is not a JSON object with unique member names: %w", err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("middleware: JWKS is not a JSON object with \"keys\": %w", err)
	}
	if doc.Keys == nil {
		return nil, nil, errors.New("middleware: JWKS has no \"keys\" member")
	}
	seen := make(map[string]bool, len(doc.Keys))
	for i, raw := range doc.Keys {
		k, err := keyFromJWK(raw)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("key %d: %w", i, err))
			continue
		}
		if seen[k.id] {
			skipped = append(skipped, fmt.Errorf("key %d: %w: duplicate kid %q", i, ErrUnusableKey, k.id))
			continue
		}
		seen[k.id] = true
		keys = append(keys, k)
	}
	return keys, skipped, nil
}

// NewStaticJWKS returns a static key source from a JWK Set document.
func NewStaticJWKS(data []byte) (*StaticKeys, error) {
	keys, _, err := ParseJWKS(data)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("middleware: JWKS has no usable key")
	}
	return NewStaticKeys(keys...)
}

func keyFromJWK(raw []byte) (*Key, error) {
	if err := jsonscan.UniqueMembers(raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnusableKey, err)
	}
	jk, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnusableKey, err)
	}
	if use, ok := jk.KeyUsage(); ok && use != "sig" {
		return nil, fmt.Errorf("%w: \"use\" is %q", ErrUnusableKey, use)
	}
	if priv, err := jwk.IsPrivateKey(jk); err == nil && priv {
		return nil, fmt.Errorf("%w: private key in a public key set", ErrUnusableKey)
	}
	if err := checkKeyOps(jk); err != nil {
		return nil, err
	}
	var pub any
	if err := jwk.Export(jk, &pub); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnusableKey, err)
	}
	kid, _ := jk.KeyID()
	alg := ""
	if a, ok := jk.Algorithm(); ok {
		alg = a.String()
	}
	if p, ok := pub.(*ed25519.PublicKey); ok {
		pub = *p
	}
	if rsaPub, ok := pub.(*rsa.PublicKey); ok {
		// Before anything else looks at the key (x5c compares it).
		if err := checkRSA(rsaPub); err != nil {
			return nil, err
		}
	}
	if err := checkX5C(jk, pub); err != nil {
		return nil, err
	}
	var member struct {
		Issuer *string `json:"issuer"`
	}
	if err := json.Unmarshal(raw, &member); err != nil {
		return nil, fmt.Errorf("%w: \"issuer\" is not a string", ErrUnusableKey)
	}
	k, err := NewKey(kid, alg, pub)
	if err != nil {
		return nil, err
	}
	if member.Issuer != nil {
		if *member.Issuer == "" {
			return nil, fmt.Errorf("%w: empty \"issuer\"", ErrUnusableKey)
		}
		k.issuer = *member.Issuer
	}
	return k, nil
}

// ParsePEMKeys parses PEM blocks of "PUBLIC KEY" (PKIX), "RSA PUBLIC KEY"
// (PKCS #1) or "CERTIFICATE" into verification keys with the given key IDs, in
// order (an empty list, or fewer IDs than blocks, leaves the rest without kid).
func ParsePEMKeys(data []byte, ids ...string) ([]*Key, error) {
	var keys []*Key
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		pub, err := pemPublicKey(block)
		if err != nil {
			return nil, err
		}
		id := ""
		if len(keys) < len(ids) {
			id = ids[len(keys)]
		}
		k, err := NewKey(id, "", pub)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("middleware: no PEM public key found")
	}
	return keys, nil
}

func pemPublicKey(block *pem.Block) (crypto.PublicKey, error) {
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return cert.PublicKey, nil
	}
	return nil, fmt.Errorf("middleware: unsupported PEM block %q", block.Type)
}
