// Package bench compares rsguard with its peers — lestrrat-go/jwx,
// golang-jwt with a kid lookup and with MicahParks/keyfunc, go-jose and
// auth0/go-jwt-middleware — on the same keys and the same RFC 9068 access
// tokens (issue #8). The benchmarks live in the package's tests; the package
// itself builds the shared fixture, the peers' verifiers and the HTTP load
// generator. See bench/run.sh and BENCHMARKS.md at the repository root.
package bench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"time"
)

// The claims every token carries, and what every verifier expects.
const (
	Issuer   = "https://auth.example.test/"
	Audience = "https://api.example.test"
	ClientID = "s6BhdRkqt3"
	Scope    = "openid profile orders:read orders:write"
	Leeway   = 30 * time.Second
)

// Algorithms are the JWS algorithms benchmarked, in table order.
var Algorithms = []string{"RS256", "ES256", "EdDSA"}

// Case is one algorithm's key and token.
type Case struct {
	Alg       string
	KeyID     string
	Public    crypto.PublicKey // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	Token     string           // compact JWS, typ "at+jwt"
	Input     []byte           // the JWS signing input, header "." payload
	Signature []byte           // the decoded JWS signature (R || S for ES256)
	DER       []byte           // for ES256: the signature as ASN.1 DER, the stdlib's form

	signer crypto.Signer
}

// Fixture holds one key per algorithm, the JWK Set publishing all of them and
// one token per algorithm. Every peer is given the same set and tokens.
type Fixture struct {
	Cases map[string]*Case
	JWKS  []byte // JWK Set document (RFC 7517 §5) with every public key
	Now   time.Time
}

// NewFixture generates fresh keys (RSA 2048, P-256, Ed25519) and signs one
// realistic access token with each. The tokens are valid for a day from now.
func NewFixture() (*Fixture, error) {
	f := &Fixture{Cases: make(map[string]*Case), Now: time.Now().Truncate(time.Second)}
	var jwks []map[string]string
	for _, alg := range Algorithms {
		signer, jwk, err := newKey(alg)
		if err != nil {
			return nil, err
		}
		c := &Case{Alg: alg, KeyID: jwk["kid"], Public: signer.Public(), signer: signer}
		if err := c.sign(f.Claims(), c.header()); err != nil {
			return nil, err
		}
		f.Cases[alg] = c
		jwks = append(jwks, jwk)
	}
	doc, err := json.Marshal(map[string]any{"keys": jwks})
	if err != nil {
		return nil, err
	}
	f.JWKS = doc
	return f, nil
}

// Claims returns realistic RFC 9068 §2.2 access-token claims, each call with
// a fresh "jti".
func (f *Fixture) Claims() map[string]any {
	jti := make([]byte, 12)
	rand.Read(jti)
	return map[string]any{
		"iss": Issuer, "sub": "248289761001", "aud": Audience,
		"exp": f.Now.Add(24 * time.Hour).Unix(), "iat": f.Now.Unix(), "nbf": f.Now.Unix(),
		"jti": b64.EncodeToString(jti), "client_id": ClientID, "scope": Scope,
	}
}

// Mint signs a token like the fixture's with alg's key, the claims changed by
// claims (a nil value deletes one) and the header by header, for tests of
// refusals.
func (f *Fixture) Mint(alg string, claims, header map[string]any) (string, error) {
	c, ok := f.Cases[alg]
	if !ok {
		return "", fmt.Errorf("bench: unsupported algorithm %q", alg)
	}
	m := *c
	if err := m.sign(merge(f.Claims(), claims), merge(c.header(), header)); err != nil {
		return "", err
	}
	return m.Token, nil
}

func merge(base, over map[string]any) map[string]any {
	for k, v := range over {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	return base
}

var b64 = base64.RawURLEncoding

func newKey(alg string) (crypto.Signer, map[string]string, error) {
	jwk := map[string]string{"use": "sig", "alg": alg}
	switch alg {
	case "RS256":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, nil, err
		}
		jwk["kty"], jwk["kid"] = "RSA", "rsa-2048-1"
		jwk["n"] = b64.EncodeToString(k.N.Bytes())
		jwk["e"] = b64.EncodeToString(big.NewInt(int64(k.E)).Bytes())
		return k, jwk, nil
	case "ES256":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		pub, err := k.PublicKey.ECDH()
		if err != nil {
			return nil, nil, err
		}
		pt := pub.Bytes() // 0x04 || X || Y (SEC 1 §2.3.3)
		jwk["kty"], jwk["kid"], jwk["crv"] = "EC", "ec-p256-1", "P-256"
		jwk["x"], jwk["y"] = b64.EncodeToString(pt[1:33]), b64.EncodeToString(pt[33:])
		return k, jwk, nil
	case "EdDSA":
		pub, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		jwk["kty"], jwk["kid"], jwk["crv"] = "OKP", "okp-ed25519-1", "Ed25519"
		jwk["x"] = b64.EncodeToString(pub)
		return k, jwk, nil
	}
	return nil, nil, fmt.Errorf("bench: unsupported algorithm %q", alg)
}

func (c *Case) header() map[string]any {
	return map[string]any{"alg": c.Alg, "kid": c.KeyID, "typ": "at+jwt"}
}

// sign builds the compact JWS of claims and header with the case's key.
func (c *Case) sign(claims, header map[string]any) error {
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	p, err := json.Marshal(claims)
	if err != nil {
		return err
	}
	c.Input = []byte(b64.EncodeToString(h) + "." + b64.EncodeToString(p))
	switch c.Alg {
	case "EdDSA":
		c.Signature = ed25519.Sign(c.signer.(ed25519.PrivateKey), c.Input)
	case "RS256":
		d := sha256.Sum256(c.Input)
		c.Signature, err = rsa.SignPKCS1v15(rand.Reader, c.signer.(*rsa.PrivateKey), crypto.SHA256, d[:])
	case "ES256":
		d := sha256.Sum256(c.Input)
		c.Signature, c.DER, err = signECDSA(c.signer.(*ecdsa.PrivateKey), d[:])
	}
	if err != nil {
		return fmt.Errorf("bench: sign %s: %w", c.Alg, err)
	}
	c.Token = string(c.Input) + "." + b64.EncodeToString(c.Signature)
	return nil
}

// signECDSA signs digest and returns the signature in the fixed-size R || S
// form of RFC 7518 §3.4 and in the ASN.1 DER form the standard library takes.
func signECDSA(k *ecdsa.PrivateKey, digest []byte) (raw, der []byte, err error) {
	r, s, err := ecdsa.Sign(rand.Reader, k, digest)
	if err != nil {
		return nil, nil, err
	}
	size := (k.Curve.Params().BitSize + 7) / 8
	raw = append(r.FillBytes(make([]byte, size)), s.FillBytes(make([]byte, size))...)
	der, err = asn1.Marshal(struct{ R, S *big.Int }{r, s})
	return raw, der, err
}
