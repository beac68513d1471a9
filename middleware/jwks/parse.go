package jwks

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/rsguard/rsguard/internal/jsonscan"
)

// ParseSet parses a JWK Set document (RFC 7517 §5) into verification keys.
// Keys the library cannot use — unknown "kty", unsupported curve, bad
// parameters, an RSA modulus outside [MinRSABits]…[MaxRSABits], "use" other
// than "sig", "key_ops" without "verify" (RFC 7517 §4.3), an "x5c" whose
// first certificate holds another key (§4.7), a member name twice, private or
// symmetric material — are
// skipped, as RFC 7517 §5 asks, and reported in skipped. An error is returned
// only when the document itself is not a JWK Set.
func ParseSet(data []byte) (keys []*Key, skipped []error, err error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := jsonscan.UniqueMembers(data); err != nil {
		// A second "keys" (or "Keys") would be read last-wins by one
		// parser and first-wins by another (RFC 8259 §4).
		return nil, nil, fmt.Errorf("jwks: JWKS is not a JSON object with unique member names: %w", err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("jwks: JWKS is not a JSON object with \"keys\": %w", err)
	}
	if doc.Keys == nil {
		return nil, nil, errors.New("jwks: JWKS has no \"keys\" member")
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

// ParsePEM parses PEM blocks of "PUBLIC KEY" (PKIX), "RSA PUBLIC KEY"
// (PKCS #1) or "CERTIFICATE" into verification keys with the given key IDs, in
// order (an empty list, or fewer IDs than blocks, leaves the rest without kid).
func ParsePEM(data []byte, ids ...string) ([]*Key, error) {
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
		return nil, errors.New("jwks: no PEM public key found")
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
	return nil, fmt.Errorf("jwks: unsupported PEM block %q", block.Type)
}
