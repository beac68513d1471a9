package middleware

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseJWKS: ParseJWKS never panics; every key it returns is usable by
// the rules of RFC 7517 §4.3 (key_ops), §4.7 (x5c, checked by construction)
// and the RSA bounds; a document or JWK with a member name twice, also in
// another case, yields no key.
func FuzzParseJWKS(f *testing.F) {
	es := mustTestKey("es", "ES256", "ES256", mustEC(curveFor("ES256")))
	good := string(mustJSON(jwkOf(es)))
	for _, seed := range []string{
		`{"keys":[` + good + `]}`,
		`{"keys":[` + good + `],"Keys":[]}`,
		`{"keys":[` + strings.Replace(good, "{", `{"key_ops":["verify"],`, 1) + `]}`,
		`{"keys":[` + strings.Replace(good, "{", `{"key_ops":["sign"],`, 1) + `]}`,
		`{"keys":[` + strings.Replace(good, "{", `{"kid":"a",`, 1) + `]}`,
		`{"keys":[` + strings.Replace(good, "{", `{"x5c":["MIIB"],`, 1) + `]}`,
		`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`,
		`{"keys":[]}`, `{}`, `[]`, `{"keys":{}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, skipped, err := ParseJWKS(data)
		if err != nil {
			if keys != nil || skipped != nil {
				t.Fatalf("ParseJWKS(%q) = keys and an error", data)
			}
			return
		}
		if uniqueMembers(data) != nil {
			t.Fatalf("ParseJWKS(%q) accepted a document with a repeated member", data)
		}
		for _, err := range skipped {
			if !errors.Is(err, ErrUnusableKey) {
				t.Fatalf("ParseJWKS(%q) skipped a key for %v, want %v", data, err, ErrUnusableKey)
			}
		}
		for _, k := range keys {
			checkLoadedKey(t, data, k)
		}
	})
}

// checkLoadedKey fails unless k obeys the rules a loaded key must.
func checkLoadedKey(t *testing.T, data []byte, k *Key) {
	t.Helper()
	switch pub := k.public.(type) {
	case *rsa.PublicKey:
		if n := pub.N.BitLen(); n < MinRSABits || n > MaxRSABits || pub.N.Bit(0) == 0 || pub.E < 3 || pub.E%2 == 0 {
			t.Fatalf("ParseJWKS(%q) loaded an RSA key of %d bits, exponent %d", data, n, pub.E)
		}
	case *ecdsa.PublicKey:
	default:
		if k.family != "OKP-Ed25519" {
			t.Fatalf("ParseJWKS(%q) loaded a %s key", data, k.family)
		}
	}
}

// FuzzUniqueMembers checks uniqueMembers against encoding/json's tokenizer
// and strings.EqualFold: it refuses exactly the objects that repeat a member
// name under case folding (on documents the scanner accepts).
func FuzzUniqueMembers(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"a":1,"A":2}`, `{"kid":1,"\u212aid":2}`, `{"a":{"a":1,"a":2}}`, `{"ß":1,"ss":2}`,
		`{"σ":1,"ς":2}`, `{"x":[{"y":1}],"X":null}`, `{"a\u0000":1,"a":2}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := uniqueMembers(data)
		s := scanner{b: data}
		if s.skip(1) != nil || s.end(true) != nil || data[0] != '{' || !utf8.Valid(data) {
			if err == nil && !json.Valid(data) {
				t.Fatalf("uniqueMembers(%q) accepted invalid JSON", data)
			}
			return
		}
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.Token()
		var names []string
		dup := false
		for dec.More() {
			tok, terr := dec.Token()
			if terr != nil {
				t.Fatalf("decoding %q: %v", data, terr)
			}
			name := tok.(string)
			for _, n := range names {
				dup = dup || strings.EqualFold(n, name)
			}
			names = append(names, name)
			var skip json.RawMessage
			if derr := dec.Decode(&skip); derr != nil {
				t.Fatalf("decoding %q: %v", data, derr)
			}
		}
		if dup != (err != nil) {
			t.Fatalf("uniqueMembers(%q) = %v, want an error: %v", data, err, dup)
		}
	})
}
