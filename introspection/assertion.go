package introspection

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"time"
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
	s, err := newJWSSigner(key, cfg.Algorithm)
	if err != nil {
		return nil, err
	}
	hdr := map[string]string{"alg": s.alg, "typ": "JWT"}
	if cfg.KeyID != "" {
		hdr["kid"] = cfg.KeyID
	}
	h, err := json.Marshal(hdr)
	if err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	a := &assertionAuth{
		clientID: clientID,
		signer:   s,
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
	signer   *jwsSigner
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
	input := a.header + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := a.signer.sign([]byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// jwsSigner produces RFC 7515 signatures with a crypto.Signer.
type jwsSigner struct {
	key    crypto.Signer
	alg    string
	hash   crypto.Hash // 0 for EdDSA, which signs the message itself
	opts   crypto.SignerOpts
	ecSize int // for ECDSA: the byte length of R and S (RFC 7518 §3.4)
}

var rsaAlgs = map[string]crypto.Hash{
	"RS256": crypto.SHA256, "RS384": crypto.SHA384, "RS512": crypto.SHA512,
	"PS256": crypto.SHA256, "PS384": crypto.SHA384, "PS512": crypto.SHA512,
}

func newJWSSigner(key crypto.Signer, alg string) (*jwsSigner, error) {
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		return rsaSigner(key, pub, alg)
	case *ecdsa.PublicKey:
		return ecdsaSigner(key, pub, alg)
	case ed25519.PublicKey:
		if alg != "" && alg != "EdDSA" {
			return nil, fmt.Errorf("introspection: algorithm %q does not fit an Ed25519 key", alg)
		}
		return &jwsSigner{key: key, alg: "EdDSA", opts: crypto.Hash(0)}, nil
	default:
		return nil, fmt.Errorf("introspection: unsupported key type %T", pub)
	}
}

func rsaSigner(key crypto.Signer, pub *rsa.PublicKey, alg string) (*jwsSigner, error) {
	if pub.N.BitLen() < 2048 {
		return nil, errors.New("introspection: RSA key shorter than 2048 bits (RFC 7518 §3.3)")
	}
	if alg == "" {
		alg = "RS256"
	}
	h, ok := rsaAlgs[alg]
	if !ok {
		return nil, fmt.Errorf("introspection: algorithm %q does not fit an RSA key", alg)
	}
	s := &jwsSigner{key: key, alg: alg, hash: h, opts: h}
	if alg[0] == 'P' {
		s.opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	}
	return s, nil
}

func ecdsaSigner(key crypto.Signer, pub *ecdsa.PublicKey, alg string) (*jwsSigner, error) {
	s := &jwsSigner{key: key}
	switch pub.Curve {
	case elliptic.P256():
		s.alg, s.hash, s.ecSize = "ES256", crypto.SHA256, 32
	case elliptic.P384():
		s.alg, s.hash, s.ecSize = "ES384", crypto.SHA384, 48
	case elliptic.P521():
		s.alg, s.hash, s.ecSize = "ES512", crypto.SHA512, 66
	default:
		return nil, errors.New("introspection: unsupported ECDSA curve")
	}
	if alg != "" && alg != s.alg {
		return nil, fmt.Errorf("introspection: algorithm %q does not fit a key on %s", alg, pub.Curve.Params().Name)
	}
	s.opts = s.hash
	return s, nil
}

// sign returns the JWS signature of input.
func (s *jwsSigner) sign(input []byte) ([]byte, error) {
	msg := input
	if s.hash != 0 {
		h := s.hash.New()
		h.Write(input)
		msg = h.Sum(nil)
	}
	sig, err := s.key.Sign(rand.Reader, msg, s.opts)
	if err != nil {
		return nil, fmt.Errorf("introspection: signing client assertion: %w", err)
	}
	if s.ecSize == 0 {
		return sig, nil
	}
	return ecdsaRaw(sig, s.ecSize)
}

// ecdsaRaw converts an ASN.1 ECDSA signature, as crypto.Signer returns it, to
// the fixed-size R || S of RFC 7518 §3.4.
func ecdsaRaw(der []byte, size int) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &rs)
	if err != nil || len(rest) != 0 || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 ||
		rs.R.BitLen() > 8*size || rs.S.BitLen() > 8*size {
		return nil, errors.New("introspection: signer returned a malformed ECDSA signature")
	}
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}
