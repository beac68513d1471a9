package oauthtest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	_ "crypto/sha256" // SHA-256 for RS256, PS256, ES256
	_ "crypto/sha512" // SHA-384 and SHA-512
)

// hashOf returns the hash of a JWS algorithm (RFC 7518 §3.1), or 0 for EdDSA.
func hashOf(alg string) (crypto.Hash, bool) {
	switch alg {
	case "RS256", "PS256", "ES256":
		return crypto.SHA256, true
	case "RS384", "PS384", "ES384":
		return crypto.SHA384, true
	case "RS512", "PS512", "ES512":
		return crypto.SHA512, true
	case "EdDSA", "Ed25519":
		return 0, true
	}
	return 0, false
}

func digest(h crypto.Hash, data []byte) []byte {
	hh := h.New()
	hh.Write(data)
	return hh.Sum(nil)
}

// sign returns the JWS signature of input with priv under alg (RFC 7518 §3).
func sign(alg string, priv crypto.Signer, input []byte) ([]byte, error) {
	h, ok := hashOf(alg)
	if !ok {
		return nil, fmt.Errorf("unsupported algorithm %q", alg)
	}
	switch priv := priv.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(priv, input), nil
	case *rsa.PrivateKey:
		if alg[0] == 'P' {
			opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
			return rsa.SignPSS(rand.Reader, priv, h, digest(h, input), opts)
		}
		return rsa.SignPKCS1v15(rand.Reader, priv, h, digest(h, input))
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, priv, digest(h, input))
		if err != nil {
			return nil, err
		}
		size := (priv.Curve.Params().BitSize + 7) / 8
		sig := make([]byte, 2*size) // R || S, fixed length (RFC 7518 §3.4)
		r.FillBytes(sig[:size])
		s.FillBytes(sig[size:])
		return sig, nil
	}
	return nil, fmt.Errorf("unsupported key type %T", priv)
}

// verify reports whether sig is a valid signature of input by pub under alg.
// The key type must fit the algorithm; HMAC and "none" are never accepted.
func verify(alg string, pub crypto.PublicKey, input, sig []byte) bool {
	h, ok := hashOf(alg)
	if !ok {
		return false
	}
	switch pub := pub.(type) {
	case ed25519.PublicKey:
		return h == 0 && len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, input, sig)
	case *rsa.PublicKey:
		switch alg[0] {
		case 'R':
			return rsa.VerifyPKCS1v15(pub, h, digest(h, input), sig) == nil
		case 'P':
			opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
			return rsa.VerifyPSS(pub, h, digest(h, input), sig, opts) == nil
		}
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		if alg != ecdsaAlgs[pub.Curve.Params().Name] || len(sig) != 2*size {
			return false
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(pub, digest(h, input), r, s)
	}
	return false
}

// ecdsaAlgs pairs each curve with its JWS algorithm (RFC 7518 §3.4).
var ecdsaAlgs = map[string]string{"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}

// encodeJWS returns the compact serialization (RFC 7515 §7.1) of header and
// claims signed with k. When the header's "alg" is "none", the signature is
// empty (an unsecured JWS, RFC 7519 §6), for negative tests.
func encodeJWS(header, claims map[string]any, k *signingKey) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", fmt.Errorf("header: %w", err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("claims: %w", err)
	}
	input := b64(h) + "." + b64(c)
	if alg, _ := header["alg"].(string); alg == "none" {
		return input + ".", nil
	}
	sig, err := sign(k.alg, k.priv, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}

// decodedJWS is a compact JWS split and decoded, not yet verified.
type decodedJWS struct {
	input  string
	header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	claims map[string]any
	sig    []byte
}

var errNotJWS = errors.New("not a compact JWS")

// decodeJWS splits and decodes a compact JWS with a JSON object as payload.
func decodeJWS(token string) (*decodedJWS, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errNotJWS
	}
	var d decodedJWS
	d.input = parts[0] + "." + parts[1]
	h, err1 := unb64(parts[0])
	c, err2 := unb64(parts[1])
	sig, err3 := unb64(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, errNotJWS
	}
	if json.Unmarshal(h, &d.header) != nil || d.header.Alg == "" {
		return nil, errNotJWS
	}
	dec := json.NewDecoder(bytes.NewReader(c))
	dec.UseNumber() // keep NumericDates exact for introspection answers
	if dec.Decode(&d.claims) != nil || d.claims == nil || dec.More() {
		return nil, errNotJWS
	}
	d.sig = sig
	return &d, nil
}

func unb64(s string) ([]byte, error) { return base64.RawURLEncoding.Strict().DecodeString(s) }
