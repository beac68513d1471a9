package middleware_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/middleware"
)

// TestSignedMetadata checks signed_metadata (RFC 9728 §2.2): a JWT over the
// document's other members plus "iss", verifiable with the signer's public
// key, and refused configurations.
func TestSignedMetadata(t *testing.T) {
	f := newHTFixture(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	g := htGuard(t, f.v, &middleware.GuardConfig{Metadata: &middleware.ResourceMetadata{
		Resource: htAudience + "/mcp", ScopesSupported: []string{"orders:read"},
		Signing: &middleware.MetadataSigning{Issuer: "https://signer.example.test", Signer: key, KeyID: "md-1"},
	}})
	_, body := htDo(t, htServe(t, g.MetadataHandler()).URL, "GET", "/", "")
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	jws, _ := doc["signed_metadata"].(string)
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		t.Fatalf("signed_metadata = %q, want a compact JWS", jws)
	}
	var header, claims map[string]any
	decode(t, parts[0], &header)
	decode(t, parts[1], &claims)
	if header["alg"] != "ES256" || header["kid"] != "md-1" || header["typ"] != "JWT" {
		t.Errorf("header = %v", header)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		t.Fatalf("signature %q: %v", parts[2], err)
	}
	h := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(&key.PublicKey, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Error("signed_metadata does not verify with the signer's key")
	}
	if claims["iss"] != "https://signer.example.test" {
		t.Errorf("iss = %v", claims["iss"])
	}
	delete(claims, "iss")
	delete(doc, "signed_metadata")
	if got, want := fmt.Sprint(claims), fmt.Sprint(doc); got != want {
		t.Errorf("claims %s, want the document's members %s", got, want)
	}

	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	for name, s := range map[string]*middleware.MetadataSigning{
		"no issuer":      {Signer: key},
		"no signer":      {Issuer: "https://signer.example.test"},
		"alg mismatch":   {Issuer: "https://signer.example.test", Signer: key, Algorithm: "RS256"},
		"curve mismatch": {Issuer: "https://signer.example.test", Signer: key, Algorithm: "ES384"},
		"none":           {Issuer: "https://signer.example.test", Signer: edKey, Algorithm: "none"},
	} {
		if _, err := middleware.NewGuard(f.v, &middleware.GuardConfig{Metadata: &middleware.ResourceMetadata{Resource: htAudience, Signing: s}}); err == nil {
			t.Errorf("%s: NewGuard succeeded, want an error", name)
		}
	}
}

func decode(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestMetadataSigningHidesKey checks that no fmt verb prints the key.
func TestMetadataSigningHidesKey(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := middleware.MetadataSigning{Issuer: "https://signer.example.test", Signer: key}
	d := key.D.String()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{s, &s} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, d) || !strings.Contains(out, "[redacted]") {
				t.Errorf("Sprintf(%s) = %q shows the key or no redaction", verb, out)
			}
		}
	}
}
