package introspection_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// TestIssuerSettingsForIntrospection checks that the issuer's settings on
// claims apply to introspection answers as to JWTs: Issuer.ScopeClaim
// (without introspection.Config.ScopeClaim, issue 16), Issuer.RoleClaims,
// and the typed acr, auth_time, act and authorization_details, for one
// opaque and one JWT access token of the same server.
func TestIssuerSettingsForIntrospection(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	as := oauthtest.NewServer(&oauthtest.Config{Now: func() time.Time { return now }})
	defer as.Close()
	as.AddClient(oauthtest.Client{ID: "rs", Secret: "s"})
	in, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic("rs", "s"), nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := jwks.ParseStatic(as.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{
		URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}, Keys: keys, Introspector: in,
		Types: middleware.CompatTypes(), ScopeClaim: "permissions", RoleClaims: []string{"realm_access.roles"},
	}, &middleware.Config{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	opts := oauthtest.TokenOptions{Subject: "alice", Claims: map[string]any{
		"permissions":           []string{"orders:read"},
		"scope":                 "ignored",
		"realm_access":          map[string]any{"roles": []string{"approver"}},
		"acr":                   "phr",
		"auth_time":             now.Add(-time.Minute).Unix(),
		"act":                   map[string]any{"sub": "gateway"},
		"authorization_details": []any{map[string]any{"type": "order", "actions": []string{"approve"}}},
	}}
	req := scopes.All(scopes.AllOf("orders:read"), middleware.Role("approver"), middleware.ACR("phr"),
		middleware.MaxAge(5*time.Minute), middleware.ActorSubject("gateway"),
		middleware.RequireDetail(middleware.DetailMatch{Type: "order", Actions: []string{"approve"}}))
	for name, tok := range map[string]string{"opaque": as.OpaqueToken(opts), "jwt": as.Token(opts)} {
		t.Run(name, func(t *testing.T) {
			for range 2 { // the second from the caches
				c, err := v.Admit(context.Background(), &middleware.Credentials{Token: tok}, req)
				if err != nil {
					t.Fatalf("Admit = %v", err)
				}
				if !slices.Equal(c.Scopes.List(), []string{"orders:read"}) || !slices.Equal(c.Roles, []string{"approver"}) {
					t.Errorf("scopes %v, roles %v; want [orders:read], [approver]", c.Scopes.List(), c.Roles)
				}
			}
			_, err := v.Admit(context.Background(), &middleware.Credentials{Token: tok}, scopes.AllOf("ignored"))
			if !errors.Is(err, middleware.ErrInsufficientScope) {
				t.Errorf("scope from the other member: %v, want refused", err)
			}
			// Many requests at once share the cached claims (and, for the
			// opaque token, the introspector's): each derives its own view.
			var wg sync.WaitGroup
			errs := make(chan error, 16*20)
			for range 16 {
				wg.Go(func() {
					for range 20 {
						if _, err := v.Admit(context.Background(), &middleware.Credentials{Token: tok}, req); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("concurrent Admit: %v", err)
			}
		})
	}
}
