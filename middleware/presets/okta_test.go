package presets_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/presets"
	"github.com/rsguard/rsguard/oauthtest"
)

// TestOktaOrg: tokens of an Okta org authorization server are resolved by
// introspection (oauthtest plays the org server's endpoint): an active token
// whose audience is the org is accepted, one for another audience refused.
func TestOktaOrg(t *testing.T) {
	const domain = "dev-123456.okta.com"
	as := oauthtest.NewServer(&oauthtest.Config{Clients: []oauthtest.Client{{ID: "rs", Secret: "rs-secret"}}})
	defer as.Close()
	in, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic("rs", "rs-secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := middleware.NewValidator(presets.OktaOrg(domain, in), nil)
	if err != nil {
		t.Fatal(err)
	}
	org := map[string]any{"iss": "https://" + domain}
	c, err := v.Validate(context.Background(), as.OpaqueToken(oauthtest.TokenOptions{Audience: []string{"https://" + domain}, Claims: org, Scopes: []string{"okta.users.read"}}))
	if err != nil || !c.Scopes.Has("okta.users.read") {
		t.Fatalf("Validate(org token) = %+v, %v; want accepted with its scope", c, err)
	}
	_, err = v.Validate(context.Background(), as.OpaqueToken(oauthtest.TokenOptions{Audience: []string{"api://default"}, Claims: org}))
	if !errors.Is(err, middleware.ErrAudienceMismatch) {
		t.Errorf("Validate(token for another audience) = %v, want ErrAudienceMismatch", err)
	}
}
