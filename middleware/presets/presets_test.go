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
	"github.com/rsguard/rsguard/middleware/jwks"
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
	Roles    []string       `json:"roles"`
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
func (f *fixture) keys(t *testing.T) jwks.Source {
	t.Helper()
	pub := signingKey(t).PublicKey
	jwk := map[string]any{"kty": "RSA", "kid": f.Header["kid"], "n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
	maps.Copy(jwk, f.JWK)
	doc, _ := json.Marshal(map[string]any{"keys": []any{jwk}})
	ks, err := jwks.ParseStatic(doc)
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
			if got := slices.Sorted(slices.Values(c.Roles)); !slices.Equal(got, slices.Sorted(slices.Values(f.Roles))) {
				t.Errorf("roles = %v, want %v", got, f.Roles)
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

// TestPresetRefusals: each preset refuses the tokens its provider issues
// beside access tokens, and tokens for another tenant, client or audience.
func TestPresetRefusals(t *testing.T) {
	fx := loadFixtures(t)
	for _, tc := range []struct {
		name    string
		fixture string
		claims  map[string]any
		header  map[string]any
		jwk     map[string]any
		reason  error
		hint    string // in the Misconfiguration's hint, when one is expected
		noHint  bool   // the token contradicts itself: no Misconfiguration
	}{
		{name: "cognito ID token", fixture: "cognito", claims: map[string]any{"token_use": "id", "aud": "1example23456789", "client_id": nil}, reason: middleware.ErrMissingClaim},
		{name: "cognito token_use id", fixture: "cognito", claims: map[string]any{"token_use": "id"}, reason: middleware.ErrClaimRejected},
		{name: "cognito another app client", fixture: "cognito", claims: map[string]any{"client_id": "other-client"}, reason: middleware.ErrAudienceMismatch},
		{name: "cognito typed JWT", fixture: "cognito", header: map[string]any{"typ": "JWT"}, reason: middleware.ErrWrongType},
		{name: "keycloak ID token", fixture: "keycloak", claims: map[string]any{"typ": "ID", "aud": "orders-api"}, reason: middleware.ErrClaimRejected},
		{name: "keycloak refresh token", fixture: "keycloak", claims: map[string]any{"typ": "Refresh"}, reason: middleware.ErrClaimRejected},
		{name: "keycloak aud only account", fixture: "keycloak", claims: map[string]any{"aud": "account"}, reason: middleware.ErrAudienceMismatch, hint: "Audience mapper"},
		{name: "entra another tenant's tid", fixture: "entraid-v2", claims: map[string]any{"tid": "00000000-0000-0000-0000-000000000001"}, jwk: map[string]any{"issuer": nil}, reason: middleware.ErrClaimRejected},
		{name: "entra v1 token for the v2 preset", fixture: "entraid-v2", claims: map[string]any{"ver": "1.0"}, reason: middleware.ErrClaimRejected},
		{name: "entra v1 issuer for the v2 preset", fixture: "entraid-v2", claims: map[string]any{"iss": "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/"}, reason: middleware.ErrIssuerMismatch, hint: "accessTokenAcceptedVersion"},
		{name: "entra key of another issuer", fixture: "entraid-v2", jwk: map[string]any{"issuer": "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0"}, reason: middleware.ErrKeyMismatch, hint: "another issuer"},
		{name: "entra key template, tid of another tenant", fixture: "entraid-v2", claims: map[string]any{"tid": "00000000-0000-0000-0000-000000000001"}, jwk: map[string]any{"issuer": "https://login.microsoftonline.com/{tenantid}/v2.0"}, reason: middleware.ErrKeyMismatch, noHint: true},
		{name: "entra Application ID URI for a v2 token", fixture: "entraid-v2", claims: map[string]any{"aud": "api://contoso-orders"}, reason: middleware.ErrAudienceMismatch, hint: "application ID"},
		{name: "auth0 userinfo audience only", fixture: "auth0", claims: map[string]any{"aud": "https://example-tenant.us.auth0.com/userinfo"}, reason: middleware.ErrAudienceMismatch},
		{name: "auth0 issuer without trailing slash", fixture: "auth0", claims: map[string]any{"iss": "https://example-tenant.us.auth0.com"}, reason: middleware.ErrIssuerMismatch, hint: "trailing slash"},
		{name: "okta org server token", fixture: "okta", header: map[string]any{"typ": "application/okta-internal-at+jwt"}, reason: middleware.ErrWrongType, hint: "org authorization server"},
		{name: "okta another audience", fixture: "okta", claims: map[string]any{"aud": "api://other"}, reason: middleware.ErrAudienceMismatch},
		{name: "firebase no sub", fixture: "firebase", claims: map[string]any{"sub": ""}, reason: middleware.ErrClaimRejected},
		{name: "firebase another project", fixture: "firebase", claims: map[string]any{"aud": "other-project"}, reason: middleware.ErrAudienceMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := *fx[tc.fixture]
			f.JWK = maps.Clone(f.JWK)
			if f.JWK == nil {
				f.JWK = map[string]any{}
			}
			maps.Copy(f.JWK, tc.jwk)
			_, err := f.validator(t, f.preset(t)).Validate(context.Background(), f.token(t, tc.claims, tc.header))
			if !errors.Is(err, tc.reason) || !errors.Is(err, middleware.ErrInvalidToken) {
				t.Fatalf("Validate = %v, want invalid_token %v", err, tc.reason)
			}
			if m := middleware.MisconfigurationOf(err); tc.noHint && m != nil {
				t.Errorf("misconfiguration %+v for a token that contradicts itself", m)
			}
			if tc.hint != "" {
				if m := middleware.MisconfigurationOf(err); m == nil || !strings.Contains(m.Hint, tc.hint) {
					t.Errorf("hint = %+v, want one with %q", m, tc.hint)
				}
			}
		})
	}
}
