package middleware_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// A validator configured with the issuer URL missing its trailing slash:
// every token is refused as from an untrusted issuer, and the refusal says
// why, with what was expected and received (the log hears it once, through
// Hooks.Misconfigured).
func ExampleMisconfigurationOf() {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, _ := jwks.NewKey("key-1", "EdDSA", pub)
	keys, _ := jwks.NewStatic(key)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v, _ := middleware.NewValidator(middleware.Issuer{
		URL:       "https://tenant.example.com", // the tokens say "https://tenant.example.com/"
		Audiences: []string{"https://api.example.com"},
		Keys:      keys,
	}, &middleware.Config{Now: func() time.Time { return now }})
	token := coreExampleToken(priv, "key-1", map[string]any{
		"iss": "https://tenant.example.com/", "aud": "https://api.example.com", "sub": "alice",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	_, err := v.Validate(context.Background(), token)
	if m := middleware.MisconfigurationOf(err); m != nil {
		fmt.Println(m.Rule, "expected", m.Expected, "received", m.Received)
	}
	// Output:
	// iss expected "https://tenant.example.com" received "https://tenant.example.com/"
}

// A multi-tenant issuer: tokens of the listed tenants, each verified with its
// own tenant's keys, fetched on the tenant's first token.
func ExampleTenants() {
	v, err := middleware.NewValidator(middleware.Issuer{
		URL:       "https://login.example.com/{tenantid}/v2.0",
		Audiences: []string{"https://api.example.com"},
		Tenants: &middleware.Tenants{
			Allowed: []string{"contoso", "fabrikam"},
			Claim:   "tid",
			JWKSURL: "https://login.example.com/{tenantid}/keys",
		},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close() // closes every tenant's key source
	fmt.Println(v)
	// Output:
	// middleware.Validator{issuers: ["https://login.example.com/{tenantid}/v2.0"]}
}
