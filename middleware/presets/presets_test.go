package presets_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/presets"
)

// fixture is a token shaped as its provider issues it, from
// testdata/presets (see testdata/README.md).
type fixture struct {
	Provider string         `json:"provider"`
	Preset   string         `json:"preset"`
	Args     []string       `json:"args"`
	Now      int64          `json:"now"`
	Header   map[string]any `json:"header"`
	JWK      map[string]any `json:"jwk"`
	Claims   map[string]any `json:"claims"`
	Scopes   []string       `json:"scopes"`
}

// preset calls the preset the fixture names with its arguments.
func (f *fixture) preset(t *testing.T) middleware.Issuer {
	t.Helper()
	a := f.Args
	switch f.Preset {
	case "EntraID":
		return presets.EntraID(a[0], a[1])
	case "EntraIDv1":
		return presets.EntraIDv1(a[0], a[1])
	case "Cognito":
		return presets.Cognito(a[0], a[1], a[2:]...)
	case "Keycloak":
		return presets.Keycloak(a[0], a[1], a[2])
	case "Okta":
		return presets.Okta(a[0], a[1], a[2])
	case "Auth0":
		return presets.Auth0(a[0], a[1])
	case "Firebase":
		return presets.Firebase(a[0])
	}
	t.Fatalf("fixture names an unknown preset %q", f.Preset)
	return middleware.Issuer{}
}

func loadFixtures(t *testing.T) map[string]*fixture {
	t.Helper()
	files, err := filepath.Glob("../../testdata/presets/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no preset fixtures: %v", err)
	}
	out := make(map[string]*fixture)
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f := new(fixture)
		if err := json.Unmarshal(data, f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[strings.TrimSuffix(filepath.Base(name), ".json")] = f
	}
	return out
}

var (
	keyOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

func signingKey(t *testing.T) *rsa.PrivateKey {
	keyOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return rsaKey
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// sign makes an RS256 compact JWS of header and claims.
func sign(t *testing.T, header, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, signingKey(t), crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64(sig)
}

// keys returns the fixture's JWK Set: the test key under the header's kid,
// with the fixture's extra JWK members (Entra ID's "issuer").
func (f *fixture) keys(t *testing.T) middleware.KeySource {
	t.Helper()
	pub := signingKey(t).PublicKey
	jwk := map[string]any{"kty": "RSA", "kid": f.Header["kid"], "n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
	maps.Copy(jwk, f.JWK)
	doc, _ := json.Marshal(map[string]any{"keys": []any{jwk}})
	ks, err := middleware.NewStaticJWKS(doc)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func (f *fixture) token(t *testing.T, claims, header map[string]any) string {
	h := maps.Clone(f.Header)
	maps.Copy(h, header)
	c := maps.Clone(f.Claims)
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return sign(t, h, c)
}

func (f *fixture) validator(t *testing.T, iss middleware.Issuer) *middleware.Validator {
	t.Helper()
	iss.Keys = f.keys(t)
	v, err := middleware.NewValidator(iss, &middleware.Config{Now: func() time.Time { return time.Unix(f.Now, 0) }})
	if err != nil {
		t.Fatalf("NewValidator(%s preset) = %v", f.Preset, err)
	}
	return v
}

// TestPresetFixtures: each provider's token validates with its preset, and
// the default configuration (the same issuer and audiences, nothing else)
// refuses it with a hint that names the preset.
func TestPresetFixtures(t *testing.T) {
	for name, f := range loadFixtures(t) {
		t.Run(name, func(t *testing.T) {
			iss := f.preset(t)
			tok := f.token(t, nil, nil)
			c, err := f.validator(t, iss).Validate(context.Background(), tok)
			if err != nil {
				t.Fatalf("%s preset: Validate(%s token) = %v, want accepted", f.Preset, f.Provider, err)
			}
			if c.Issuer != f.Claims["iss"] || c.Subject != f.Claims["sub"] {
				t.Errorf("claims iss %q sub %q, want %q %q", c.Issuer, c.Subject, f.Claims["iss"], f.Claims["sub"])
			}
			if got := slices.Sorted(slices.Values(c.Scopes.List())); !slices.Equal(got, slices.Sorted(slices.Values(f.Scopes))) {
				t.Errorf("scopes = %v, want %v", got, f.Scopes)
			}
			def := f.validator(t, middleware.Issuer{URL: iss.URL, Audiences: iss.Audiences})
			_, err = def.Validate(context.Background(), tok)
			if !errors.Is(err, middleware.ErrWrongType) {
				t.Fatalf("default configuration: Validate = %v, want ErrWrongType", err)
			}
			m := middleware.MisconfigurationOf(err)
			if m == nil || !strings.Contains(m.Hint, "presets."+strings.TrimSuffix(f.Preset, "v1")) || !strings.Contains(m.Hint, "CompatTypes") {
				t.Fatalf("default configuration: hint = %+v, want one naming presets.%s and CompatTypes", m, f.Preset)
			}
		})
	}
}
