package middleware

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware/jwks"
)

// Shared fixtures: every test mints its tokens with keys generated here, at a
// fixed instant that the validators see through Config.Now.
var (
	testNow      = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	testIssuer   = "https://issuer.example.test"
	testAudience = "https://api.example.test"
	hmacAlgs     = []string{"HS256", "HS384", "HS512"}
)

// testKey is a signing key generated for the tests and its verification jwks.Key.
type testKey struct {
	alg    string
	signer any // *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey or []byte
	key    *jwks.Key
}

var (
	testKeysOnce sync.Once
	testKeysMap  map[string]*testKey
)

// keyFor returns the shared test key for alg, whose kid is "kid-"+alg and whose
// JWK "alg" is alg. The RSA algorithms share one 2048-bit modulus.
func keyFor(tb testing.TB, alg string) *testKey {
	tb.Helper()
	testKeysOnce.Do(func() {
		rsaKey := mustRSA(2048)
		testKeysMap = make(map[string]*testKey)
		for _, a := range append(append([]string(nil), DefaultAlgorithms()...), hmacAlgs...) {
			var signer any
			switch {
			case a[0] == 'R' || a[0] == 'P':
				signer = rsaKey
			case a[0] == 'E' && a[1] == 'S':
				signer = mustEC(curveFor(a))
			case a == "EdDSA":
				_, signer, _ = ed25519.GenerateKey(rand.Reader)
			default:
				signer = randomBytes(64)
			}
			testKeysMap[a] = mustTestKey("kid-"+a, a, a, signer)
		}
	})
	k, ok := testKeysMap[alg]
	if !ok {
		tb.Fatalf("keyFor(%q): no such test key", alg)
	}
	return k
}

// newTestKey generates a fresh key for alg with the given kid and JWK alg.
func newTestKey(tb testing.TB, kid, alg, keyAlg string) *testKey {
	tb.Helper()
	var signer any
	switch {
	case alg[0] == 'R' || alg[0] == 'P':
		signer = mustRSA(2048)
	case alg[0] == 'E' && alg[1] == 'S':
		signer = mustEC(curveFor(alg))
	case alg == "EdDSA":
		_, signer, _ = ed25519.GenerateKey(rand.Reader)
	default:
		signer = randomBytes(64)
	}
	return mustTestKey(kid, alg, keyAlg, signer)
}

func mustTestKey(kid, alg, keyAlg string, signer any) *testKey {
	var k *jwks.Key
	var err error
	switch s := signer.(type) {
	case []byte:
		k, err = jwks.NewSymmetricKey(kid, keyAlg, s)
	case crypto.Signer:
		k, err = jwks.NewKey(kid, keyAlg, s.Public())
	}
	if err != nil {
		panic(err)
	}
	return &testKey{alg: alg, signer: signer, key: k}
}

func mustRSA(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

func mustEC(c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func curveFor(alg string) elliptic.Curve {
	switch alg {
	case "ES384":
		return elliptic.P384()
	case "ES512":
		return elliptic.P521()
	}
	return elliptic.P256()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func hashOf(alg string) crypto.Hash {
	switch alg[2:] {
	case "384":
		return crypto.SHA384
	case "512":
		return crypto.SHA512
	}
	return crypto.SHA256
}

// sign returns the JWS signature of input under k (RFC 7518 §3), made with
// the standard library only.
func (k *testKey) sign(input string) []byte {
	if k.alg == "EdDSA" {
		return ed25519.Sign(k.signer.(ed25519.PrivateKey), []byte(input))
	}
	h := hashOf(k.alg)
	if k.alg[0] == 'H' {
		mac := hmac.New(h.New, k.signer.([]byte))
		mac.Write([]byte(input))
		return mac.Sum(nil)
	}
	hh := h.New()
	hh.Write([]byte(input))
	digest := hh.Sum(nil)
	var sig []byte
	var err error
	switch k.alg[0] {
	case 'R':
		sig, err = rsa.SignPKCS1v15(rand.Reader, k.signer.(*rsa.PrivateKey), h, digest)
	case 'P':
		opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}
		sig, err = rsa.SignPSS(rand.Reader, k.signer.(*rsa.PrivateKey), h, digest, opts)
	case 'E':
		priv := k.signer.(*ecdsa.PrivateKey)
		r, s, e := ecdsa.Sign(rand.Reader, priv, digest)
		size := (priv.Curve.Params().BitSize + 7) / 8
		sig, err = append(r.FillBytes(make([]byte, size)), s.FillBytes(make([]byte, size))...), e
	}
	if err != nil {
		panic(err)
	}
	return sig
}

func b64s(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// baseHeader is the header of a well-formed RFC 9068 token signed by k.
func (k *testKey) baseHeader() map[string]any {
	return map[string]any{"alg": k.alg, "typ": "at+jwt", "kid": k.key.ID()}
}

// baseClaims are valid claims at testNow.
func baseClaims() map[string]any {
	return map[string]any{
		"iss":       testIssuer,
		"sub":       "user-1",
		"aud":       testAudience,
		"exp":       testNow.Add(time.Hour).Unix(),
		"iat":       testNow.Unix(),
		"jti":       "jti-1",
		"client_id": "client-1",
		"scope":     "read write",
	}
}

// merge returns base with mods applied; a nil value in mods deletes the name.
func merge(base, mods map[string]any) map[string]any {
	out := maps.Clone(base)
	for name, v := range mods {
		if v == nil {
			delete(out, name)
		} else {
			out[name] = v
		}
	}
	return out
}

// mint returns a token signed by k with the base header and claims changed by
// hdr and claims (nil values delete).
func (k *testKey) mint(hdr, claims map[string]any) string {
	return k.mintRaw(mustJSON(merge(k.baseHeader(), hdr)), mustJSON(merge(baseClaims(), claims)))
}

// mintRaw signs the exact header and payload bytes.
func (k *testKey) mintRaw(header, payload []byte) string {
	input := b64s(header) + "." + b64s(payload)
	return input + "." + b64s(k.sign(input))
}

// token returns a valid token of k.
func (k *testKey) token() string { return k.mint(nil, nil) }

// fixedNow is a Config.Now that returns t.
func fixedNow(t time.Time) func() time.Time { return func() time.Time { return t } }

// newTestValidator returns a validator for testIssuer and testAudience over
// keys, with Now fixed at testNow unless cfg says otherwise; edit, if not nil,
// changes the Issuer first.
func newTestValidator(tb testing.TB, keys []*testKey, edit func(*Issuer), cfg *Config) *Validator {
	tb.Helper()
	ks := make([]*jwks.Key, len(keys))
	for i, k := range keys {
		ks[i] = k.key
	}
	src, err := jwks.NewStatic(ks...)
	if err != nil {
		tb.Fatal(err)
	}
	is := Issuer{URL: testIssuer, Audiences: []string{testAudience}, Keys: src}
	if edit != nil {
		edit(&is)
	}
	c := Config{Now: fixedNow(testNow)}
	if cfg != nil {
		c = *cfg
		if c.Now == nil {
			c.Now = fixedNow(testNow)
		}
	}
	v, err := NewValidator(is, &c)
	if err != nil {
		tb.Fatalf("NewValidator: %v", err)
	}
	return v
}

// wantRefused checks that err refuses token as invalid_token for reason and
// leaks nothing of the token.
func wantRefused(tb testing.TB, token string, err, reason error) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("Validate(%.40q…) = nil error, want %v", token, reason)
	}
	if !errors.Is(err, ErrInvalidToken) || !errors.Is(err, reason) {
		tb.Fatalf("Validate(%.40q…) = %v, want %v and %v", token, err, ErrInvalidToken, reason)
	}
	if code := AsError(err).Code(); code != CodeInvalidToken {
		tb.Fatalf("Validate(%.40q…) error code = %q, want %q", token, code, CodeInvalidToken)
	}
	noLeak(tb, token, err)
}

// noLeak fails if err's text shares 12 consecutive bytes with the token or
// with its decoded parts, or contains any string of 6 bytes or more from the
// decoded header or claims (a kid, an issuer, a subject).
func noLeak(tb testing.TB, token string, err error) {
	tb.Helper()
	const window = 12
	texts := []string{token}
	var values []string
	for _, part := range strings.Split(token, ".") {
		b, e := base64.RawURLEncoding.DecodeString(part)
		if e != nil {
			continue
		}
		texts = append(texts, string(b))
		var v any
		if json.Unmarshal(b, &v) == nil {
			values = appendStrings(values, v)
		}
	}
	msg := err.Error()
	for i := 0; i+window <= len(msg); i++ {
		for _, s := range texts {
			if strings.Contains(s, msg[i:i+window]) {
				tb.Fatalf("error %q contains %q, a part of the token", msg, msg[i:i+window])
			}
		}
	}
	for _, s := range values {
		if len(s) >= 6 && strings.Contains(msg, s) {
			tb.Fatalf("error %q contains %q, from the token", msg, s)
		}
	}
}

// appendStrings appends the strings in a decoded JSON value, and its object
// member names.
func appendStrings(dst []string, v any) []string {
	switch v := v.(type) {
	case string:
		dst = append(dst, v)
	case []any:
		for _, e := range v {
			dst = appendStrings(dst, e)
		}
	case map[string]any:
		for name, e := range v {
			dst = appendStrings(append(dst, name), e)
		}
	}
	return dst
}

// validate calls v.Validate with a background context.
func validate(v *Validator, token string) (*Claims, error) {
	return v.Validate(context.Background(), token)
}

// allAlgs are the default algorithms and the HMAC ones.
func allAlgs() []string { return append(slices.Clone(DefaultAlgorithms()), hmacAlgs...) }

// issuerFor lets an issuer accept alg (the HMAC algorithms must be named).
func issuerFor(alg string) func(*Issuer) {
	return func(is *Issuer) {
		if alg[0] == 'H' {
			is.Algorithms = []string{alg}
		}
	}
}

// signParts signs the exact encoded header and payload segments.
func (k *testKey) signParts(hdr, payload string) string {
	input := hdr + "." + payload
	return input + "." + b64s(k.sign(input))
}

// nonCanonical sets the unused low bits of seg's last character, which a
// lenient decoder ignores. seg's length must not be a multiple of 4.
func nonCanonical(tb testing.TB, seg string) string {
	tb.Helper()
	if len(seg)%4 == 0 {
		tb.Fatalf("nonCanonical(%q): length %d has no unused bits", seg, len(seg))
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	v := strings.IndexByte(alphabet, seg[len(seg)-1])
	out := seg[:len(seg)-1] + string(alphabet[v|1])
	if out == seg {
		tb.Fatalf("nonCanonical(%q): the last character already has its low bit set", seg)
	}
	if lenient, err := base64.RawURLEncoding.DecodeString(out); err != nil || b64s(lenient) != seg {
		tb.Fatalf("nonCanonical(%q) = %q, which does not decode leniently to the same bytes", seg, out)
	}
	return out
}

// attackerKey returns a key of alg that no validator trusts, with kid.
func attackerKey(tb testing.TB, alg, kid string) *testKey {
	tb.Helper()
	return newTestKey(tb, kid, alg, alg)
}

// jwkOf returns the public JWK of an EC or Ed25519 test key.
func jwkOf(k *testKey) map[string]any {
	switch pub := k.key.Public().(type) {
	case *ecdsa.PublicKey:
		b, _ := pub.Bytes()
		size := (len(b) - 1) / 2
		return map[string]any{"kty": "EC", "crv": pub.Curve.Params().Name, "kid": k.key.ID(),
			"x": b64s(b[1 : 1+size]), "y": b64s(b[1+size:])}
	case ed25519.PublicKey:
		return map[string]any{"kty": "OKP", "crv": "Ed25519", "kid": k.key.ID(), "x": b64s(pub)}
	}
	panic("jwkOf: unsupported key")
}
