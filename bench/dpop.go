package bench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/dpop"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// DPoPAlgorithms are the proof algorithms benchmarked (issue 13), in table
// order.
var DPoPAlgorithms = []string{"ES256", "EdDSA", "RS256"}

// DPoPURI is the target URI of the benchmarked DPoP requests.
const DPoPURI = "https://api.example.test/orders"

// DPoPCase is one proof algorithm's client key and an access token bound to
// it ("cnf": {"jkt": …}, RFC 9449 §6.1), signed with the fixture's ES256 key.
type DPoPCase struct {
	Alg   string
	Key   *dpop.Key
	Token string
}

// NewDPoPCase generates a proof key for alg and mints a token bound to it.
func NewDPoPCase(f *Fixture, alg string) (*DPoPCase, error) {
	k, err := dpop.GenerateKey(alg)
	if err != nil {
		return nil, err
	}
	tok, err := f.Mint("ES256", map[string]any{"cnf": map[string]any{"jkt": k.Thumbprint()}}, nil)
	if err != nil {
		return nil, err
	}
	return &DPoPCase{Alg: alg, Key: k, Token: tok}, nil
}

// Credentials returns a GET of [DPoPURI] presenting the token with the DPoP
// scheme and a fresh proof, and the proof.
func (c *DPoPCase) Credentials() (*middleware.Credentials, string, error) {
	p, err := c.Key.Proof("GET", DPoPURI, c.Token, "")
	if err != nil {
		return nil, "", err
	}
	return &middleware.Credentials{
		Authorization: []string{"DPoP " + c.Token}, DPoP: []string{p}, Method: "GET", URI: DPoPURI,
	}, p, nil
}

// NewDPoPValidator is [NewRSGuard] with DPoP required for the issuer: proofs
// verified, their "jti" kept in the default in-memory replay store.
func NewDPoPValidator(f *Fixture, cacheSize int) (*middleware.Validator, error) {
	keys, err := jwks.ParseStatic(f.JWKS)
	if err != nil {
		return nil, err
	}
	return middleware.NewValidator(middleware.Issuer{
		URL: Issuer, Audiences: []string{Audience}, Keys: keys, DPoP: middleware.DPoPRequired,
	}, &middleware.Config{ClockSkew: Leeway, CacheSize: cacheSize})
}

// ProofFloor returns the bare signature check of a proof, like [Floor]: the
// signing input hashed and the standard library's verify with the key and
// the signature decoded beforehand; no parsing, no claims, no replay store.
func ProofFloor(proof string, pub crypto.PublicKey) (func() bool, error) {
	i := strings.LastIndexByte(proof, '.')
	if i < 0 {
		return nil, errors.New("bench: proof is not a compact JWS")
	}
	input := []byte(proof[:i])
	sig, err := b64.DecodeString(proof[i+1:])
	if err != nil {
		return nil, err
	}
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		return func() bool {
			d := sha256.Sum256(input)
			return rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig) == nil
		}, nil
	case *ecdsa.PublicKey:
		n := len(sig) / 2
		der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])})
		if err != nil {
			return nil, err
		}
		return func() bool {
			d := sha256.Sum256(input)
			return ecdsa.VerifyASN1(pub, d[:], der)
		}, nil
	case ed25519.PublicKey:
		return func() bool { return ed25519.Verify(pub, input, sig) }, nil
	}
	return nil, fmt.Errorf("bench: no floor for %T", pub)
}

// CertificateCredentials returns a bearer request with the fixture's ES256
// token and one with an ES256 token bound to a client certificate
// ("cnf": {"x5t#S256": …}, RFC 8705 §3.1) presenting that certificate.
func CertificateCredentials(f *Fixture) (bearer, bound *middleware.Credentials, err error) {
	cert := oauthtest.NewClientCertificate("bench-client").Leaf
	tok, err := f.Mint("ES256", map[string]any{"cnf": map[string]any{"x5t#S256": middleware.CertificateThumbprint(cert)}}, nil)
	if err != nil {
		return nil, nil, err
	}
	bearer = &middleware.Credentials{Authorization: []string{"Bearer " + f.Cases["ES256"].Token}}
	bound = &middleware.Credentials{Authorization: []string{"Bearer " + tok}, PeerCertificate: cert}
	return bearer, bound, nil
}
