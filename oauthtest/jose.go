package oauthtest

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rsguard/rsguard/internal/jose"
)

// sign returns the JWS signature of input with priv under alg (RFC 7518 §3),
// by rsguard's one JWS implementation.
func sign(alg string, priv crypto.Signer, input []byte) ([]byte, error) {
	return jose.Signature(priv, alg, input)
}

// verify reports whether sig is a valid signature of input by pub under alg.
// The key type must fit the algorithm; HMAC and "none" are never accepted.
func verify(alg string, pub crypto.PublicKey, input, sig []byte) bool {
	a, ok := jose.Lookup(alg)
	return ok && a.Family != jose.HMAC && jose.Fits(alg, pub) && jose.Verify(a, pub, input, sig)
}

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
	h, err1 := jose.Decode(parts[0])
	c, err2 := jose.Decode(parts[1])
	sig, err3 := jose.Decode(parts[2])
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
