package middleware_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/scopes"
)

// exampleValidator returns a validator for a Keycloak-like issuer whose
// roles live in realm_access.roles, and a function that signs its tokens.
func exampleValidator() (*middleware.Validator, func(map[string]any) string, time.Time) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, _ := jwks.NewKey("key-1", "EdDSA", pub)
	keys, _ := jwks.NewStatic(key)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v, err := middleware.NewValidator(middleware.Issuer{
		URL: "https://sso.example.com/realms/shop", Audiences: []string{"orders-api"}, Keys: keys,
		RoleClaims: []string{"realm_access.roles"},
	}, &middleware.Config{Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	sign := func(extra map[string]any) string {
		claims := map[string]any{
			"iss": "https://sso.example.com/realms/shop", "aud": "orders-api", "sub": "alice",
			"scope": "orders:read orders:write", "exp": now.Add(time.Hour).Unix(),
		}
		for k, x := range extra {
			claims[k] = x
		}
		return coreExampleToken(priv, "key-1", claims)
	}
	return v, sign, now
}

func ExampleRole() {
	v, sign, _ := exampleValidator()
	approve := scopes.All(scopes.AllOf("orders:write"), middleware.Role("approver"))

	tok := sign(map[string]any{"realm_access": map[string]any{"roles": []string{"user", "approver"}}})
	_, err := v.Admit(context.Background(), &middleware.Credentials{Token: tok}, approve)
	fmt.Println(err)

	tok = sign(map[string]any{"realm_access": map[string]any{"roles": []string{"user"}}})
	_, err = v.Admit(context.Background(), &middleware.Credentials{Token: tok}, approve)
	fmt.Println(middleware.Status(err), middleware.Challenge(err, "api"))
	// Output:
	// <nil>
	// 403 Bearer realm="api", error="insufficient_scope", error_description="the route requires scope 'orders:write' and role 'approver'", scope="orders:write"
}

func ExampleACR() {
	v, sign, now := exampleValidator()
	pay := scopes.All(scopes.AllOf("orders:write"), middleware.ACR("phrh"), middleware.MaxAge(5*time.Minute))

	tok := sign(map[string]any{"acr": "pwd", "auth_time": now.Add(-time.Hour).Unix()})
	_, err := v.Admit(context.Background(), &middleware.Credentials{Token: tok}, pay)
	fmt.Println(middleware.Status(err), middleware.Challenge(err, "api"))

	tok = sign(map[string]any{"acr": "phrh", "auth_time": now.Add(-time.Minute).Unix()})
	_, err = v.Admit(context.Background(), &middleware.Credentials{Token: tok}, pay)
	fmt.Println(err)
	// Output:
	// 401 Bearer realm="api", error="insufficient_user_authentication", error_description="a more recent or stronger authentication of the user is required", acr_values="phrh", max_age="300"
	// <nil>
}

func ExampleActorSubject() {
	v, sign, _ := exampleValidator()
	// A token obtained by token exchange (RFC 8693): the gateway acts for
	// alice, on behalf of the web frontend before it.
	tok := sign(map[string]any{"act": map[string]any{"sub": "gateway", "act": map[string]any{"sub": "web"}}})
	c, err := v.Admit(context.Background(), &middleware.Credentials{Token: tok}, middleware.ActorSubject("gateway"))
	for _, a := range c.Actor.Chain() {
		fmt.Print(a.Subject, " ")
	}
	fmt.Println(err)
	// Earlier actors are history, not for access control (§4.1).
	_, err = v.Admit(context.Background(), &middleware.Credentials{Token: tok}, middleware.ActorSubject("web"))
	fmt.Println(middleware.SafeDescription(err))
	// Output:
	// gateway web <nil>
	// the route requires actor 'web'
}

func ExampleRequireDetail() {
	v, sign, _ := exampleValidator()
	tok := sign(map[string]any{"authorization_details": []any{map[string]any{
		"type": "payment_initiation", "actions": []string{"initiate"}, "locations": []string{"https://bank.example.com"},
		"instructedAmount": map[string]any{"currency": "EUR", "amount": "123.50"},
	}}})
	req := middleware.RequireDetail(middleware.DetailMatch{Type: "payment_initiation", Actions: []string{"initiate"}})
	c, err := v.Admit(context.Background(), &middleware.Credentials{Token: tok}, req)
	var amount struct {
		InstructedAmount struct{ Currency, Amount string } `json:"instructedAmount"`
	}
	_ = c.AuthorizationDetails[0].Decode(&amount)
	fmt.Println(err, amount.InstructedAmount.Amount, amount.InstructedAmount.Currency)
	// Output:
	// <nil> 123.50 EUR
}

func ExampleRejectClaims() {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, _ := jwks.NewKey("key-1", "EdDSA", pub)
	keys, _ := jwks.NewStatic(key)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v, _ := middleware.NewValidator(middleware.Issuer{
		URL: "https://as.example.com", Audiences: []string{"api"}, Keys: keys,
		// Runs on every request, cached tokens included.
		Validators: []func(context.Context, *middleware.Claims) error{func(_ context.Context, c *middleware.Claims) error {
			var verified bool
			if ok, _ := c.Claim("email_verified", &verified); !ok || !verified {
				return middleware.RejectClaims("the email address is not verified")
			}
			return nil
		}},
	}, &middleware.Config{Now: func() time.Time { return now }})
	tok := coreExampleToken(priv, "key-1", map[string]any{
		"iss": "https://as.example.com", "aud": "api", "sub": "bob", "exp": now.Add(time.Hour).Unix(), "email_verified": false,
	})
	_, err := v.Validate(context.Background(), tok)
	fmt.Println(middleware.Status(err), middleware.Challenge(err, "api"))
	// Output:
	// 401 Bearer realm="api", error="invalid_token", error_description="the email address is not verified"
}
