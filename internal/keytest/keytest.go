// Package keytest holds the key fixtures that the tests of several rsguard
// packages share below the middleware level (middleware/jwks cannot use
// internal/guardtest, which imports middleware): public JWKs, RSA JWKs with
// chosen parameters, PEM blocks and self-signed certificates. It is for
// tests only.
package keytest

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/jose"
)

// RSAJWK is an RSA public JWK (RFC 7518 §6.3.1) with modulus n and exponent
// e; n need not be a product of primes, since no check made at load time
// factors it.
func RSAJWK(kid string, n *big.Int, e int) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "n": jose.Encode(n.Bytes()), "e": jose.Encode(big.NewInt(int64(e)).Bytes())}
}

// OddModulus returns a random odd number of exactly bits bits.
func OddModulus(bits int) *big.Int {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	r, _ := rand.Int(rand.Reader, n)
	n.Or(n, r)
	return n.SetBit(n, 0, 1)
}

// Certificate returns the DER of a self-signed certificate for pub, signed
// by priv, valid an hour either side of now.
func Certificate(tb testing.TB, pub crypto.PublicKey, priv crypto.Signer, now time.Time) []byte {
	tb.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rsguard test key"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

// PublicJWK is the public JWK of pub (RFC 7517 §4, the members of
// jose.PublicJWK) with kid.
func PublicJWK(tb testing.TB, kid string, pub crypto.PublicKey) map[string]any {
	tb.Helper()
	members, err := jose.PublicJWK(pub)
	if err != nil {
		tb.Fatal(err)
	}
	m := map[string]any{"kid": kid}
	for k, v := range members {
		m[k] = v
	}
	return m
}

// PEM encodes der as a PEM block of type typ, failing the test on err (the
// error of whatever made der).
func PEM(tb testing.TB, typ string, der []byte, err error) []byte {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// JSON marshals v, which a test builds and so always marshals (it panics
// otherwise).
func JSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Random returns n random bytes.
func Random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
