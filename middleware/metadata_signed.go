package middleware

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rsguard/rsguard/internal/jose"
)

// MetadataSigning signs a protected resource metadata document (RFC 9728
// §2.2): the document then carries signed_metadata, a JWS-signed JWT whose
// claims are the document's other members and "iss", the party attesting
// them. Clients that verify it prefer its values to the plain ones. Printing
// it with any fmt verb never shows the key.
type MetadataSigning struct {
	// Issuer is the "iss" claim, the party attesting the metadata. Required.
	Issuer string
	// Signer is the private key. Required; an *ecdsa.PrivateKey,
	// *rsa.PrivateKey or ed25519.PrivateKey (or any crypto.Signer with such
	// a public key, e.g. one in a KMS).
	Signer crypto.Signer
	// Algorithm is the JWS algorithm (RFC 7518 §3.1). Default: ES256, ES384
	// or ES512 for an ECDSA key's curve, EdDSA for Ed25519, RS256 for RSA.
	Algorithm string
	// KeyID is the "kid" header, naming the key in the signer's JWK Set.
	// Default: none.
	KeyID string
}

// Format prints the settings without the key.
func (s MetadataSigning) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "middleware.MetadataSigning{Issuer:%q, Algorithm:%q, KeyID:%q, Signer:[redacted]}", s.Issuer, s.Algorithm, s.KeyID)
}

// sign returns the signed_metadata of doc (which must not have one yet).
func (s *MetadataSigning) sign(doc *metadataDoc) (string, error) {
	if s.Issuer == "" || s.Signer == nil {
		return "", errors.New("middleware: MetadataSigning needs an Issuer and a Signer")
	}
	alg := s.Algorithm
	if alg == "" {
		alg = jose.DefaultAlgorithm(s.Signer.Public())
	}
	if !jose.Fits(alg, s.Signer.Public()) {
		return "", fmt.Errorf("middleware: MetadataSigning: algorithm %q does not fit the key", alg)
	}
	members, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	var claims map[string]any
	if err := json.Unmarshal(members, &claims); err != nil {
		return "", err
	}
	claims["iss"] = s.Issuer
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	header := map[string]any{"alg": alg, "typ": "JWT"}
	if s.KeyID != "" {
		header["kid"] = s.KeyID
	}
	jws, err := jose.Sign(header, payload, s.Signer, alg)
	if err != nil {
		return "", fmt.Errorf("middleware: signing metadata: %w", err)
	}
	return jws, nil
}
