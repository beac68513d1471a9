package jose_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/rsguard/rsguard/internal/jose"
)

var algs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// opaqueSigner hides the concrete key type, as a KMS or HSM signer does, so
// that Signature goes through crypto.Signer alone.
type opaqueSigner struct{ s crypto.Signer }

func (o opaqueSigner) Public() crypto.PublicKey { return o.s.Public() }
func (o opaqueSigner) Sign(r io.Reader, d []byte, opts crypto.SignerOpts) ([]byte, error) {
	return o.s.Sign(r, d, opts)
}

// TestSign checks every algorithm: the standard library verifies what Sign
// made, with the key jwx (an independent implementation) imports from the
// JWK that PublicJWK wrote, and jwx computes the same RFC 7638 thumbprint.
func TestSign(t *testing.T) {
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			priv, err := jose.GenerateKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			members, err := jose.PublicJWK(priv.Public())
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(members)
			key, err := jwk.ParseKey(raw)
			if err != nil {
				t.Fatalf("jwx cannot parse %s: %v", raw, err)
			}
			var pub any
			if err := jwk.Export(key, &pub); err != nil {
				t.Fatal(err)
			}
			payload := []byte(`{"htm":"GET"}`)
			for name, signer := range map[string]crypto.Signer{"concrete": priv, "opaque": opaqueSigner{priv}} {
				tok, err := jose.Sign(map[string]any{"typ": "dpop+jwt"}, payload, signer, alg)
				if err != nil {
					t.Fatalf("%s: Sign: %v", name, err)
				}
				parts := strings.Split(tok, ".")
				hdr, _ := jose.Decode(parts[0])
				body, _ := jose.Decode(parts[1])
				sig, _ := jose.Decode(parts[2])
				if want := `{"alg":"` + alg + `","typ":"dpop+jwt"}`; string(hdr) != want || string(body) != string(payload) {
					t.Fatalf("%s: header %s, payload %s", name, hdr, body)
				}
				if !verify(alg, pub, []byte(parts[0]+"."+parts[1]), sig) {
					t.Fatalf("%s: signature does not verify", name)
				}
				if verify(alg, pub, []byte(parts[0]+"."+parts[0]), sig) {
					t.Fatalf("%s: signature verifies another input", name)
				}
			}
			want, _ := key.Thumbprint(crypto.SHA256)
			got, _ := jose.Thumbprint(priv.Public())
			if got != jose.Encode(want) {
				t.Errorf("Thumbprint = %s, jwx says %s", got, jose.Encode(want))
			}
			if d := jose.DefaultAlgorithm(priv.Public()); alg[0] == 'E' && d != alg {
				t.Errorf("DefaultAlgorithm = %s, want %s", d, alg)
			}
		})
	}
}

// TestThumbprintRFC7638 is the example of RFC 7638 §3.1.
func TestThumbprintRFC7638(t *testing.T) {
	const n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
	raw := `{"kty":"RSA","e":"AQAB","alg":"RS256","kid":"2011-04-29","n":"` + n + `"}`
	pub, err := jose.ParsePublicJWK([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := jose.Thumbprint(pub)
	if want := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Errorf("Thumbprint = %s, want %s", got, want)
	}
}

func TestSignRefusesMismatch(t *testing.T) {
	ec, _ := jose.GenerateKey("ES256")
	ed, _ := jose.GenerateKey("EdDSA")
	cases := []struct {
		name string
		key  crypto.Signer
		alg  string
	}{
		{"ES384 with a P-256 key", ec, "ES384"},
		{"RS256 with an EC key", ec, "RS256"},
		{"EdDSA with an EC key", ec, "EdDSA"},
		{"ES256 with an Ed25519 key", ed, "ES256"},
		{"HS256", ed, "HS256"},
		{"none", ed, "none"},
		{"nil key", nil, "ES256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if tok, err := jose.Sign(map[string]any{}, []byte("{}"), c.key, c.alg); !errors.Is(err, jose.ErrUnsupported) {
				t.Errorf("Sign = %q, %v, want ErrUnsupported", tok, err)
			}
		})
	}
}

// TestSignKeepsHeaderAlg shows that a header naming its own "alg" is sent as
// is, for negative tests, and that the caller's map is not changed.
func TestSignKeepsHeaderAlg(t *testing.T) {
	key, _ := jose.GenerateKey("ES256")
	h := map[string]any{"typ": "JWT"}
	tok, _ := jose.Sign(h, []byte("{}"), key, "ES256")
	if hdr, _ := jose.Decode(strings.Split(tok, ".")[0]); string(hdr) != `{"alg":"ES256","typ":"JWT"}` {
		t.Errorf("header = %s, want alg added", hdr)
	}
	if _, ok := h["alg"]; ok {
		t.Error("Sign changed the caller's header")
	}
	tok, _ = jose.Sign(map[string]any{"alg": "HS256"}, []byte("{}"), key, "ES256")
	hdr, _ := jose.Decode(strings.Split(tok, ".")[0])
	if string(hdr) != `{"alg":"HS256"}` {
		t.Errorf("header = %s", hdr)
	}
}

// verify checks a JWS signature with the standard library alone.
func verify(alg string, pub any, input, sig []byte) bool {
	h, _ := jose.Hash(alg)
	var digest []byte
	if h != 0 {
		hh := h.New()
		hh.Write(input)
		digest = hh.Sum(nil)
	}
	switch pub := pub.(type) {
	case ed25519.PublicKey:
		return ed25519.Verify(pub, input, sig)
	case *rsa.PublicKey:
		if alg[0] == 'P' {
			return rsa.VerifyPSS(pub, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		}
		return rsa.VerifyPKCS1v15(pub, h, digest, sig) == nil
	case *ecdsa.PublicKey:
		n := len(sig) / 2
		r, s := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
		return len(sig) == 2*((pub.Curve.Params().BitSize+7)/8) && ecdsa.Verify(pub, digest, r, s)
	}
	return false
}

// TestVerifyAllocations checks that Verify allocates no more than the
// standard library's own verification of the same signature, given the
// digest (and for ECDSA the DER form) ready: the digest, the DER form and a
// PSS digest cost it nothing. It also checks that a signature with one byte
// changed is refused.
func TestVerifyAllocations(t *testing.T) {
	input := []byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0")
	for _, alg := range []string{"RS256", "PS384", "ES256", "ES512", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			priv, err := jose.GenerateKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := jose.Lookup(alg)
			sig, err := jose.Signature(priv, alg, input)
			if err != nil {
				t.Fatal(err)
			}
			pub := priv.Public()
			if !jose.Verify(a, pub, input, sig) {
				t.Fatal("Verify refused a good signature")
			}
			bad := append([]byte(nil), sig...)
			bad[len(bad)/2] ^= 1
			if jose.Verify(a, pub, input, bad) {
				t.Fatal("Verify accepted a changed signature")
			}
			h := a.Hash
			var digest []byte
			if h != 0 {
				d := h.New()
				d.Write(input)
				digest = d.Sum(nil)
			}
			var stdlib func() bool
			switch k := pub.(type) {
			case *rsa.PublicKey:
				opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
				stdlib = func() bool {
					if a.Family == jose.PSS {
						return rsa.VerifyPSS(k, h, digest, sig, opts) == nil
					}
					return rsa.VerifyPKCS1v15(k, h, digest, sig) == nil
				}
			case *ecdsa.PublicKey:
				n := len(sig) / 2
				der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])})
				if err != nil {
					t.Fatal(err)
				}
				stdlib = func() bool { return ecdsa.VerifyASN1(k, digest, der) }
			case ed25519.PublicKey:
				stdlib = func() bool { return ed25519.Verify(k, input, sig) }
			}
			if !stdlib() {
				t.Fatal("the standard library refused the signature")
			}
			// AllocsPerRun truncates the mean. Under the race detector a
			// sync.Pool drops one Put in four, so Verify's pooled buffer
			// is sometimes allocated anew: at most one allocation a run,
			// which moves the truncated mean of 100 runs only if every
			// one of them dropped.
			got := testing.AllocsPerRun(100, func() { jose.Verify(a, pub, input, sig) })
			want := testing.AllocsPerRun(100, func() { stdlib() })
			if got > want {
				t.Errorf("Verify: %v allocations, the standard library %v", got, want)
			}
		})
	}
}
