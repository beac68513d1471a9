package middleware

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/keytest"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// attack is one hostile token and the reason it must be refused for.
type attack struct {
	name   string
	token  string
	reason error
}

// hs256 signs header and claims with HMAC-SHA256 under secret, as an
// attacker who takes a public key for a MAC secret would (RFC 8725 §2.1).
func hs256(secret []byte, hdr, claims map[string]any) string {
	k := &testKey{alg: "HS256", signer: secret}
	return k.mintRaw(mustJSON(hdr), mustJSON(merge(baseClaims(), claims)))
}

// resign replaces the signature of tok by sig.
func resign(tok string, sig []byte) string {
	return tok[:strings.LastIndexByte(tok, '.')+1] + b64s(sig)
}

// sigOf returns the decoded signature of tok.
func sigOf(tb testing.TB, tok string) []byte {
	tb.Helper()
	sig, err := base64.RawURLEncoding.DecodeString(tok[strings.LastIndexByte(tok, '.')+1:])
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

// algNoneAttacks are unsigned tokens claiming "none" in several casings.
func algNoneAttacks() []attack {
	var out []attack
	claims := b64s(mustJSON(baseClaims()))
	for _, alg := range []string{"none", "None", "NONE", "nOnE", `\u006eone`} {
		hdr := b64s([]byte(`{"alg":"` + alg + `","typ":"at+jwt","kid":"kid-RS256"}`))
		out = append(out,
			attack{"alg " + alg + ", no signature", hdr + "." + claims + ".", ErrDisallowedAlg},
			attack{"alg " + alg + ", a signature", hdr + "." + claims + ".c2ln", ErrDisallowedAlg})
	}
	return out
}

// keyConfusionAttacks sign HS256 tokens with the RSA public key's encodings
// as the HMAC secret.
func keyConfusionAttacks(tb testing.TB, rs *testKey) []attack {
	pub := rs.key.Public().(*rsa.PublicKey)
	pkix, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PublicKey(pub)
	secrets := map[string][]byte{
		"PKIX PEM":  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}),
		"PKCS1 PEM": pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1}),
		"PKIX DER":  pkix,
		"PKCS1 DER": pkcs1,
		"modulus":   pub.N.Bytes(),
	}
	var out []attack
	for name, secret := range secrets {
		hdr := map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": rs.key.ID()}
		out = append(out, attack{"HS256 with the RSA key's " + name, hs256(secret, hdr, nil), ErrDisallowedAlg})
	}
	return out
}

// signatureAttacks forge or damage the signatures of k's tokens.
func signatureAttacks(tb testing.TB, k *testKey) []attack {
	tok := k.token()
	sig := sigOf(tb, tok)
	flipped := append([]byte(nil), sig...)
	flipped[len(flipped)/2] ^= 0x01
	out := []attack{
		{k.alg + " stripped signature", tok[:strings.LastIndexByte(tok, '.')+1], ErrMalformed},
		{k.alg + " truncated signature", resign(tok, sig[:len(sig)-1]), ErrBadSignature},
		{k.alg + " signature with a flipped bit", resign(tok, flipped), ErrBadSignature},
		{k.alg + " signature doubled", resign(tok, append(sig, sig...)), ErrBadSignature},
		{k.alg + " signature of zeros", resign(tok, make([]byte, len(sig))), ErrBadSignature},
		{k.alg + " signature of 0xff", resign(tok, []byte(strings.Repeat("\xff", len(sig)))), ErrBadSignature},
		{k.alg + " one-byte signature", resign(tok, []byte{0}), ErrBadSignature},
		{k.alg + " altered payload", resign(k.mint(nil, map[string]any{"sub": "admin"}), sig), ErrBadSignature},
		{k.alg + " altered header", resign(k.mint(map[string]any{"typ": "application/at+jwt"}, nil), sig), ErrBadSignature},
		{k.alg + " signature in standard base64", tok[:strings.LastIndexByte(tok, '.')+1] + stdBase64Signature(sig), ErrMalformed},
	}
	if len(b64s(sig))%4 != 0 { // the encoding has unused bits to set
		out = append(out, attack{k.alg + " non-canonical signature",
			tok[:strings.LastIndexByte(tok, '.')+1] + nonCanonical(tb, b64s(sig)), ErrMalformed})
	}
	if priv, ok := k.signer.(*ecdsa.PrivateKey); ok {
		out = append(out, ecdsaAttacks(tb, k, tok, priv)...)
	}
	if priv, ok := k.signer.(*rsa.PrivateKey); ok {
		n := priv.N.Bytes()
		out = append(out,
			attack{k.alg + " signature equal to the modulus", resign(tok, n), ErrBadSignature},
			attack{k.alg + " signature of one", resign(tok, new(big.Int).SetInt64(1).FillBytes(make([]byte, len(n)))), ErrBadSignature})
	}
	for _, a := range out {
		if a.token == tok {
			tb.Fatalf("%s: the attack token is the valid token", a.name)
		}
	}
	return out
}

// stdBase64Signature encodes sig in the standard base64 alphabet with
// padding, so that it differs from its base64url encoding for every sig: when
// the standard encoding has no '+', '/' or '=' (a random ES384 or ES512
// signature, whose length is a multiple of 3, often has none), the first
// byte's top six bits are set, making the first character '/'.
func stdBase64Signature(sig []byte) string {
	enc := base64.StdEncoding.EncodeToString(sig)
	if enc != b64s(sig) {
		return enc
	}
	forced := append([]byte(nil), sig...)
	forced[0] |= 0xfc
	return base64.StdEncoding.EncodeToString(forced)
}

// ecdsaAttacks are the ECDSA-specific forgeries: R=S=0 ("psychic
// signatures", CVE-2022-21449), R and S equal to the group order, and a
// valid signature in DER rather than R||S.
func ecdsaAttacks(tb testing.TB, k *testKey, tok string, priv *ecdsa.PrivateKey) []attack {
	size := (priv.Curve.Params().BitSize + 7) / 8
	order := priv.Curve.Params().N.FillBytes(make([]byte, size))
	one := new(big.Int).SetInt64(1).FillBytes(make([]byte, size))
	input := tok[:strings.LastIndexByte(tok, '.')]
	h := hashOf(k.alg).New()
	h.Write([]byte(input))
	der, err := ecdsa.SignASN1(rand.Reader, priv, h.Sum(nil))
	if err != nil {
		tb.Fatal(err)
	}
	return []attack{
		{k.alg + " R=S=0", resign(tok, make([]byte, 2*size)), ErrBadSignature},
		{k.alg + " R=S=n", resign(tok, append(append([]byte(nil), order...), order...)), ErrBadSignature},
		{k.alg + " R=S=1", resign(tok, append(append([]byte(nil), one...), one...)), ErrBadSignature},
		{k.alg + " R=0, S valid", resign(tok, append(make([]byte, size), sigOf(tb, tok)[size:]...)), ErrBadSignature},
		{k.alg + " DER signature", resign(tok, der), ErrBadSignature},
	}
}

// claimAttacks are well-signed tokens whose claims or header must not pass.
func claimAttacks(tb testing.TB, k *testKey, evil *testKey) []attack {
	huge := strings.Repeat("A", 64<<10)
	deep := b64s([]byte(`{"iss":"` + testIssuer + `","x":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`))
	hdr := b64s(mustJSON(k.baseHeader()))
	return []attack{
		{"embedded jwk, no kid", evil.mint(map[string]any{"kid": nil, "jwk": jwkOf(evil)}, nil), ErrUnknownKey},
		{"embedded jwk, victim's kid", evil.mint(map[string]any{"kid": k.key.ID(), "jwk": jwkOf(evil)}, nil), ErrBadSignature},
		{"jku, no kid", evil.mint(map[string]any{"kid": nil, "jku": "https://evil.example.test/jwks"}, nil), ErrUnknownKey},
		{"jku, victim's kid", evil.mint(map[string]any{"kid": k.key.ID(), "jku": "https://evil.example.test/jwks"}, nil), ErrBadSignature},
		{"x5u and x5c", evil.mint(map[string]any{"kid": nil, "x5u": "https://evil.example.test/cert", "x5c": []string{"MIIB"}}, nil), ErrUnknownKey},
		{"unknown kid", evil.mint(map[string]any{"kid": "evil"}, nil), ErrUnknownKey},
		{"kid path traversal", evil.mint(map[string]any{"kid": "../../../../dev/null"}, nil), ErrUnknownKey},
		{"kid injection", evil.mint(map[string]any{"kid": "x' OR '1'='1"}, nil), ErrUnknownKey},
		{"unknown crit", k.mint(map[string]any{"crit": []string{"http://evil.example.test/ignore-exp"}}, nil), ErrUnknownCritical},
		{"crit b64", k.mint(map[string]any{"crit": []string{"b64"}, "b64": false}, nil), ErrUnknownCritical},
		{"duplicate alg", k.mintRaw([]byte(`{"alg":"`+k.alg+`","alg":"none","kid":"`+k.key.ID()+`","typ":"at+jwt"}`), mustJSON(baseClaims())), ErrMalformed},
		{"duplicate kid", k.mintRaw([]byte(`{"alg":"`+k.alg+`","kid":"evil","kid":"`+k.key.ID()+`","typ":"at+jwt"}`), mustJSON(baseClaims())), ErrMalformed},
		{"duplicate exp", k.mintRaw(mustJSON(k.baseHeader()), []byte(strings.Replace(string(mustJSON(baseClaims())), "{", `{"exp":1,`, 1))), ErrMalformed},
		{"duplicate iss", k.mintRaw(mustJSON(k.baseHeader()), []byte(strings.Replace(string(mustJSON(baseClaims())), "{", `{"iss":"https://evil.example.test",`, 1))), ErrMalformed},
		{"JWE", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a2V5.aXY.Y2lwaGVy.dGFn", ErrUnsupportedFormat},
		{"JWE with dir", b64s([]byte(`{"alg":"dir","enc":"A128GCM"}`)) + "..aXY.Y2lwaGVy.dGFn", ErrUnsupportedFormat},
		{"two parts", hdr + "." + b64s(mustJSON(baseClaims())), ErrMalformed},
		{"four parts", k.token() + ".AAAA", ErrMalformed},
		{"non-canonical header", nonCanonicalHeader(tb, k), ErrMalformed},
		{"huge token", huge + "." + huge + "." + huge, ErrTokenTooLarge},
		{"huge header", b64s([]byte(`{"alg":"`+huge+`"}`)) + ".e30.AA", ErrTokenTooLarge},
		{"deeply nested claims", k.signParts(hdr, deep), ErrMalformed},
		{"expired", k.mint(nil, map[string]any{"exp": testNow.Add(-time.Hour).Unix()}), ErrExpired},
		{"expired a second ago", k.mint(nil, map[string]any{"exp": testNow.Add(-DefaultClockSkew - time.Second).Unix()}), ErrExpired},
		{"no exp", k.mint(nil, map[string]any{"exp": nil}), ErrMissingClaim},
		{"future nbf", k.mint(nil, map[string]any{"nbf": testNow.Add(time.Hour).Unix()}), ErrNotYetValid},
		{"future iat", k.mint(nil, map[string]any{"iat": testNow.Add(time.Hour).Unix()}), ErrNotYetValid},
		{"wrong iss", k.mint(nil, map[string]any{"iss": "https://evil.example.test"}), ErrIssuerMismatch},
		{"no iss", k.mint(nil, map[string]any{"iss": nil}), ErrMissingClaim},
		{"wrong aud", k.mint(nil, map[string]any{"aud": "https://evil.example.test"}), ErrAudienceMismatch},
		{"no aud", k.mint(nil, map[string]any{"aud": nil}), ErrMissingClaim},
		{"typ JWT", k.mint(map[string]any{"typ": "JWT"}, nil), ErrWrongType},
		{"no typ", k.mint(map[string]any{"typ": nil}, nil), ErrWrongType},
		{"ID token typ", k.mint(map[string]any{"typ": "id_token+jwt"}, nil), ErrWrongType},
		{"logout token typ", k.mint(map[string]any{"typ": "logout+jwt"}, nil), ErrWrongType},
		{"RFC 7519 §4 duplicate custom claim", k.mintRaw(mustJSON(k.baseHeader()), []byte(strings.Replace(string(mustJSON(baseClaims())), "{", `{"role":"user","role":"admin",`, 1))), ErrMalformed},
		{"RFC 7519 §4 case-twin custom claim", k.mintRaw(mustJSON(k.baseHeader()), []byte(strings.Replace(string(mustJSON(baseClaims())), "{", `{"role":"user","ROLE":"admin",`, 1))), ErrMalformed},
		{"RFC 7519 §4 escaped twin custom claim", k.mintRaw(mustJSON(k.baseHeader()), []byte(strings.Replace(string(mustJSON(baseClaims())), "{", `{"role":"user","\u0052OLE":"admin",`, 1))), ErrMalformed},
		{"RFC 7519 §4.1.3 aud empty array", k.mint(nil, map[string]any{"aud": []string{}}), ErrMissingClaim},
		{"RFC 9449 §7.1 DPoP-bound token as bearer", k.mint(nil, map[string]any{"cnf": map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}), ErrSenderConstrained},
		{"RFC 8705 §3.1 certificate-bound token without a certificate", k.mint(nil, map[string]any{"cnf": map[string]any{"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}}), ErrSenderConstrained},
		{"RFC 7800 §3.1 cnf of an unverified method", k.mint(nil, map[string]any{"cnf": map[string]any{"jwk": jwkOf(evil)}}), ErrSenderConstrained},
		{"RFC 7800 §3.1 empty cnf", k.mint(nil, map[string]any{"cnf": map[string]any{}}), ErrSenderConstrained},
		{"RFC 7800 §3.1 cnf not an object", k.mint(nil, map[string]any{"cnf": "jkt"}), ErrMalformed},
		{"RFC 7800 §3.1 case-twin cnf", k.mintRaw(mustJSON(k.baseHeader()), []byte(strings.Replace(string(mustJSON(baseClaims())), "{", `{"cnf":{"kid":"a"},"CNF":{"kid":"b"},`, 1))), ErrMalformed},
	}
}

// nonCanonicalHeader signs k's claims under a header whose encoding has
// non-zero unused bits.
func nonCanonicalHeader(tb testing.TB, k *testKey) string {
	for pad := ""; len(pad) < 3; pad += " " {
		hdr := b64s([]byte(`{"alg":"` + k.alg + `","typ":"at+jwt","kid":"` + k.key.ID() + `"` + pad + `}`))
		if len(hdr)%4 != 0 {
			return k.signParts(nonCanonical(tb, hdr), b64s(mustJSON(baseClaims())))
		}
	}
	tb.Fatal("no header length with unused bits")
	return ""
}

// TestAttackTokens refuses every attack token with its intended reason, and
// the refusal's text never contains any part of the token.
func TestAttackTokens(t *testing.T) {
	t.Parallel()
	var keys []*testKey
	for _, alg := range DefaultAlgorithms() {
		keys = append(keys, keyFor(t, alg))
	}
	// A second ES256 key makes "no kid" ambiguous, as in a real key set.
	keys = append(keys, newTestKey(t, "kid-ES256-next", "ES256", "ES256"))
	v := newTestValidator(t, keys, nil, nil)
	rs := keyFor(t, "RS256")
	attacks := append(algNoneAttacks(), keyConfusionAttacks(t, rs)...)
	for _, k := range keys[:len(DefaultAlgorithms())] {
		attacks = append(attacks, signatureAttacks(t, k)...)
	}
	attacks = append(attacks, claimAttacks(t, keyFor(t, "ES256"), attackerKey(t, "ES256", "evil"))...)
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			_, err := validate(v, a.token)
			wantRefused(t, a.token, err, a.reason)
			// Asked twice: a refusal is never cached.
			_, err = validate(v, a.token)
			wantRefused(t, a.token, err, a.reason)
		})
	}
	// A sender-constrained token is valid: its claims are cached and its
	// binding is checked on every request, cache hit or not (the second
	// validate above). Every other refusal is never cached.
	bound := 0
	for _, a := range attacks {
		if a.reason == ErrSenderConstrained {
			bound++
		}
	}
	if n := v.cache.len(); n != bound {
		t.Errorf("after the attacks the cache holds %d entries, want %d (the bound tokens)", n, bound)
	}
}

// TestAttackKeyConfusionWithHMACAllowed: even when an issuer allows HS256, a
// token signed with the RSA public key as a MAC secret names an RSA key,
// which cannot verify HMAC.
func TestAttackKeyConfusionWithHMACAllowed(t *testing.T) {
	t.Parallel()
	rs := keyFor(t, "RS256")
	bare := mustTestKey(rs.key.ID(), "RS256", "", rs.signer) // JWK without "alg"
	for _, k := range []*testKey{rs, bare} {
		v := newTestValidator(t, []*testKey{k}, func(is *Issuer) { is.Algorithms = []string{"RS256", "HS256"} }, nil)
		for _, a := range keyConfusionAttacks(t, k) {
			_, err := validate(v, a.token)
			wantRefused(t, a.token, err, ErrKeyMismatch)
		}
		if _, err := validate(v, k.token()); err != nil {
			t.Errorf("Validate(RS256 token) = %v, want nil", err)
		}
	}
}

// TestAttackHMACSecretGuessing: an HS256 token signed with a wrong secret is
// a bad signature, and so is one signed with the right secret truncated.
func TestAttackHMACSecretGuessing(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "HS256")
	v := newTestValidator(t, []*testKey{k}, issuerFor("HS256"), nil)
	secret := k.signer.([]byte)
	for name, s := range map[string][]byte{
		"other secret":     randomBytes(len(secret)),
		"truncated secret": secret[:32],
		"empty secret":     {},
		"secret's digest":  func() []byte { d := sha256.Sum256(secret); return d[:] }(),
	} {
		tok := hs256(s, k.baseHeader(), nil)
		_, err := validate(v, tok)
		if err == nil {
			t.Fatalf("Validate(HS256 token with %s) = nil, want %v", name, ErrBadSignature)
		}
		wantRefused(t, tok, err, ErrBadSignature)
	}
}

// answerIntrospector answers every token with the claims ParseClaims reads
// from the RFC 7662 response body registered for it, as the introspection
// package does once it has checked "active".
type answerIntrospector map[string]string

func (a answerIntrospector) Introspect(_ context.Context, token string) (*Claims, error) {
	body, ok := a[token]
	if !ok {
		return nil, InvalidToken(ErrInactive, nil)
	}
	return ParseClaims([]byte(body), "")
}

// introspectionAttack is an introspection answer that must be refused for
// reason, with the RFC clause it breaks.
type introspectionAttack struct {
	name   string
	answer string
	reason error
}

// introspectionAttacks are active answers whose members must not pass.
func introspectionAttacks() []introspectionAttack {
	exp := fmt.Sprint(testNow.Add(time.Hour).Unix())
	with := func(members string) string {
		return `{"active":true,"exp":` + exp + `,` + members + `}`
	}
	return []introspectionAttack{
		{"RFC 7662 §2.2 aud of another API", with(`"aud":"https://evil.example.test"`), ErrAudienceMismatch},
		{"RFC 7662 §2.2 aud array of other APIs", with(`"aud":["https://evil.example.test","x"]`), ErrAudienceMismatch},
		{"RFC 7662 §2.2 aud empty array", with(`"aud":[]`), ErrAudienceMismatch},
		{"RFC 7662 §2.2 aud empty string", with(`"aud":""`), ErrAudienceMismatch},
		{"RFC 7662 §2.2 iss empty", with(`"iss":"","aud":"` + testAudience + `"`), ErrIssuerMismatch},
		{"RFC 7662 §2.2 iss of another issuer", with(`"iss":"https://evil.example.test","aud":"` + testAudience + `"`), ErrIssuerMismatch},
		{"RFC 7662 §2.2 token_type empty", with(`"token_type":"","aud":"` + testAudience + `"`), ErrWrongType},
		{"RFC 7662 §2.2 token_type refresh_token", with(`"token_type":"refresh_token","aud":"` + testAudience + `"`), ErrWrongType},
		{"RFC 7519 §4 duplicate custom member", with(`"role":"user","role":"admin","aud":"` + testAudience + `"`), ErrMalformed},
		{"RFC 7519 §4 case-twin custom member", with(`"role":"user","ROLE":"admin","aud":"` + testAudience + `"`), ErrMalformed},
		{"RFC 9449 §6.2 token_type DPoP as bearer", with(`"token_type":"DPoP","cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},"aud":"` + testAudience + `"`), ErrSenderConstrained},
		{"RFC 9449 §6.2 token_type DPoP without cnf", with(`"token_type":"DPoP","aud":"` + testAudience + `"`), ErrSenderConstrained},
		{"RFC 9449 §6.2 cnf.jkt without token_type", with(`"cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},"aud":"` + testAudience + `"`), ErrSenderConstrained},
		{"RFC 8705 §3.2 cnf x5t#S256 without a certificate", with(`"cnf":{"x5t#S256":"bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"},"aud":"` + testAudience + `"`), ErrSenderConstrained},
		{"RFC 7800 §3.1 cnf of an unverified method", with(`"cnf":{"jwk":{"kty":"EC"}},"aud":"` + testAudience + `"`), ErrSenderConstrained},
	}
}

// TestAttackIntrospectionAnswers refuses every hostile introspection answer
// with its reason, and accepts the same answers with the hostile member
// removed, so that each case refuses for the member it names.
func TestAttackIntrospectionAnswers(t *testing.T) {
	t.Parallel()
	answers := answerIntrospector{
		"ok-absent":  `{"active":true,"exp":` + fmt.Sprint(testNow.Add(time.Hour).Unix()) + `}`,
		"ok-members": `{"active":true,"iss":"` + testIssuer + `","aud":["x","` + testAudience + `"],"token_type":"Bearer","role":"user"}`,
	}
	attacks := introspectionAttacks()
	for i, a := range attacks {
		answers[fmt.Sprint("attack-", i)] = a.answer
	}
	v, err := NewValidator(Issuer{URL: testIssuer, Audiences: []string{testAudience}, Introspector: answers},
		&Config{Now: fixedNow(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"ok-absent", "ok-members"} {
		if _, err := validate(v, tok); err != nil {
			t.Fatalf("Validate(%s) = %v, want nil", tok, err)
		}
	}
	for i, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			tok := fmt.Sprint("attack-", i)
			_, err := validate(v, tok)
			if !errors.Is(err, ErrInvalidToken) || !errors.Is(err, a.reason) {
				t.Fatalf("Validate(%s) = %v, want %v and %v", a.answer, err, ErrInvalidToken, a.reason)
			}
		})
	}
}

// hostileJWK is a JWK that jwks.ParseSet must skip, and the RFC clause it
// breaks. key, when set, signs a token that the JWK would verify if it were
// loaded; else a token naming kid is signed by a key nobody trusts.
type hostileJWK struct {
	name string
	kid  string
	raw  []byte
	key  *testKey
}

func hostileJWKs(tb testing.TB) []hostileJWK {
	other := mustEC(curveFor("ES256"))
	var out []hostileJWK
	rsaCase := func(name, kid string, n *big.Int, e int) {
		out = append(out, hostileJWK{name, kid, mustJSON(keytest.RSAJWK(kid, n, e)), nil})
	}
	ecCase := func(name, kid string, members map[string]any) {
		k := newTestKey(tb, kid, "ES256", "")
		out = append(out, hostileJWK{name, kid, mustJSON(merge(jwkOf(k), members)), k})
	}
	rsaCase("RFC 7518 §6.3.1 RSA modulus of 8193 bits", "rsa-8193", keytest.OddModulus(jwks.MaxRSABits+1), 65537)
	rsaCase("RFC 7518 §6.3.1 RSA modulus of 200000 bits", "rsa-huge", keytest.OddModulus(200_000), 65537)
	rsaCase("RFC 8017 §3.1 even RSA modulus", "rsa-even", new(big.Int).SetBit(keytest.OddModulus(2048), 0, 0), 65537)
	rsaCase("RFC 8017 §3.1 RSA exponent 1", "rsa-e1", keytest.OddModulus(2048), 1)
	rsaCase("RFC 8017 §3.1 even RSA exponent", "rsa-e-even", keytest.OddModulus(2048), 65536)
	ecCase("RFC 7517 §4.3 key_ops sign only", "ops-sign", map[string]any{"key_ops": []string{"sign"}})
	ecCase("RFC 7517 §4.3 key_ops contradicting use sig", "ops-enc", map[string]any{"use": "sig", "key_ops": []string{"verify", "encrypt"}})
	ecCase("RFC 7517 §4.3 key_ops with a duplicate", "ops-twice", map[string]any{"key_ops": []string{"verify", "verify"}})
	ecCase("RFC 7517 §4.3 key_ops empty", "ops-empty", map[string]any{"key_ops": []string{}})
	ecCase("RFC 7517 §4.7 x5c for another key", "x5c-other", map[string]any{"x5c": []string{base64.StdEncoding.EncodeToString(keytest.Certificate(tb, &other.PublicKey, other, testNow))}})
	ecCase("RFC 7517 §4.7 x5c not a certificate", "x5c-junk", map[string]any{"x5c": []string{"MIIB"}})
	dup := newTestKey(tb, "dup-kid", "ES256", "")
	raw := mustJSON(jwkOf(dup))
	raw = []byte(`{"kid":"other",` + string(raw[1:]))
	out = append(out, hostileJWK{"RFC 8259 §4 JWK with kid twice", "dup-kid", raw, dup})
	twin := newTestKey(tb, "twin-kid", "ES256", "")
	raw = mustJSON(jwkOf(twin))
	raw = []byte(`{"KID":"other",` + string(raw[1:]))
	out = append(out, hostileJWK{"RFC 8259 §4 JWK with a case-twin kid", "twin-kid", raw, twin})
	return out
}

// TestAttackHostileKeys: every hostile JWK is skipped and reported, jwks.NewKey
// refuses the RSA ones, and a token naming one is refused as an unknown key —
// the refusal of any unknown kid: the key never loaded, so no verification
// with it is ever attempted, whatever its size.
func TestAttackHostileKeys(t *testing.T) {
	t.Parallel()
	hostile := hostileJWKs(t)
	good := newTestKey(t, "good", "ES256", "ES256")
	doc := `{"keys":[` + string(mustJSON(jwkOf(good)))
	for _, h := range hostile {
		doc += "," + string(h.raw)
	}
	doc += "]}"
	keys, skipped, err := jwks.ParseSet([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ID() != "good" || len(skipped) != len(hostile) {
		t.Fatalf("jwks.ParseSet: %d keys, %d skipped (%v); want only good, %d skipped", len(keys), len(skipped), skipped, len(hostile))
	}
	for i, err := range skipped {
		if !errors.Is(err, jwks.ErrUnusableKey) {
			t.Errorf("%s: skipped for %v, want %v", hostile[i].name, err, jwks.ErrUnusableKey)
		}
	}
	ks, err := jwks.NewStatic(keys...)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewValidator(Issuer{URL: testIssuer, Audiences: []string{testAudience}, Keys: ks,
		Algorithms: []string{"ES256", "RS256"}}, &Config{Now: fixedNow(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := validate(v, good.token()); err != nil {
		t.Fatalf("Validate(good token) = %v", err)
	}
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			signer := h.key
			if signer == nil {
				signer = attackerKey(t, "ES256", h.kid)
			}
			tok := signer.mint(map[string]any{"kid": h.kid}, nil)
			_, err := validate(v, tok)
			wantRefused(t, tok, err, ErrUnknownKey)
			if !strings.HasPrefix(h.name, "RFC") {
				t.Errorf("case %q names no RFC clause", h.name)
			}
		})
	}
}
