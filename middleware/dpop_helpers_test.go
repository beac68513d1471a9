package middleware

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// The request every DPoP test makes, unless it says otherwise.
const (
	testMethod = "GET"
	testURI    = "https://api.example.test/orders/1"
)

// dpopClient is a DPoP client of the tests: a proof key of its own and the
// RFC 7638 thumbprint of its public key, computed by jwx (an independent
// implementation of RFC 7638).
type dpopClient struct {
	k   *testKey
	jwk map[string]any
	jkt string
	seq atomic.Int64
}

func newDPoPClient(tb testing.TB, alg string) *dpopClient {
	tb.Helper()
	k := newTestKey(tb, "", alg, alg)
	c := &dpopClient{k: k, jwk: publicJWK(k)}
	jk, err := jwk.Import(k.key.Public())
	if err != nil {
		tb.Fatal(err)
	}
	tp, err := jk.Thumbprint(crypto.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	c.jkt = base64.RawURLEncoding.EncodeToString(tp)
	return c
}

// publicJWK is the public JWK of k, without "kid".
func publicJWK(k *testKey) map[string]any {
	if pub, ok := k.key.Public().(*rsa.PublicKey); ok {
		e := []byte{byte(pub.E >> 16), byte(pub.E >> 8), byte(pub.E)}
		for len(e) > 1 && e[0] == 0 {
			e = e[1:]
		}
		return map[string]any{"kty": "RSA", "n": b64s(pub.N.Bytes()), "e": b64s(e)}
	}
	m := jwkOf(k)
	delete(m, "kid")
	return m
}

// athOf is "ath" for token (RFC 9449 §4.2), computed here on its own.
func athOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return b64s(sum[:])
}

// proof returns a proof for token made at testNow for testMethod and
// testURI, with hdr and claims changed (nil values delete); each has a jti
// of its own.
func (c *dpopClient) proof(token string, hdr, claims map[string]any) string {
	h := map[string]any{"typ": "dpop+jwt", "alg": c.k.alg, "jwk": c.jwk}
	cl := map[string]any{
		"jti": "proof-" + b64s(randomBytes(12)) + "-" + time.Now().Format("150405.000000"),
		"htm": testMethod, "htu": testURI, "iat": testNow.Unix(), "ath": athOf(token),
	}
	c.seq.Add(1)
	return c.k.mintRaw(mustJSON(merge(h, hdr)), mustJSON(merge(cl, claims)))
}

// boundToken mints a token of k bound to the client's key (RFC 9449 §6.1).
func (c *dpopClient) boundToken(k *testKey) string {
	return k.mint(nil, map[string]any{"cnf": map[string]any{"jkt": c.jkt}})
}

// dpopCred is the credentials of a DPoP request with token and proofs.
func dpopCred(token string, proofs ...string) *Credentials {
	return &Credentials{Authorization: []string{"DPoP " + token}, DPoP: proofs, Method: testMethod, URI: testURI}
}

// dpopValidator returns a validator for the shared key of alg whose issuer
// is in mode, with cfg's DPoP settings.
func dpopValidator(tb testing.TB, alg string, mode DPoPMode, cfg *Config) *Validator {
	tb.Helper()
	if cfg == nil {
		cfg = &Config{}
	}
	return newTestValidator(tb, []*testKey{keyFor(tb, alg)}, func(is *Issuer) { is.DPoP = mode }, cfg)
}

// failingStore is a ReplayStore that cannot answer.
type failingStore struct{}

func (failingStore) Use(context.Context, string, time.Time) (bool, error) {
	return false, context.DeadlineExceeded
}
