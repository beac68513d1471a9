// Package jose is rsguard's one implementation of JWS (RFC 7515, RFC 7518,
// RFC 8037): the table of algorithm facts ([Lookup], [Alg]), signing with any
// [crypto.Signer] ([Sign], [Signature]), verification ([Verify], allocation
// free with a scratch buffer), public keys as JWKs and their RFC 7638
// thumbprints, and strict base64url ([DecodeInto], [Decode]). The middleware
// verifies with it, and oauthtest's tokens, introspection's client
// assertions and DPoP proofs are signed with it:
//
//	a, _ := jose.Lookup("ES256")                           // family, hash, curve
//	jwt, err := jose.Sign(map[string]any{"typ": "JWT"}, payload, key, "ES256")
//	ok := jose.Verify(a, key.Public(), input, sig)
package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	_ "crypto/sha256" // SHA-256 for RS256, PS256, ES256
	_ "crypto/sha512" // SHA-384 and SHA-512
)

// ErrUnsupported is returned for an algorithm this package does not sign
// with, or a key that does not fit the algorithm.
var ErrUnsupported = errors.New("jose: unsupported algorithm or key")

// Hash returns the hash function of a JWS algorithm this package signs with
// ([Lookup]): SHA-256 for RS256, PS256 and ES256, and so on; 0 for EdDSA
// (RFC 8037 §3.1, which signs the message itself). ok is false for any other
// algorithm, including "none" and the HMAC algorithms.
func Hash(alg string) (h crypto.Hash, ok bool) {
	a, ok := Lookup(alg)
	if !ok || a.Family == HMAC {
		return 0, false
	}
	return a.Hash, true
}

// Sign returns the compact serialization (RFC 7515 §7.1) of payload signed
// by key under alg. header is the JOSE header, marshaled with encoding/json
// (a map or a struct); a map without an "alg" member gets alg added, a map
// or struct with one is sent as is (so a test can lie about the algorithm).
func Sign(header any, payload []byte, key crypto.Signer, alg string) (string, error) {
	if m, ok := header.(map[string]any); ok {
		if _, has := m["alg"]; !has {
			c := make(map[string]any, len(m)+1)
			for k, v := range m {
				c[k] = v
			}
			c["alg"] = alg
			header = c
		}
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", fmt.Errorf("jose: header: %w", err)
	}
	return SignEncoded(Encode(h), payload, key, alg)
}

// SignEncoded is [Sign] with the header already JSON-encoded and
// base64url-encoded, for callers that sign many payloads under one header.
func SignEncoded(encodedHeader string, payload []byte, key crypto.Signer, alg string) (string, error) {
	if key == nil {
		return "", ErrUnsupported
	}
	n := len(encodedHeader) + 1 + base64.RawURLEncoding.EncodedLen(len(payload))
	buf := make([]byte, 0, n+1+base64.RawURLEncoding.EncodedLen(signatureSize(key)))
	buf = append(buf, encodedHeader...)
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, payload)
	sig, err := Signature(key, alg, buf)
	if err != nil {
		return "", err
	}
	buf = append(buf, '.')
	return string(base64.RawURLEncoding.AppendEncode(buf, sig)), nil
}

// Signature returns the JWS signature (RFC 7518 §3) of the signing input
// under alg: RSASSA-PKCS1-v1_5 (RS*), RSASSA-PSS with a salt as long as the
// hash (PS*), ECDSA as the fixed-length R || S (ES*, §3.4) or Ed25519
// (EdDSA). The key type must fit alg (ES256 needs a P-256 key).
func Signature(key crypto.Signer, alg string, input []byte) ([]byte, error) {
	if key == nil {
		return nil, ErrUnsupported
	}
	h, ok := Hash(alg)
	if !ok || !Fits(alg, key.Public()) {
		return nil, fmt.Errorf("%w: %q with %T", ErrUnsupported, alg, key.Public())
	}
	var opts crypto.SignerOpts = h
	digest := input
	if h != 0 {
		hh := h.New()
		hh.Write(input)
		digest = hh.Sum(nil)
	}
	if a, _ := Lookup(alg); a.Family == PSS {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	}
	sig, err := key.Sign(rand.Reader, digest, opts)
	if err != nil {
		return nil, fmt.Errorf("jose: sign: %w", err)
	}
	if pub, ok := key.Public().(*ecdsa.PublicKey); ok {
		return fixedECDSA(sig, curveSize(pub))
	}
	return sig, nil
}

// Fits reports whether alg is a JWS algorithm this package signs with and
// the public key's type (and curve) is the one it needs.
func Fits(alg string, pub crypto.PublicKey) bool {
	a, ok := Lookup(alg)
	if !ok {
		return false
	}
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		return a.Family == RSA || a.Family == PSS
	case *ecdsa.PublicKey:
		return a.Family == ECDSA && a.Curve == pub.Curve.Params().Name
	case ed25519.PublicKey:
		return a.Family == EdDSA
	}
	return false
}

// DefaultAlgorithm returns the JWS algorithm a key signs with when none is
// named: ES256, ES384 or ES512 for its curve, EdDSA for Ed25519 and RS256
// for RSA; "" for any other key.
func DefaultAlgorithm(pub crypto.PublicKey) string {
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		return "RS256"
	case *ecdsa.PublicKey:
		return CurveAlg(pub.Curve.Params().Name)
	case ed25519.PublicKey:
		return "EdDSA"
	}
	return ""
}

func curveSize(pub *ecdsa.PublicKey) int { return (pub.Curve.Params().BitSize + 7) / 8 }

// signatureSize estimates the signature length, for buffer sizing only.
func signatureSize(key crypto.Signer) int {
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		return pub.Size()
	case *ecdsa.PublicKey:
		return 2 * curveSize(pub)
	}
	return ed25519.SignatureSize
}

// fixedECDSA turns an ASN.1 ECDSA signature, as crypto.Signer returns it,
// into the JWS form: R and S each left-padded to the curve size.
func fixedECDSA(der []byte, size int) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &rs)
	if err != nil || len(rest) != 0 || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 ||
		len(rs.R.Bytes()) > size || len(rs.S.Bytes()) > size {
		return nil, errors.New("jose: signer returned a malformed ECDSA signature")
	}
	sig := make([]byte, 2*size)
	rs.R.FillBytes(sig[:size])
	rs.S.FillBytes(sig[size:])
	return sig, nil
}

// Encode returns b in unpadded base64url (RFC 7515 §2).
func Encode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Decode decodes unpadded base64url, strictly (RFC 7515 §2), into a new
// slice: [DecodeInto] for a caller without a buffer.
func Decode(s string) ([]byte, error) {
	b := make([]byte, DecodedLen(len(s)))
	n, err := DecodeInto(b, s)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}
