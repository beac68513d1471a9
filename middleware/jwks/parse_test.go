package jwks

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/jose"
	"github.com/rsguard/rsguard/internal/keytest"
)

func TestStatic(t *testing.T) {
	t.Parallel()
	a, _ := NewKey("a", "", signerFor(t, "ES256").Public())
	b, _ := NewKey("b", "", signerFor(t, "EdDSA").Public())
	if _, err := NewStatic(a, a); err == nil {
		t.Error("NewStatic with a duplicate kid = nil error")
	}
	if _, err := NewStatic(a, nil); !errors.Is(err, ErrUnusableKey) {
		t.Errorf("NewStatic with a nil key = %v, want %v", err, ErrUnusableKey)
	}
	ctx := context.Background()
	two, _ := NewStatic(a, b)
	one, _ := NewStatic(a)
	none, _ := NewStatic()
	for _, tc := range []struct {
		name string
		src  *Static
		kid  string
		want *Key
	}{
		{"two, kid a", two, a.ID(), a},
		{"two, kid b", two, b.ID(), b},
		{"two, no kid", two, "", nil},
		{"two, unknown", two, "zz", nil},
		{"one, no kid", one, "", a},
		{"one, unknown", one, "zz", nil},
		{"none, no kid", none, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := tc.src.LookupKey(ctx, tc.kid)
			if k != tc.want || (tc.want == nil) != errors.Is(err, ErrUnknownKey) {
				t.Errorf("LookupKey(%q) = %v, %v; want %v", tc.kid, k, err, tc.want)
			}
			if errors.Is(err, ErrUnavailable) {
				t.Errorf("LookupKey(%q) = %v: a static set is never unavailable", tc.kid, err)
			}
		})
	}
	if got := two.Keys(); len(got) != 2 || !slices.Contains(got, a) || !slices.Contains(got, b) {
		t.Errorf("Keys() = %v, want a and b", got)
	}
}

func TestParseSet(t *testing.T) {
	t.Parallel()
	rs, es, ed := signerFor(t, "RS256"), signerFor(t, "ES256"), signerFor(t, "EdDSA")
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	privKey, _ := jose.GenerateKey("ES256")
	priv := keytest.PublicJWK(t, "priv", privKey.Public())
	priv["d"] = jose.Encode(privKey.(*ecdsa.PrivateKey).D.FillBytes(make([]byte, 32)))
	offCurve := keytest.PublicJWK(t, "off", es.Public())
	offCurve["y"] = jose.Encode(make([]byte, 32))
	doc := keytest.JSON(map[string]any{"keys": []any{
		merge(keytest.PublicJWK(t, "rs", rs.Public()), map[string]any{"alg": "RS256", "use": "sig"}),
		merge(keytest.PublicJWK(t, "es", es.Public()), map[string]any{"alg": "ES256"}),
		keytest.PublicJWK(t, "ed", ed.Public()),
		merge(keytest.PublicJWK(t, "enc", es.Public()), map[string]any{"use": "enc"}),
		keytest.PublicJWK(t, "weak", weak.Public()),
		map[string]any{"kty": "oct", "kid": "oct", "k": jose.Encode(keytest.Random(32))},
		map[string]any{"kty": "XYZ", "kid": "xyz"},
		priv,
		offCurve,
		merge(keytest.PublicJWK(t, "rs-es", rs.Public()), map[string]any{"alg": "ES256"}),
		merge(keytest.PublicJWK(t, "es", es.Public()), map[string]any{"alg": "ES256"}), // duplicate kid
		"not an object",
	}})
	keys, skipped, err := ParseSet(doc)
	if err != nil {
		t.Fatalf("ParseSet = %v", err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID()+"/"+k.Algorithm())
	}
	if want := []string{"rs/RS256", "es/ES256", "ed/"}; !slices.Equal(ids, want) {
		t.Errorf("ParseSet keys = %q, want %q", ids, want)
	}
	if len(skipped) != 9 {
		t.Errorf("ParseSet skipped %d keys, want 9: %v", len(skipped), skipped)
	}
	for _, err := range skipped {
		if !errors.Is(err, ErrUnusableKey) {
			t.Errorf("skipped key error %v does not match %v", err, ErrUnusableKey)
		}
	}
	// The parsed keys verify their signatures.
	src, err := ParseStatic(doc)
	if err != nil {
		t.Fatal(err)
	}
	for kid, s := range map[string]struct {
		signer crypto.Signer
		alg    string
	}{"rs": {rs, "RS256"}, "es": {es, "ES256"}, "ed": {ed, "EdDSA"}} {
		k, err := src.LookupKey(context.Background(), kid)
		if err != nil || !verifies(t, k, s.signer, s.alg) {
			t.Errorf("key %q from the JWKS: %v, or it does not verify %s", kid, err, s.alg)
		}
	}
	// A "use":"enc" key is not used even when its kid is named.
	if k, err := src.LookupKey(context.Background(), "enc"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf(`LookupKey("enc") = %v, %v; want %v`, k, err, ErrUnknownKey)
	}
}

func TestParseSetDocumentErrors(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{``, `[]`, `{}`, `{"keys":{}}`, `{"keys":null}`, `{"keys":[`, `"keys"`} {
		if keys, _, err := ParseSet([]byte(doc)); err == nil || keys != nil {
			t.Errorf("ParseSet(%s) = %v, %v; want an error", doc, keys, err)
		}
	}
	if _, err := ParseStatic([]byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`)); err == nil {
		t.Error("ParseStatic without a usable key = nil error")
	}
	if keys, skipped, err := ParseSet([]byte(`{"keys":[]}`)); err != nil || len(keys)+len(skipped) != 0 {
		t.Errorf("ParseSet(empty set) = %v, %v, %v; want nothing", keys, skipped, err)
	}
}

func TestParsePEM(t *testing.T) {
	t.Parallel()
	rs, es, ed := signerFor(t, "RS256"), signerFor(t, "ES256"), signerFor(t, "EdDSA")
	pkixOf := func(s crypto.Signer) []byte {
		der, err := x509.MarshalPKIXPublicKey(s.Public())
		return keytest.PEM(t, "PUBLIC KEY", der, err)
	}
	rsPub := rs.Public().(*rsa.PublicKey)
	bundle := slices.Concat(pkixOf(rs), []byte("comment between blocks\n"), pkixOf(es),
		keytest.PEM(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(rsPub), nil),
		keytest.PEM(t, "CERTIFICATE", keytest.Certificate(t, ed.Public(), ed, time.Now()), nil))
	keys, err := ParsePEM(bundle, "rs", "es", "rs1")
	if err != nil {
		t.Fatalf("ParsePEM = %v", err)
	}
	if len(keys) != 4 || keys[0].ID() != "rs" || keys[1].ID() != "es" || keys[2].ID() != "rs1" || keys[3].ID() != "" {
		t.Fatalf("ParsePEM = %v, want keys rs, es, rs1 and one without kid", keys)
	}
	// Each key verifies its signatures.
	for i, s := range []struct {
		signer crypto.Signer
		alg    string
	}{{rs, "RS256"}, {es, "ES256"}, {rs, "PS256"}, {ed, "EdDSA"}} {
		if !verifies(t, keys[i], s.signer, s.alg) {
			t.Errorf("PEM key %d does not verify %s", i, s.alg)
		}
	}
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	weakDER, weakErr := x509.MarshalPKIXPublicKey(weak.Public())
	privDER, privErr := x509.MarshalPKCS8PrivateKey(es)
	for name, data := range map[string][]byte{
		"no PEM":      []byte("not PEM"),
		"empty":       nil,
		"private key": keytest.PEM(t, "PRIVATE KEY", privDER, privErr),
		"RSA 1024":    keytest.PEM(t, "PUBLIC KEY", weakDER, weakErr),
		"garbage DER": keytest.PEM(t, "PUBLIC KEY", []byte("garbage"), nil),
		"bad cert":    keytest.PEM(t, "CERTIFICATE", []byte("garbage"), nil),
	} {
		if keys, err := ParsePEM(data); err == nil {
			t.Errorf("ParsePEM(%s) = %v, nil; want an error", name, keys)
		} else if strings.Contains(err.Error(), "PRIVATE KEY-----") {
			t.Errorf("ParsePEM(%s) error quotes key material: %v", name, err)
		}
	}
}

// TestJWKRulesAccepted: the keys beside the hostile ones that must load.
func TestJWKRulesAccepted(t *testing.T) {
	t.Parallel()
	es := signerFor(t, "ES256")
	pub := es.Public()
	good := map[string]map[string]any{
		"RSA 8192 bits":        keytest.RSAJWK("rsa-8192", keytest.OddModulus(MaxRSABits), 65537),
		"RSA exponent 3":       keytest.RSAJWK("rsa-e3", keytest.OddModulus(2048), 3),
		"key_ops verify":       merge(keytest.PublicJWK(t, "v", pub), map[string]any{"key_ops": []string{"verify"}}),
		"key_ops sign, verify": merge(keytest.PublicJWK(t, "sv", pub), map[string]any{"use": "sig", "key_ops": []string{"sign", "verify"}}),
		"x5c of its own key":   merge(keytest.PublicJWK(t, "x", pub), map[string]any{"x5c": []string{base64.StdEncoding.EncodeToString(keytest.Certificate(t, pub, es, time.Now()))}}),
	}
	for name, jwk := range good {
		keys, skipped, err := ParseSet(keytest.JSON(map[string]any{"keys": []any{jwk}}))
		if err != nil || len(keys) != 1 || len(skipped) != 0 {
			t.Errorf("%s: ParseSet = %d keys, skipped %v, %v; want the key", name, len(keys), skipped, err)
		}
	}
	n := keytest.OddModulus(MaxRSABits)
	if _, err := NewKey("", "", &rsa.PublicKey{N: n, E: 65537}); err != nil {
		t.Errorf("NewKey(%d bits) = %v", MaxRSABits, err)
	}
}

// TestNewKeyRSARules: NewKey applies the same RSA rules as ParseSet.
func TestNewKeyRSARules(t *testing.T) {
	t.Parallel()
	for name, pub := range map[string]*rsa.PublicKey{
		"8193 bits":     {N: keytest.OddModulus(MaxRSABits + 1), E: 65537},
		"200000 bits":   {N: keytest.OddModulus(200_000), E: 65537},
		"even modulus":  {N: new(big.Int).SetBit(keytest.OddModulus(2048), 0, 0), E: 65537},
		"exponent 1":    {N: keytest.OddModulus(2048), E: 1},
		"exponent -3":   {N: keytest.OddModulus(2048), E: -3},
		"even exponent": {N: keytest.OddModulus(2048), E: 65536},
		"2047 bits":     {N: keytest.OddModulus(2047), E: 65537},
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
	k := string(keytest.JSON(keytest.PublicJWK(t, "a", signerFor(t, "ES256").Public())))
	for _, doc := range []string{
		`{"keys":[],"keys":[` + k + `]}`,
		`{"keys":[` + k + `],"Keys":[]}`,
		`{"KEYS":[` + k + `],"keys":[` + k + `]}`,
	} {
		if _, _, err := ParseSet([]byte(doc)); err == nil || strings.Contains(err.Error(), k) {
			t.Errorf("ParseSet(%.60s…) = %v, want an error that does not quote the document", doc, err)
		}
	}
}
