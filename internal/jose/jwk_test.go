package jose_test

import (
	"crypto"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/internal/jose"
)

func TestParsePublicJWKRoundTrip(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "ES384", "ES512", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			priv, _ := jose.GenerateKey(alg)
			m, _ := jose.PublicJWK(priv.Public())
			raw, _ := json.Marshal(m)
			pub, err := jose.ParsePublicJWK(raw)
			if err != nil {
				t.Fatalf("ParsePublicJWK(%s) = %v", raw, err)
			}
			if !priv.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
				t.Errorf("ParsePublicJWK(%s) returned another key", raw)
			}
		})
	}
}

func TestParsePublicJWKRefuses(t *testing.T) {
	ec, _ := jose.GenerateKey("ES256")
	m, _ := jose.PublicJWK(ec.Public())
	with := func(k, v string) string {
		c := map[string]string{}
		for n, x := range m {
			c[n] = x
		}
		if v == "" {
			delete(c, k)
		} else {
			c[k] = v
		}
		b, _ := json.Marshal(c)
		return string(b)
	}
	otherX := strings.Repeat("A", len(m["x"])) // (0, y) is not on P-256 for this y
	cases := map[string]string{
		"private d":     with("d", "AAAA"),
		"symmetric k":   `{"kty":"oct","k":"AAAA"}`,
		"unknown kty":   with("kty", "XYZ"),
		"unknown crv":   with("crv", "P-192"),
		"missing y":     with("y", ""),
		"short x":       with("x", m["x"][:10]),
		"off the curve": with("x", otherX),
		"padded base64": with("x", m["x"]+"="),
		"small RSA":     `{"kty":"RSA","n":"` + strings.Repeat("A", 171) + `","e":"AQAB"}`,
		"even exponent": `{"kty":"RSA","n":"` + strings.Repeat("_", 342) + `w","e":"Ag"}`,
		"short Ed25519": `{"kty":"OKP","crv":"Ed25519","x":"AAAA"}`,
		"X25519":        `{"kty":"OKP","crv":"X25519","x":"` + strings.Repeat("A", 43) + `"}`,
		"not an object": `["kty"]`,
		"null":          `null`,
		"number kty":    `{"kty":1}`,
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			if pub, err := jose.ParsePublicJWK([]byte(raw)); !errors.Is(err, jose.ErrBadJWK) {
				t.Errorf("ParsePublicJWK(%s) = %v, %v, want ErrBadJWK", raw, pub, err)
			}
		})
	}
}

// FuzzParsePublicJWK: no panic, and a key accepted round-trips through
// PublicJWK to the same key, with no private member in the input.
func FuzzParsePublicJWK(f *testing.F) {
	for _, alg := range []string{"RS256", "ES256", "ES512", "EdDSA"} {
		if priv, err := jose.GenerateKey(alg); err == nil {
			m, _ := jose.PublicJWK(priv.Public())
			raw, _ := json.Marshal(m)
			f.Add(raw)
		}
	}
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"","y":"","d":""}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		pub, err := jose.ParsePublicJWK(raw)
		if err != nil {
			return
		}
		var m map[string]any
		json.Unmarshal(raw, &m)
		if _, ok := m["d"]; ok {
			t.Fatalf("accepted a private member: %s", raw)
		}
		members, err := jose.PublicJWK(pub)
		if err != nil {
			t.Fatalf("PublicJWK of an accepted key: %v", err)
		}
		b, _ := json.Marshal(members)
		again, err := jose.ParsePublicJWK(b)
		if err != nil || !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(again) {
			t.Fatalf("round trip of %s failed: %v", raw, err)
		}
	})
}
