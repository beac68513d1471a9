package introspection

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/rsguard/rsguard/internal/jose"
)

// DefaultAssertionLifetime is the lifetime of a client assertion when
// [AssertionConfig.Lifetime] is zero.
const DefaultAssertionLifetime = time.Minute

// ClientAssertionType is the client_assertion_type of [PrivateKeyJWT]
// (RFC 7523 §2.2).
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// AssertionConfig holds the optional settings of [PrivateKeyJWT]. The zero
// value is the safe default.
type AssertionConfig struct {
	// KeyID is the "kid" header parameter naming the key in the client's
	// registered JWKS. Default: none.
	KeyID string
	// Algorithm is the JWS algorithm (RFC 7518 §3.1). Default: RS256 for an
	// RSA key, ES256, ES384 or ES512 for an ECDSA key on P-256, P-384 or
	// P-521, EdDSA for an Ed25519 key. RSA keys also accept RS384, RS512 and
	// PS256, PS384, PS512.
	Algorithm string
	// Audience is the "aud" claim. Default: the introspection endpoint URL,
	// the endpoint the assertion is presented to (RFC 7523 §3 item 3).
	// Authorization servers that expect their issuer identifier instead need
	// it set here.
	Audience string
	// Lifetime is the time from "iat" to "exp". Default
	// [DefaultAssertionLifetime] (1 minute).
	Lifetime time.Duration
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// PrivateKeyJWT authenticates with a JWT client assertion signed by key
// ("private_key_jwt", RFC 7523 §2.2 and §3): "iss" and "sub" are clientID,
// "aud" the endpoint (see [AssertionConfig.Audience]), "exp" short, "iat" the
// current time and "jti" 128 random bits, fresh for every request. key may be
// any crypto.Signer (an HSM or KMS key too) whose public key is RSA of at
// least 2048 bits, ECDSA on P-256, P-384 or P-521, or Ed25519.
func PrivateKeyJWT(clientID string, key crypto.Signer, cfg *AssertionConfig) (ClientAuth, error) {
	if cfg == nil {
		cfg = &AssertionConfig{}
	}
	if clientID == "" || key == nil {
		return nil, errors.New("introspection: private_key_jwt needs a client ID and a key")
	}
	alg, err := assertionAlg(key, cfg.Algorithm)
	if err != nil {
		return nil, err
	}
	hdr := map[string]string{"alg": alg, "typ": "JWT"}
	if cfg.KeyID != "" {
		hdr["kid"] = cfg.KeyID
	}
	h, err := json.Marshal(hdr)
	if err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	a := &assertionAuth{
		clientID: clientID,
		key:      key,
		alg:      alg,
		header:   base64.RawURLEncoding.EncodeToString(h),
		audience: cfg.Audience,
		lifetime: cfg.Lifetime,
		now:      cfg.Now,
	}
	if a.lifetime <= 0 {
		a.lifetime = DefaultAssertionLifetime
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a, nil
}

type assertionAuth struct {
	clientID string
	key      crypto.Signer
	alg      string
	header   string // base64url of the JOSE header
	audience string
	lifetime time.Duration
	now      func() time.Time
}

func (*assertionAuth) String() string   { return "private_key_jwt" }
func (*assertionAuth) GoString() string { return "private_key_jwt" }

type assertionClaims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Aud string `json:"aud"`
	Exp int64  `json:"exp"`
	Iat int64  `json:"iat"`
	Jti string `json:"jti"`
}

func (a *assertionAuth) Authenticate(_ context.Context, endpoint string, form url.Values, _ http.Header) error {
	jwt, err := a.assertion(endpoint)
	if err != nil {
		return err
	}
	form.Set("client_assertion_type", ClientAssertionType)
	form.Set("client_assertion", jwt)
	return nil
}

// assertion returns a fresh signed client assertion for endpoint.
func (a *assertionAuth) assertion(endpoint string) (string, error) {
	var jti [16]byte
	_, _ = rand.Read(jti[:]) // never fails (crypto/rand)
	now := a.now()
	c := assertionClaims{
		Iss: a.clientID, Sub: a.clientID, Aud: a.audience,
		Iat: now.Unix(), Exp: now.Add(a.lifetime).Unix(),
		Jti: base64.RawURLEncoding.EncodeToString(jti[:]),
	}
	if c.Aud == "" {
		c.Aud = endpoint
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("introspection: %w", err)
	}
	jwt, err := jose.SignEncoded(a.header, payload, a.key, a.alg)
	if err != nil {
		return "", fmt.Errorf("introspection: signing client assertion: %w", err)
	}
	return jwt, nil
}

// assertionAlg returns the JWS algorithm of the assertions key signs: alg,
// which must fit the key, or the key's default ([jose.DefaultAlgorithm]).
// RSA keys need at least 2048 bits (RFC 7518 §3.3).
func assertionAlg(key crypto.Signer, alg string) (string, error) {
	pub := key.Public()
	if rk, ok := pub.(*rsa.PublicKey); ok && rk.N.BitLen() < 2048 {
		return "", errors.New("introspection: RSA key shorter than 2048 bits (RFC 7518 §3.3)")
	}
	if alg == "" {
		alg = jose.DefaultAlgorithm(pub)
	}
	if alg == "" || !jose.Fits(alg, pub) {
		return "", fmt.Errorf("introspection: algorithm %q does not fit a %T key", alg, pub)
	}
	return alg, nil
}
