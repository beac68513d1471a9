package middleware_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// coreExampleToken signs an RFC 9068 access token with an Ed25519 key, as an
// authorization server would (in tests, oauthtest.Server does it for you).
func coreExampleToken(priv ed25519.PrivateKey, kid string, claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(map[string]string{"alg": "EdDSA", "typ": "at+jwt", "kid": kid}) + "." + enc(claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, []byte(input)))
}

func ExampleNewValidator() {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, _ := jwks.NewKey("key-1", "EdDSA", pub)
	keys, _ := jwks.NewStatic(key)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v, err := middleware.NewValidator(middleware.Issuer{
		URL:       "https://as.example.com",
		Audiences: []string{"https://api.example.com"},
		Keys:      keys,
	}, &middleware.Config{Now: func() time.Time { return now }}) // Now: for a reproducible example
	if err != nil {
		panic(err)
	}
	claims := map[string]any{
		"iss": "https://as.example.com", "aud": "https://api.example.com",
		"sub": "user-1", "client_id": "app-1", "scope": "orders:read orders:write",
		"exp": now.Add(time.Hour).Unix(),
	}
	c, err := v.Validate(context.Background(), coreExampleToken(priv, "key-1", claims))
	fmt.Println(c.Subject, c.ClientID, c.Scopes, err)

	claims["aud"] = "https://other.example.com"
	_, err = v.Validate(context.Background(), coreExampleToken(priv, "key-1", claims))
	var e *middleware.Error
	errors.As(err, &e)
	fmt.Println(errors.Is(err, middleware.ErrInvalidToken), errors.Is(err, middleware.ErrAudienceMismatch), e.Code())
	// Output:
	// user-1 app-1 orders:read orders:write <nil>
	// true true invalid_token
}

func ExampleFromContext() {
	// The middleware stores the claims of each authenticated request with
	// NewContext; handlers read them with FromContext.
	claims, _ := middleware.ParseClaims([]byte(`{"sub":"user-1","scope":"orders:read"}`), "")
	ctx := middleware.NewContext(context.Background(), claims)

	if c, ok := middleware.FromContext(ctx); ok {
		fmt.Println(c.Subject, c.Scopes.Has("orders:read"))
	}
	_, ok := middleware.FromContext(context.Background())
	fmt.Println(ok)
	// Output:
	// user-1 true
	// false
}

func ExampleClaims_Decode() {
	claims, _ := middleware.ParseClaims([]byte(`{"sub":"user-1","tenant":"acme","roles":["admin"]}`), "")
	var mine struct {
		Tenant string   `json:"tenant"`
		Roles  []string `json:"roles"`
	}
	if err := claims.Decode(&mine); err != nil {
		panic(err)
	}
	var tenant string
	ok, _ := claims.Claim("tenant", &tenant)
	fmt.Println(mine.Tenant, mine.Roles, tenant, ok)
	// Output:
	// acme [admin] acme true
}
