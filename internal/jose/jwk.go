package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// RSABits is the modulus size of RSA keys made by [GenerateKey] (RFC 7518
// §3.3 asks for at least 2048).
const RSABits = 2048

// GenerateKey returns a new private key for a JWS algorithm ([Lookup]): a
// 2048-bit RSA key for RS* and PS*, a key on the algorithm's curve for ES*,
// an Ed25519 key for EdDSA (and Ed25519).
func GenerateKey(alg string) (crypto.Signer, error) {
	a, _ := Lookup(alg)
	switch a.Family {
	case RSA, PSS:
		return rsa.GenerateKey(rand.Reader, RSABits)
	case ECDSA:
		return ecdsa.GenerateKey(curves[a.Curve], rand.Reader)
	case EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("%w: %q", ErrUnsupported, alg)
}

// PublicJWK returns the required members of the public JWK of pub
// (RFC 7518 §6.2.1 and §6.3.1, RFC 8037 §2): exactly the members its
// RFC 7638 thumbprint is computed over.
func PublicJWK(pub crypto.PublicKey) (map[string]string, error) {
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		e := big.NewInt(int64(pub.E)).Bytes()
		return map[string]string{"kty": "RSA", "n": Encode(pub.N.Bytes()), "e": Encode(e)}, nil
	case *ecdsa.PublicKey:
		point, err := pub.Bytes() // 0x04 || X || Y, each of the curve's size
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
		size := (len(point) - 1) / 2
		return map[string]string{
			"kty": "EC",
			"crv": pub.Curve.Params().Name,
			"x":   Encode(point[1 : 1+size]),
			"y":   Encode(point[1+size:]),
		}, nil
	case ed25519.PublicKey:
		return map[string]string{"kty": "OKP", "crv": "Ed25519", "x": Encode(pub)}, nil
	}
	return nil, fmt.Errorf("%w: key type %T", ErrUnsupported, pub)
}

// Thumbprint returns the RFC 7638 JWK thumbprint of pub, SHA-256 and
// base64url-encoded: the "jkt" of a DPoP-bound token (RFC 9449 §6.1).
func Thumbprint(pub crypto.PublicKey) (string, error) {
	m, err := PublicJWK(pub)
	if err != nil {
		return "", err
	}
	return ThumbprintOf(m), nil
}

// ThumbprintOf returns the RFC 7638 thumbprint of the required members of a
// JWK, as [PublicJWK] returns them.
func ThumbprintOf(members map[string]string) string {
	b, _ := json.Marshal(members) // strings only; sorted keys, no whitespace (RFC 7638 §3)
	sum := sha256.Sum256(b)
	return Encode(sum[:])
}

// ErrBadJWK is returned by [ParsePublicJWK] for a JWK that is not a usable
// public key.
var ErrBadJWK = errors.New("jose: not a public JWK")

// privateMembers are the JWK members that only a private or symmetric key
// has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// ParsePublicJWK parses a public JWK of type EC (P-256, P-384, P-521), RSA
// (at least 2048 bits) or OKP (Ed25519). A JWK with a private member is
// refused (RFC 9449 §4.3 point 7).
func ParsePublicJWK(raw []byte) (crypto.PublicKey, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, ErrBadJWK
	}
	for _, p := range privateMembers {
		if _, ok := m[p]; ok {
			return nil, fmt.Errorf("%w: private member %q", ErrBadJWK, p)
		}
	}
	kty, _ := m["kty"].(string)
	switch kty {
	case "EC":
		return parseEC(m)
	case "RSA":
		return parseRSA(m)
	case "OKP":
		return parseOKP(m)
	}
	return nil, fmt.Errorf("%w: kty %q", ErrBadJWK, kty)
}

// member returns the base64url-decoded member name of m.
func member(m map[string]any, name string) []byte {
	s, _ := m[name].(string)
	b, err := Decode(s)
	if err != nil || len(b) == 0 {
		return nil
	}
	return b
}

var curves = map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}

func parseEC(m map[string]any) (crypto.PublicKey, error) {
	crv, _ := m["crv"].(string)
	c, ok := curves[crv]
	if !ok {
		return nil, fmt.Errorf("%w: crv %q", ErrBadJWK, crv)
	}
	size := (c.Params().BitSize + 7) / 8
	x, y := member(m, "x"), member(m, "y")
	if len(x) != size || len(y) != size {
		return nil, fmt.Errorf("%w: EC coordinates of the wrong length", ErrBadJWK)
	}
	point := append(append([]byte{4}, x...), y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(c, point)
	if err != nil {
		return nil, fmt.Errorf("%w: point not on the curve", ErrBadJWK)
	}
	return pub, nil
}

func parseRSA(m map[string]any) (crypto.PublicKey, error) {
	n, e := member(m, "n"), member(m, "e")
	if len(n) < RSABits/8 || n[0] == 0 || len(e) == 0 || len(e) > 4 || e[0] == 0 {
		return nil, fmt.Errorf("%w: RSA modulus or exponent out of range", ErrBadJWK)
	}
	exp := new(big.Int).SetBytes(e).Int64()
	if exp < 3 || exp%2 == 0 || exp > 1<<31-1 {
		return nil, fmt.Errorf("%w: RSA exponent out of range", ErrBadJWK)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp)}, nil
}

func parseOKP(m map[string]any) (crypto.PublicKey, error) {
	if crv, _ := m["crv"].(string); crv != "Ed25519" {
		return nil, fmt.Errorf("%w: crv %q", ErrBadJWK, crv)
	}
	x := member(m, "x")
	if len(x) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: Ed25519 key of the wrong length", ErrBadJWK)
	}
	return ed25519.PublicKey(x), nil
}
