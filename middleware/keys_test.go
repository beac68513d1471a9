package middleware

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewKey(t *testing.T) {
	t.Parallel()
	rsa2048 := keyFor(t, "RS256").signer.(*rsa.PrivateKey).Public()
	rsa1024 := mustRSA(1024).Public()
	p256 := keyFor(t, "ES256").signer.(*ecdsa.PrivateKey).Public()
	p384 := keyFor(t, "ES384").signer.(*ecdsa.PrivateKey).Public()
	p521 := keyFor(t, "ES512").signer.(*ecdsa.PrivateKey).Public()
	p224 := mustEC(elliptic.P224()).Public()
	ed := keyFor(t, "EdDSA").key.Public().(ed25519.PublicKey)
	tests := []struct {
		name string
		alg  string
		pub  crypto.PublicKey
		ok   bool
	}{
		{"RSA 2048", "", rsa2048, true},
		{"RSA 2048 RS256", "RS256", rsa2048, true},
		{"RSA 2048 PS512", "PS512", rsa2048, true},
		{"RSA 1024", "", rsa1024, false},
		{"RSA 1024 RS256", "RS256", rsa1024, false},
		{"RSA without modulus", "", &rsa.PublicKey{E: 65537}, false},
		{"RSA ES256", "ES256", rsa2048, false},
		{"RSA HS256", "HS256", rsa2048, false},
		{"RSA none", "none", rsa2048, false},
		{"P-256", "", p256, true},
		{"P-256 ES256", "ES256", p256, true},
		{"P-256 ES384", "ES384", p256, false},
		{"P-384 ES384", "ES384", p384, true},
		{"P-521 ES512", "ES512", p521, true},
		{"P-521 ES256", "ES256", p521, false},
		{"P-224", "", p224, false},
		{"Ed25519", "", ed, true},
		{"Ed25519 EdDSA", "EdDSA", ed, true},
		{"Ed25519 Ed25519", "Ed25519", ed, true},
		{"Ed25519 ES256", "ES256", ed, false},
		{"Ed25519 short", "", ed[:31], false},
		{"*ed25519.PublicKey", "", &ed, false},
		{"bytes", "", []byte(strings.Repeat("k", 32)), false},
		{"nil", "", nil, false},
	}
	for _, tc := range tests {
		k, err := NewKey("kid", tc.alg, tc.pub)
		if tc.ok {
			if err != nil || k.ID() != "kid" || k.Algorithm() != tc.alg || k.Public() == nil {
				t.Errorf("NewKey(%s) = %v, %v; want a key", tc.name, k, err)
			}
			continue
		}
		if !errors.Is(err, ErrUnusableKey) || k != nil {
			t.Errorf("NewKey(%s) = %v, %v; want %v", tc.name, k, err, ErrUnusableKey)
		}
	}
}

func TestNewSymmetricKey(t *testing.T) {
	t.Parallel()
	secret := randomBytes(32)
	for _, tc := range []struct {
		alg    string
		secret []byte
		ok     bool
	}{
		{"HS256", secret, true}, {"", secret, true},
		{"HS256", secret[:31], false}, {"HS256", nil, false}, {"RS256", secret, false}, {"EdDSA", secret, false},
		{"HS384", randomBytes(48), true}, {"HS384", randomBytes(47), false}, {"HS512", randomBytes(64), true}, {"HS512", randomBytes(63), false},
	} {
		k, err := NewSymmetricKey("h", tc.alg, tc.secret)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrUnusableKey)) {
			t.Errorf("NewSymmetricKey(%q, %d bytes) = %v, want ok %v", tc.alg, len(tc.secret), err, tc.ok)
		}
		if err == nil && k.Public() != nil {
			t.Errorf("NewSymmetricKey(%q).Public() hands out the secret", tc.alg)
		}
	}
	// A 32-byte key without alg verifies HS256 but not HS384 or HS512.
	short := randomBytes(32)
	for _, alg := range hmacAlgs {
		k := mustTestKey("h", alg, "", short)
		v := newTestValidator(t, []*testKey{k}, func(is *Issuer) { is.Algorithms = hmacAlgs }, nil)
		tok := k.token()
		_, err := validate(v, tok)
		if alg == "HS256" && err != nil {
			t.Errorf("Validate(HS256 token, 32-byte key) = %v, want nil", err)
		} else if alg != "HS256" {
			wantRefused(t, tok, err, ErrKeyMismatch)
		}
	}
	// The secret is copied: changing the caller's slice changes nothing.
	k := mustTestKey("h", "HS256", "HS256", append([]byte(nil), secret...))
	tok := k.token()
	clear(k.signer.([]byte))
	v := newTestValidator(t, []*testKey{k}, issuerFor("HS256"), nil)
	if _, err := validate(v, tok); err != nil {
		t.Fatalf("Validate after the caller cleared its secret = %v, want nil", err)
	}
}

func TestStaticKeys(t *testing.T) {
	t.Parallel()
	a, b := keyFor(t, "ES256").key, keyFor(t, "EdDSA").key
	if _, err := NewStaticKeys(a, a); err == nil {
		t.Error("NewStaticKeys with a duplicate kid = nil error")
	}
	if _, err := NewStaticKeys(a, nil); !errors.Is(err, ErrUnusableKey) {
		t.Errorf("NewStaticKeys with a nil key = %v, want %v", err, ErrUnusableKey)
	}
	ctx := context.Background()
	two, _ := NewStaticKeys(a, b)
	one, _ := NewStaticKeys(a)
	none, _ := NewStaticKeys()
	for _, tc := range []struct {
		name string
		src  *StaticKeys
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
		k, err := tc.src.LookupKey(ctx, tc.kid)
		if k != tc.want || (tc.want == nil) != errors.Is(err, ErrUnknownKey) {
			t.Errorf("LookupKey(%s) = %v, %v; want %v", tc.name, k, err, tc.want)
		}
		if err != nil && !errors.Is(err, ErrInvalidToken) {
			t.Errorf("LookupKey(%s) error %v does not match %v", tc.name, err, ErrInvalidToken)
		}
	}
	if got := two.Keys(); len(got) != 2 || !slices.Contains(got, a) || !slices.Contains(got, b) {
		t.Errorf("Keys() = %v, want a and b", got)
	}
}

// rsaJWK is the public JWK of an RSA key.
func rsaJWK(kid string, pub *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "n": b64s(pub.N.Bytes()), "e": b64s(big.NewInt(int64(pub.E)).Bytes())}
}

func TestParseJWKS(t *testing.T) {
	t.Parallel()
	rs := keyFor(t, "RS256")
	es := newTestKey(t, "es", "ES256", "ES256")
	ed := keyFor(t, "EdDSA")
	weak := mustRSA(1024)
	encKey := newTestKey(t, "enc", "ES256", "")
	privKey := newTestKey(t, "priv", "ES256", "")
	priv := jwkOf(privKey)
	priv["d"] = b64s(privKey.signer.(*ecdsa.PrivateKey).D.FillBytes(make([]byte, 32)))
	offCurve := jwkOf(newTestKey(t, "off", "ES256", ""))
	offCurve["y"] = b64s(make([]byte, 32))
	doc := mustJSON(map[string]any{"keys": []any{
		merge(rsaJWK("rs", rs.key.Public().(*rsa.PublicKey)), map[string]any{"alg": "RS256", "use": "sig"}),
		merge(jwkOf(es), map[string]any{"alg": "ES256"}),
		jwkOf(ed),
		merge(jwkOf(encKey), map[string]any{"use": "enc"}),
		rsaJWK("weak", weak.Public().(*rsa.PublicKey)),
		map[string]any{"kty": "oct", "kid": "oct", "k": b64s(randomBytes(32))},
		map[string]any{"kty": "XYZ", "kid": "xyz"},
		priv,
		offCurve,
		merge(rsaJWK("rs-es", rs.key.Public().(*rsa.PublicKey)), map[string]any{"alg": "ES256"}),
		merge(jwkOf(es), map[string]any{"alg": "ES256"}), // duplicate kid
		"not an object",
	}})
	keys, skipped, err := ParseJWKS(doc)
	if err != nil {
		t.Fatalf("ParseJWKS = %v", err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID()+"/"+k.Algorithm())
	}
	if want := []string{"rs/RS256", "es/ES256", "kid-EdDSA/"}; !slices.Equal(ids, want) {
		t.Errorf("ParseJWKS keys = %q, want %q", ids, want)
	}
	if len(skipped) != 9 {
		t.Errorf("ParseJWKS skipped %d keys, want 9: %v", len(skipped), skipped)
	}
	for _, err := range skipped {
		if !errors.Is(err, ErrUnusableKey) {
			t.Errorf("skipped key error %v does not match %v", err, ErrUnusableKey)
		}
	}
	// The parsed keys verify their tokens.
	src, err := NewStaticJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	v := newTestValidator(t, nil, func(is *Issuer) { is.Keys = src }, nil)
	for _, k := range []*testKey{mustTestKey("rs", "RS256", "", rs.signer), es, ed} {
		if _, err := validate(v, k.token()); err != nil {
			t.Errorf("Validate(%s token) with JWKS keys = %v, want nil", k.alg, err)
		}
	}
	// A "use":"enc" key is not used even when its kid is named.
	tok := encKey.token()
	_, err = validate(v, tok)
	wantRefused(t, tok, err, ErrUnknownKey)
}

func TestParseJWKSDocumentErrors(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{``, `[]`, `{}`, `{"keys":{}}`, `{"keys":null}`, `{"keys":[`, `"keys"`} {
		if keys, _, err := ParseJWKS([]byte(doc)); err == nil || keys != nil {
			t.Errorf("ParseJWKS(%s) = %v, %v; want an error", doc, keys, err)
		}
	}
	if _, err := NewStaticJWKS([]byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`)); err == nil {
		t.Error("NewStaticJWKS without a usable key = nil error")
	}
	if keys, skipped, err := ParseJWKS([]byte(`{"keys":[]}`)); err != nil || len(keys)+len(skipped) != 0 {
		t.Errorf("ParseJWKS(empty set) = %v, %v, %v; want nothing", keys, skipped, err)
	}
}

func pemBlock(tb testing.TB, typ string, der []byte, err error) []byte {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func selfSigned(tb testing.TB, priv crypto.Signer) []byte {
	tb.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "rsguard test"},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	return pemBlock(tb, "CERTIFICATE", der, err)
}

func TestParsePEMKeys(t *testing.T) {
	t.Parallel()
	rs, es, ed := keyFor(t, "RS256"), keyFor(t, "ES256"), keyFor(t, "EdDSA")
	pkixOf := func(k *testKey) []byte {
		der, err := x509.MarshalPKIXPublicKey(k.key.Public())
		return pemBlock(t, "PUBLIC KEY", der, err)
	}
	rsPub := rs.key.Public().(*rsa.PublicKey)
	bundle := slices.Concat(pkixOf(rs), []byte("comment between blocks\n"), pkixOf(es),
		pemBlock(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(rsPub), nil), selfSigned(t, ed.signer.(crypto.Signer)))
	keys, err := ParsePEMKeys(bundle, "rs", "es", "rs1")
	if err != nil {
		t.Fatalf("ParsePEMKeys = %v", err)
	}
	if len(keys) != 4 || keys[0].ID() != "rs" || keys[1].ID() != "es" || keys[2].ID() != "rs1" || keys[3].ID() != "" {
		t.Fatalf("ParsePEMKeys = %v, want keys rs, es, rs1 and one without kid", keys)
	}
	// Each key verifies its tokens.
	for i, k := range []*testKey{rs, es, rs, ed} {
		src, _ := NewStaticKeys(keys[i])
		v := newTestValidator(t, nil, func(is *Issuer) { is.Keys = src }, nil)
		if _, err := validate(v, k.mint(map[string]any{"kid": keys[i].ID()}, nil)); err != nil {
			t.Errorf("Validate(%s token) with PEM key %d = %v, want nil", k.alg, i, err)
		}
	}
	weakDER, weakErr := x509.MarshalPKIXPublicKey(mustRSA(1024).Public())
	privDER, privErr := x509.MarshalPKCS8PrivateKey(es.signer)
	for name, data := range map[string][]byte{
		"no PEM":      []byte("not PEM"),
		"empty":       nil,
		"private key": pemBlock(t, "PRIVATE KEY", privDER, privErr),
		"RSA 1024":    pemBlock(t, "PUBLIC KEY", weakDER, weakErr),
		"garbage DER": pemBlock(t, "PUBLIC KEY", []byte("garbage"), nil),
		"bad cert":    pemBlock(t, "CERTIFICATE", []byte("garbage"), nil),
	} {
		if keys, err := ParsePEMKeys(data); err == nil {
			t.Errorf("ParsePEMKeys(%s) = %v, nil; want an error", name, keys)
		} else if strings.Contains(err.Error(), "PRIVATE KEY-----") {
			t.Errorf("ParsePEMKeys(%s) error quotes key material: %v", name, err)
		}
	}
}

func TestValidateKeySelection(t *testing.T) {
	t.Parallel()
	a := newTestKey(t, "a", "ES256", "ES256")
	b := newTestKey(t, "b", "ES256", "ES256")
	evil := attackerKey(t, "ES256", "a")
	// A JWKS server the tokens point at with "jku" and "x5u": never fetched.
	var fetched atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetched.Add(1)
		w.Write(mustJSON(map[string]any{"keys": []any{jwkOf(evil)}}))
	}))
	defer srv.Close()
	two := newTestValidator(t, []*testKey{a, b}, nil, nil)
	one := newTestValidator(t, []*testKey{a}, nil, nil)
	embedded := map[string]any{"kid": nil, "jwk": jwkOf(evil), "jku": srv.URL, "x5u": srv.URL, "x5c": []string{"MIIB"}}
	tests := []struct {
		name   string
		v      *Validator
		token  string
		reason error // nil: accepted
	}{
		{"kid a", two, a.token(), nil},
		{"kid b", two, b.token(), nil},
		{"kid b signed by a", two, a.mint(map[string]any{"kid": "b"}, nil), ErrBadSignature},
		{"unknown kid", two, a.mint(map[string]any{"kid": "c"}, nil), ErrUnknownKey},
		{"empty kid, two keys", two, a.mint(map[string]any{"kid": ""}, nil), ErrUnknownKey},
		{"no kid, two keys", two, a.mint(map[string]any{"kid": nil}, nil), ErrUnknownKey},
		{"no kid, one key", one, a.mint(map[string]any{"kid": nil}, nil), nil},
		{"kid, one key", one, a.token(), nil},
		{"unknown kid, one key", one, a.mint(map[string]any{"kid": "zzz"}, nil), ErrUnknownKey},
		{"kid case differs", one, a.mint(map[string]any{"kid": "A"}, nil), ErrUnknownKey},
		{"attacker's key under kid a", two, evil.token(), ErrBadSignature},
		{"embedded keys, no kid, two keys", two, evil.mint(embedded, nil), ErrUnknownKey},
		{"embedded keys, no kid, one key", one, evil.mint(embedded, nil), ErrBadSignature},
		{"embedded keys, kid a", two, evil.mint(merge(embedded, map[string]any{"kid": "a"}), nil), ErrBadSignature},
		{"embedded keys with a's own key", two, a.mint(map[string]any{"jwk": jwkOf(a), "jku": srv.URL}, nil), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := validate(tc.v, tc.token)
			if tc.reason == nil {
				if err != nil {
					t.Fatalf("Validate(%s) = %v, want nil", tc.name, err)
				}
				return
			}
			wantRefused(t, tc.token, err, tc.reason)
		})
	}
	if n := fetched.Load(); n != 0 {
		t.Errorf("the jku/x5u server got %d requests, want 0", n)
	}
}

func TestValidateKeyFit(t *testing.T) {
	t.Parallel()
	rsaKey := keyFor(t, "RS256").signer
	rs256 := mustTestKey("rsa-rs256", "PS256", "RS256", rsaKey) // signs PS256; its JWK says RS256
	anyRSA := mustTestKey("rsa-any", "PS256", "", rsaKey)
	p256 := newTestKey(t, "p256", "ES256", "")
	es384OnP256 := mustTestKey("p256", "ES384", "", p256.signer)
	ed := keyFor(t, "EdDSA")
	edAsES := mustTestKey(ed.key.ID(), "ES256", "", p256.signer)
	hs := keyFor(t, "HS256")
	rsAsHS := mustTestKey("rsa-any", "HS256", "", randomBytes(32))
	hsAsRS := mustTestKey(hs.key.ID(), "RS256", "", rsaKey)
	keys := []*testKey{rs256, anyRSA, p256, ed, hs}
	all := func(is *Issuer) { is.Algorithms = allAlgs() }
	v := newTestValidator(t, keys, all, nil)
	esOnly := newTestValidator(t, keys, func(is *Issuer) { is.Algorithms = []string{"ES256"} }, nil)
	tests := []struct {
		name   string
		v      *Validator
		token  string
		reason error
	}{
		{"key alg RS256, token PS256", v, rs256.token(), ErrKeyMismatch},
		{"key without alg, token PS256", v, anyRSA.token(), nil},
		{"key without alg, token RS256", v, mustTestKey("rsa-any", "RS256", "", rsaKey).token(), nil},
		{"P-256 key, token ES384", v, es384OnP256.token(), ErrKeyMismatch},
		{"P-256 key, token ES256", v, p256.token(), nil},
		{"Ed25519 kid, token ES256", v, edAsES.token(), ErrKeyMismatch},
		{"RSA kid, token HS256", v, rsAsHS.token(), ErrKeyMismatch},
		{"HMAC kid, token RS256", v, hsAsRS.token(), ErrKeyMismatch},
		{"RSA kid, token EdDSA", v, mustTestKey("rsa-any", "EdDSA", "", ed.signer).token(), ErrKeyMismatch},
		{"alg not in the issuer's list", esOnly, anyRSA.token(), ErrDisallowedAlg},
		{"alg RS1", v, anyRSA.mint(map[string]any{"alg": "RS1"}, nil), ErrDisallowedAlg},
		{"alg ES256K", v, p256.mint(map[string]any{"alg": "ES256K"}, nil), ErrDisallowedAlg},
		{"alg es256", v, p256.mint(map[string]any{"alg": "es256"}, nil), ErrDisallowedAlg},
		{"alg empty", v, p256.mint(map[string]any{"alg": ""}, nil), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := validate(tc.v, tc.token)
			if tc.reason == nil {
				if err != nil {
					t.Fatalf("Validate(%s) = %v, want nil", tc.name, err)
				}
				return
			}
			wantRefused(t, tc.token, err, tc.reason)
		})
	}
}
