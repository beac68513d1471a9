// Package dpop is the client side of DPoP (RFC 9449): a [Key] that signs
// proofs and a [Transport], an [net/http.RoundTripper] for Go services that
// call DPoP-protected APIs and token endpoints. It signs a proof for every
// request, retries once when a server asks for a nonce (§8, §9) and
// remembers each server's nonce. The resource-server side — verifying
// proofs and bound tokens — is in package middleware.
package dpop

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rsguard/rsguard/internal/jose"
)

// ProofType is the "typ" header of a DPoP proof (RFC 9449 §4.2).
const ProofType = "dpop+jwt"

// Key is a DPoP proof key (RFC 9449 §4): a private key, the JWS algorithm it
// signs with and its public JWK, which every proof carries. A Key is
// immutable and safe for concurrent use. Formatting it with %v or %#v shows
// its algorithm and thumbprint, never the private key.
type Key struct {
	signer     crypto.Signer
	alg        string
	header     string // base64url of the proof header, the same for every proof
	thumbprint string
}

// NewKey returns the proof key of signer for alg, e.g. "ES256". alg ""
// picks the key's default algorithm: ES256/ES384/ES512 for its curve, EdDSA
// for Ed25519, RS256 for RSA. signer may be any [crypto.Signer] (an HSM or
// a KMS key), as long as its public key is RSA, ECDSA or Ed25519.
func NewKey(signer crypto.Signer, alg string) (*Key, error) {
	if signer == nil {
		return nil, errors.New("dpop: NewKey: nil signer")
	}
	pub := signer.Public()
	if alg == "" {
		alg = jose.DefaultAlgorithm(pub)
	}
	if !jose.Fits(alg, pub) {
		return nil, fmt.Errorf("dpop: NewKey: %w: %q with %T", jose.ErrUnsupported, alg, pub)
	}
	jwk, err := jose.PublicJWK(pub)
	if err != nil {
		return nil, fmt.Errorf("dpop: NewKey: %w", err)
	}
	h, err := json.Marshal(struct {
		Typ string            `json:"typ"`
		Alg string            `json:"alg"`
		JWK map[string]string `json:"jwk"`
	}{ProofType, alg, jwk})
	if err != nil {
		return nil, fmt.Errorf("dpop: NewKey: %w", err)
	}
	return &Key{signer: signer, alg: alg, header: jose.Encode(h), thumbprint: jose.ThumbprintOf(jwk)}, nil
}

// GenerateKey returns a new proof key for alg: ES256, ES384, ES512, EdDSA,
// RS256 … PS512 (RFC 7518 §3.1, RFC 8037).
func GenerateKey(alg string) (*Key, error) {
	s, err := jose.GenerateKey(alg)
	if err != nil {
		return nil, fmt.Errorf("dpop: GenerateKey: %w", err)
	}
	return NewKey(s, alg)
}

// Algorithm returns the JWS algorithm of the key's proofs.
func (k *Key) Algorithm() string { return k.alg }

// Public returns the public key.
func (k *Key) Public() crypto.PublicKey { return k.signer.Public() }

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of the public key: the
// "jkt" that binds a token to this key (RFC 9449 §6.1) and the "dpop_jkt"
// of an authorization request (§10).
func (k *Key) Thumbprint() string { return k.thumbprint }

// String describes the key without its private part.
func (k *Key) String() string { return "dpop.Key{" + k.alg + " " + k.thumbprint + "}" }

// GoString is String, so that %#v never prints the private key.
func (k *Key) GoString() string { return k.String() }

// Claims are the claims of one proof (RFC 9449 §4.2).
type Claims struct {
	// Method is "htm", the request method.
	Method string
	// URI is the target URI; "htu" is it without query and fragment.
	URI string
	// AccessToken, when not "", is hashed into "ath" (§4.2): the proof then
	// goes with a request to a resource server presenting that token.
	AccessToken string
	// Nonce is the server-provided "nonce" (§8, §9); "" for none.
	Nonce string
	// IssuedAt is "iat". Default time.Now().
	IssuedAt time.Time
	// ID is "jti". Default 16 random bytes, base64url-encoded.
	ID string
}

// proofClaims is the JSON form of Claims, in the order of §4.2.
type proofClaims struct {
	JTI   string `json:"jti"`
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	IAT   int64  `json:"iat"`
	ATH   string `json:"ath,omitempty"`
	Nonce string `json:"nonce,omitempty"`
}

// Sign returns a proof with claims c, signed by the key.
func (k *Key) Sign(c Claims) (string, error) {
	htu, err := TargetURI(c.URI)
	if err != nil {
		return "", err
	}
	if c.Method == "" {
		return "", errors.New("dpop: proof without a method")
	}
	p := proofClaims{JTI: c.ID, HTM: c.Method, HTU: htu, Nonce: c.Nonce}
	if p.JTI == "" {
		p.JTI = randomID()
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = time.Now()
	}
	p.IAT = c.IssuedAt.Unix()
	if c.AccessToken != "" {
		p.ATH = AccessTokenHash(c.AccessToken)
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("dpop: %w", err)
	}
	tok, err := jose.SignEncoded(k.header, payload, k.signer, k.alg)
	if err != nil {
		return "", fmt.Errorf("dpop: %w", err)
	}
	return tok, nil
}

// Proof returns a proof for a request with method to uri, now, with a fresh
// "jti". token is the access token the request presents ("" for a token
// request); nonce the server's nonce ("" for none).
func (k *Key) Proof(method, uri, token, nonce string) (string, error) {
	return k.Sign(Claims{Method: method, URI: uri, AccessToken: token, Nonce: nonce})
}

// AccessTokenHash returns the "ath" of a proof presented with token:
// base64url(SHA-256(token)) (RFC 9449 §4.2).
func AccessTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return jose.Encode(sum[:])
}

// TargetURI returns the "htu" for uri: the absolute URI without its query
// and fragment (RFC 9449 §4.2). It is not normalized further: the server
// compares after RFC 3986 §6.2.2–6.2.3 normalization.
func TargetURI(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("dpop: target URI %q is not an absolute http(s) URI", uri)
	}
	return targetURI(u), nil
}

func targetURI(u *url.URL) string {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return strings.ToLower(u.Scheme) + "://" + u.Host + path
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return jose.Encode(b)
}
