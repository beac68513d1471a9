package middleware

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rsguard/rsguard/internal/keytest"
)

// The -update flag regenerates the fuzz keys and the FuzzValidate seed
// corpus. Another test file of this binary may define it too, so it is defined
// only if absent and read through the flag set.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite generated files under testdata")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// FuzzParseClaims checks the hand-written claims parser against
// encoding/json: it never panics; what it accepts, encoding/json accepts, with
// the same registered members; a registered member never appears twice.
func FuzzParseClaims(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"iss":"a","sub":"b","aud":["c","d"],"exp":1.5,"iat":0,"nbf":1e9,"jti":"j","client_id":"c","azp":"z","username":"u","token_type":"t","scope":"a b"}`,
		`{"aud":"x","scp":["a","b"],"x":{"y":[1,{"z":null}]}}`, `{"\u0069ss":"\ud83d\ude00","exp":-0}`,
		`{"exp":1,"exp":2}`, `{"role":"user","ROLE":"admin"}`, `{"Role":"user","x":1}`, `{"\u212aid":1,"kid":2}`, `{"iss":"\u00e9\n"}`, ` {"a" : [ true , false ] } `, `{"exp":253402300799}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseClaims(data, "")
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("ParseClaims(%q) accepted invalid JSON", data)
		}
		if !utf8.Valid(data) {
			return // encoding/json replaces what we refused to decode
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("ParseClaims(%q) accepted what encoding/json cannot decode as an object: %v", data, err)
		}
		checkRegistered(t, data, c, m)
		checkUnique(t, data, c)
	})
}

// checkRegistered compares the registered members of c with encoding/json's
// decoding of them.
func checkRegistered(t *testing.T, data []byte, c *Claims, m map[string]json.RawMessage) {
	t.Helper()
	str := func(name string) string {
		var s string
		if raw, ok := m[name]; ok {
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatalf("ParseClaims(%q) accepted %s = %s: %v", data, name, raw, err)
			}
		}
		return s
	}
	date := func(name string) time.Time {
		raw, ok := m[name]
		if !ok {
			return time.Time{}
		}
		var f float64
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatalf("ParseClaims(%q) accepted %s = %s: %v", data, name, raw, err)
		}
		sec := math.Floor(f)
		return time.Unix(int64(sec), int64((f-sec)*1e9))
	}
	clientID := str("client_id")
	if clientID == "" {
		clientID = str("azp")
	}
	var aud []string
	if raw, ok := m["aud"]; ok {
		var one string
		if json.Unmarshal(raw, &one) == nil {
			aud = []string{one}
		} else if err := json.Unmarshal(raw, &aud); err != nil {
			t.Fatalf("ParseClaims(%q) accepted aud = %s: %v", data, raw, err)
		}
	}
	got := []any{c.Issuer, c.Subject, c.ID, c.ClientID, c.Username, c.TokenType}
	want := []any{str("iss"), str("sub"), str("jti"), clientID, str("username"), str("token_type")}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("ParseClaims(%q): member %d = %q, encoding/json says %q", data, i, got[i], want[i])
		}
	}
	if !slices.Equal(c.Audience, aud) && (len(c.Audience) != 0 || len(aud) != 0) {
		t.Fatalf("ParseClaims(%q).Audience = %q, encoding/json says %q", data, c.Audience, aud)
	}
	for _, d := range []struct {
		name string
		got  time.Time
	}{{"exp", c.ExpiresAt}, {"iat", c.IssuedAt}, {"nbf", c.NotBefore}} {
		if want := date(d.name); !d.got.Equal(want) {
			t.Fatalf("ParseClaims(%q): %s = %v, encoding/json says %v", data, d.name, d.got, want)
		}
	}
	var scopes []string
	for _, name := range []string{"scope", "scp"} {
		if raw, ok := m[name]; ok {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				scopes = strings.Fields(s)
			} else if err := json.Unmarshal(raw, &scopes); err != nil {
				t.Fatalf("ParseClaims(%q) accepted %s = %s: %v", data, name, raw, err)
			}
			break
		}
	}
	for _, s := range scopes {
		if !c.Scopes.Has(s) {
			t.Fatalf("ParseClaims(%q).Scopes = %q, lacks %q", data, c.Scopes, s)
		}
	}
	if c.Scopes.Len() > len(scopes) {
		t.Fatalf("ParseClaims(%q).Scopes = %q, encoding/json says %q", data, c.Scopes, scopes)
	}
}

// checkUnique fails if a member name occurs twice at the top level of data,
// exactly or under case folding, walking it with encoding/json's tokenizer,
// and checks that [Claims.Claim] and [Claims.Decode] read the same value for
// every name.
func checkUnique(t *testing.T, data []byte, c *Claims) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.Token() // {
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("decoding %q: %v", data, err)
		}
		name := tok.(string)
		for _, n := range names {
			if strings.EqualFold(n, name) {
				t.Fatalf("ParseClaims(%q) accepted %q beside %q", data, name, n)
			}
		}
		names = append(names, name)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("decoding %q: %v", data, err)
		}
	}
	for _, n := range names {
		for _, name := range []string{n, strings.ToUpper(n), strings.ToLower(n)} {
			checkOneReading(t, data, c, name)
		}
	}
}

// checkOneReading compares Claim(name) with Decode into a struct whose field
// is tagged `json:"name"`, for names encoding/json takes as tags.
func checkOneReading(t *testing.T, data []byte, c *Claims, name string) {
	t.Helper()
	if name == "" || strings.ContainsFunc(name, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-'
	}) {
		return
	}
	var claim json.RawMessage
	present, err := c.Claim(name, &claim)
	if err != nil {
		t.Fatalf("ParseClaims(%q).Claim(%q): %v", data, name, err)
	}
	typ := reflect.StructOf([]reflect.StructField{{
		Name: "F", Type: reflect.TypeFor[json.RawMessage](), Tag: reflect.StructTag(`json:"` + name + `"`),
	}})
	v := reflect.New(typ)
	if err := c.Decode(v.Interface()); err != nil {
		t.Fatalf("ParseClaims(%q).Decode: %v", data, err)
	}
	decoded := v.Elem().Field(0).Bytes()
	if present != (decoded != nil) || !bytes.Equal(claim, decoded) {
		t.Fatalf("ParseClaims(%q): Claim(%q) = %v %s, Decode reads %s", data, name, present, claim, decoded)
	}
}

// Fuzz fixtures: keys kept in testdata (regenerated with -update) so that the
// seed corpus of valid tokens stays valid, and a fixed instant.
var (
	fuzzNow    = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	fuzzSecret = sha256.Sum256([]byte("rsguard FuzzValidate HMAC key, for tests only"))
)

const fuzzKeysFile = "testdata/fuzzkeys.pem"

// fuzzKeys returns the fuzz signing keys: RS256, ES256, EdDSA from
// testdata, and HS256 from a fixed secret; kid is "fuzz-" + alg.
func fuzzKeys(tb testing.TB) []*testKey {
	tb.Helper()
	data, err := os.ReadFile(fuzzKeysFile)
	if err != nil {
		tb.Fatalf("%v (run go test -run TestFuzzValidateCorpus -update)", err)
	}
	var keys []*testKey
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			tb.Fatalf("%s: missing key for %s", fuzzKeysFile, alg)
		}
		priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			tb.Fatal(err)
		}
		keys = append(keys, mustTestKey("fuzz-"+alg, alg, alg, priv))
	}
	return append(keys, mustTestKey("fuzz-HS256", "HS256", "HS256", fuzzSecret[:]))
}

func writeFuzzKeys(tb testing.TB) {
	tb.Helper()
	var out []byte
	for _, priv := range []crypto.Signer{mustRSA(2048), mustEC(elliptic.P256()), func() crypto.Signer {
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		return k
	}()} {
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		out = append(out, keytest.PEM(tb, "PRIVATE KEY", der, err)...)
	}
	if err := os.WriteFile(fuzzKeysFile, out, 0o644); err != nil {
		tb.Fatal(err)
	}
}

func fuzzValidator(tb testing.TB, keys []*testKey) *Validator {
	return newTestValidator(tb, keys, func(is *Issuer) { is.Algorithms = allAlgs() }, &Config{Now: fixedNow(fuzzNow)})
}

// FuzzValidate feeds Validate mutated tokens: it never panics, and every
// token it accepts has canonical base64url parts, a signature that the
// standard library verifies with the key its kid names, and the issuer,
// audience and lifetime it must have, read with encoding/json. A validator
// that has seen every earlier input (whose memos hold some of their headers
// and scopes) judges each as a new one does, for the same reason.
func FuzzValidate(f *testing.F) {
	keys := fuzzKeys(f)
	v := fuzzValidator(f, keys)
	f.Add("")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := validate(v, token)
		_, fresh := validate(fuzzValidator(t, keys), token)
		if e, ef := (*Error)(nil), (*Error)(nil); (err == nil) != (fresh == nil) ||
			err != nil && errors.As(err, &e) && errors.As(fresh, &ef) && e.Reason != ef.Reason {
			t.Fatalf("Validate(%q) = %v; a new validator's: %v", token, err, fresh)
		}
		if err != nil {
			if c != nil {
				t.Fatalf("Validate(%q) = %v and claims", token, err)
			}
			if e := (*Error)(nil); !errors.As(err, &e) || e.Kind == nil || e.Reason == nil {
				t.Fatalf("Validate(%q) = %#v, want an *Error with a category and a reason", token, err)
			}
			return
		}
		checkAccepted(t, keys, token)
	})
}

// checkAccepted re-validates an accepted token with the standard library.
func checkAccepted(t *testing.T, keys []*testKey, token string) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("Validate accepted %q, not three parts", token)
	}
	var dec [3][]byte
	for i, p := range parts {
		b, err := base64.RawURLEncoding.Strict().DecodeString(p)
		if err != nil || base64.RawURLEncoding.EncodeToString(b) != p {
			t.Fatalf("Validate accepted %q: part %d is not canonical base64url", token, i)
		}
		dec[i] = b
	}
	var hdr struct {
		Alg, Kid string
	}
	if err := json.Unmarshal(dec[0], &hdr); err != nil {
		t.Fatalf("Validate accepted %q: header: %v", token, err)
	}
	i := slices.IndexFunc(keys, func(k *testKey) bool { return k.key.ID() == hdr.Kid })
	if i < 0 || keys[i].alg != hdr.Alg {
		t.Fatalf("Validate accepted %q: kid %q, alg %q name no key", token, hdr.Kid, hdr.Alg)
	}
	if !stdVerify(keys[i], parts[0]+"."+parts[1], dec[2]) {
		t.Fatalf("Validate accepted %q, whose signature the standard library refuses", token)
	}
	var claims struct {
		Iss           string
		Aud           any
		Exp, Nbf, Iat float64
	}
	if err := json.Unmarshal(dec[1], &claims); err != nil {
		t.Fatalf("Validate accepted %q: claims: %v", token, err)
	}
	aud, _ := claims.Aud.(string)
	if list, ok := claims.Aud.([]any); ok && slices.Contains(list, any(testAudience)) {
		aud = testAudience
	}
	now, skew := float64(fuzzNow.Unix()), DefaultClockSkew.Seconds()
	if claims.Iss != testIssuer || aud != testAudience || !(now < claims.Exp+skew) ||
		now < claims.Nbf-skew || now < claims.Iat-skew {
		t.Fatalf("Validate accepted %q with claims %+v at %v", token, claims, fuzzNow)
	}
}

// stdVerify verifies sig over input under k with the standard library.
func stdVerify(k *testKey, input string, sig []byte) bool {
	switch priv := k.signer.(type) {
	case *rsa.PrivateKey:
		d := sha256.Sum256([]byte(input))
		return rsa.VerifyPKCS1v15(&priv.PublicKey, crypto.SHA256, d[:], sig) == nil
	case *ecdsa.PrivateKey:
		if len(sig) != 64 {
			return false
		}
		d := sha256.Sum256([]byte(input))
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(&priv.PublicKey, d[:], r, s)
	case ed25519.PrivateKey:
		return ed25519.Verify(priv.Public().(ed25519.PublicKey), []byte(input), sig)
	case []byte:
		mac := hmac.New(sha256.New, priv)
		mac.Write([]byte(input))
		return hmac.Equal(mac.Sum(nil), sig)
	}
	return false
}

// fuzzSeeds are the FuzzValidate seed tokens: "valid-" ones must be
// accepted, the rest refused.
func fuzzSeeds(tb testing.TB, keys []*testKey) map[string]string {
	seeds := map[string]string{}
	exp := fuzzNow.Add(time.Hour).Unix()
	claims := map[string]any{"exp": exp, "iat": fuzzNow.Unix()}
	for _, k := range keys {
		name := strings.ToLower(k.alg)
		tok := k.mint(nil, claims)
		seeds["valid-"+name] = tok
		seeds["valid-"+name+"-aud-array"] = k.mint(nil, merge(claims, map[string]any{"aud": []string{"x", testAudience}, "scp": []string{"a", "b"}}))
		seeds["valid-"+name+"-nbf"] = k.mint(map[string]any{"typ": "application/at+jwt"}, merge(claims, map[string]any{"nbf": fuzzNow.Unix()}))
		seeds["stripped-"+name] = tok[:strings.LastIndexByte(tok, '.')+1]
		seeds["zeros-"+name] = resign(tok, make([]byte, len(sigOf(tb, tok))))
		seeds["expired-"+name] = k.mint(nil, map[string]any{"exp": fuzzNow.Add(-time.Hour).Unix()})
	}
	rs, es := keys[0], keys[1]
	pkix, _ := x509.MarshalPKIXPublicKey(rs.key.Public())
	hdr := b64s(mustJSON(es.baseHeader()))
	seeds["alg-none"] = b64s([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." + b64s(mustJSON(merge(baseClaims(), claims))) + "."
	seeds["hs256-rsa-pem"] = hs256(keytest.PEM(tb, "PUBLIC KEY", pkix, nil), map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": rs.key.ID()}, claims)
	seeds["jwe"] = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a2V5.aXY.Y2lwaGVy.dGFn"
	seeds["two-parts"] = hdr + "." + b64s(mustJSON(baseClaims()))
	seeds["four-parts"] = es.mint(nil, claims) + ".e30"
	seeds["crit"] = es.mint(map[string]any{"crit": []string{"exp"}}, claims)
	seeds["jwk"] = attackerKey(tb, "ES256", "").mint(map[string]any{"kid": nil, "jwk": jwkOf(es)}, claims)
	seeds["wrong-aud"] = es.mint(nil, merge(claims, map[string]any{"aud": "other"}))
	seeds["wrong-typ"] = es.mint(map[string]any{"typ": "JWT"}, claims)
	seeds["dup-exp"] = es.mintRaw(mustJSON(es.baseHeader()), []byte(`{"exp":1,`+string(mustJSON(merge(baseClaims(), claims)))[1:]))
	seeds["escaped-iss"] = es.mintRaw(mustJSON(es.baseHeader()), []byte(`{"\u0069ss":"https://evil.example.test",`+string(mustJSON(merge(baseClaims(), map[string]any{"iss": nil, "exp": exp})))[1:]))
	seeds["deep"] = es.signParts(hdr, b64s([]byte(`{"x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}`)))
	seeds["der-ecdsa"] = resign(es.token(), []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	return seeds
}

// TestFuzzValidateCorpus checks the FuzzValidate seed corpus against the
// fuzz keys, and regenerates both with -update.
func TestFuzzValidateCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzValidate")
	if updating() {
		writeFuzzKeys(t)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, tok := range fuzzSeeds(t, fuzzKeys(t)) {
			body := "go test fuzz v1\nstring(" + strconv.Quote(tok) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	keys := fuzzKeys(t)
	v := fuzzValidator(t, keys)
	files, err := os.ReadDir(dir)
	if err != nil || len(files) < 20 {
		t.Fatalf("seed corpus %s: %d files, %v; want at least 20 (regenerate with -update)", dir, len(files), err)
	}
	for _, fi := range files {
		data, err := os.ReadFile(filepath.Join(dir, fi.Name()))
		if err != nil {
			t.Fatal(err)
		}
		body, ok := strings.CutPrefix(string(data), "go test fuzz v1\nstring(")
		tok, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(body), ")"))
		if !ok || err != nil {
			t.Fatalf("%s: not a string corpus entry", fi.Name())
		}
		_, err = validate(v, tok)
		if strings.HasPrefix(fi.Name(), "valid-") != (err == nil) {
			t.Errorf("Validate(seed %s) = %v", fi.Name(), err)
		}
		if err == nil {
			checkAccepted(t, keys, tok)
		}
	}
}
