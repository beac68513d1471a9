package middleware

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// rawRSAJWK is an RSA public JWK with modulus n and exponent e; n need not be
// a product of primes, since no check rsguard makes at load time factors it.
func rawRSAJWK(kid string, n *big.Int, e int) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "n": b64s(n.Bytes()), "e": b64s(big.NewInt(int64(e)).Bytes())}
}

// oddModulus returns an odd number of exactly bits bits.
func oddModulus(bits int) *big.Int {
	n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	r, _ := rand.Int(rand.Reader, n)
	n.Or(n, r)
	return n.SetBit(n, 0, 1)
}

// certFor returns the base64 DER of a self-signed certificate for pub,
// signed by priv.
func certFor(tb testing.TB, pub any, priv *ecdsa.PrivateKey) string {
	tb.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "signing key"},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

// TestJWKRulesAccepted: the keys beside the hostile ones that must load.
func TestJWKRulesAccepted(t *testing.T) {
	t.Parallel()
	es := newTestKey(t, "es", "ES256", "")
	priv := es.signer.(*ecdsa.PrivateKey)
	good := map[string]map[string]any{
		"RSA 8192 bits":        rawRSAJWK("rsa-8192", oddModulus(MaxRSABits), 65537),
		"RSA exponent 3":       rawRSAJWK("rsa-e3", oddModulus(2048), 3),
		"key_ops verify":       merge(jwkOf(es), map[string]any{"kid": "v", "key_ops": []string{"verify"}}),
		"key_ops sign, verify": merge(jwkOf(es), map[string]any{"kid": "sv", "use": "sig", "key_ops": []string{"sign", "verify"}}),
		"x5c of its own key":   merge(jwkOf(es), map[string]any{"kid": "x", "x5c": []string{certFor(t, &priv.PublicKey, priv)}}),
	}
	for name, jwk := range good {
		keys, skipped, err := ParseJWKS(mustJSON(map[string]any{"keys": []any{jwk}}))
		if err != nil || len(keys) != 1 || len(skipped) != 0 {
			t.Errorf("%s: ParseJWKS = %d keys, skipped %v, %v; want the key", name, len(keys), skipped, err)
		}
	}
	n := oddModulus(MaxRSABits)
	if _, err := NewKey("", "", &rsa.PublicKey{N: n, E: 65537}); err != nil {
		t.Errorf("NewKey(%d bits) = %v", MaxRSABits, err)
	}
}

// TestNewKeyRSARules: NewKey applies the same RSA rules as ParseJWKS.
func TestNewKeyRSARules(t *testing.T) {
	t.Parallel()
	for name, pub := range map[string]*rsa.PublicKey{
		"8193 bits":     {N: oddModulus(MaxRSABits + 1), E: 65537},
		"200000 bits":   {N: oddModulus(200_000), E: 65537},
		"even modulus":  {N: new(big.Int).SetBit(oddModulus(2048), 0, 0), E: 65537},
		"exponent 1":    {N: oddModulus(2048), E: 1},
		"exponent -3":   {N: oddModulus(2048), E: -3},
		"even exponent": {N: oddModulus(2048), E: 65536},
		"2047 bits":     {N: oddModulus(2047), E: 65537},
		"nil modulus":   {E: 65537},
	} {
		if _, err := NewKey("k", "", pub); !errors.Is(err, ErrUnusableKey) {
			t.Errorf("NewKey(%s) = %v, want %v", name, err, ErrUnusableKey)
		}
	}
}

// TestJWKSDuplicateMembers: a JWK Set whose "keys" occurs twice, also in
// another case, is no JWK Set (RFC 8259 §4: one reading of every member).
func TestJWKSDuplicateMembers(t *testing.T) {
	t.Parallel()
	k := string(mustJSON(jwkOf(newTestKey(t, "a", "ES256", "ES256"))))
	for _, doc := range []string{
		`{"keys":[],"keys":[` + k + `]}`,
		`{"keys":[` + k + `],"Keys":[]}`,
		`{"KEYS":[` + k + `],"keys":[` + k + `]}`,
	} {
		if _, _, err := ParseJWKS([]byte(doc)); err == nil || strings.Contains(err.Error(), k) {
			t.Errorf("ParseJWKS(%.60s…) = %v, want an error that does not quote the document", doc, err)
		}
	}
}
