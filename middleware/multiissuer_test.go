package middleware_test

import (
	"testing"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// TestMultiIssuerRemoteKeys: each trusted issuer has its own RemoteKeys and
// audiences; a token's "iss" picks the issuer from the configured list only,
// and a token from any other issuer is refused before any network call
// (RFC 9068 §4; no fetch is ever driven by an attacker-chosen URL).
func TestMultiIssuerRemote(t *testing.T) {
	clock := guardtest.NewClock()
	a := oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256", Audience: "https://a.api", Now: clock.Now, Path: "/tenants/a"})
	defer a.Close()
	b := oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256", Audience: "https://b.api", Now: clock.Now})
	defer b.Close()
	untrusted := oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256", Audience: "https://a.api", Now: clock.Now})
	defer untrusted.Close()
	servers := []*oauthtest.Server{a, b, untrusted}

	lazy := &jwks.Config{Lazy: true, Now: clock.Now}
	v, err := middleware.NewMultiIssuerValidator([]middleware.Issuer{
		{URL: a.Issuer(), Audiences: []string{"https://a.api"}, Keys: guardtest.Remote(t, a.Issuer(), lazy)},
		{URL: b.Issuer(), Audiences: []string{"https://b.api"}, Keys: guardtest.Remote(t, b.Issuer(), lazy)},
	}, &middleware.Config{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	requests := func() (n int) {
		for _, s := range servers {
			n += s.Requests(oauthtest.EndpointDiscovery) + s.Requests(oauthtest.EndpointJWKS)
		}
		return n
	}

	refusedOffline := []struct {
		name  string
		token string
	}{
		{"untrusted issuer", untrusted.Token(oauthtest.TokenOptions{})},
		{"unknown iss naming a URL", untrusted.Token(oauthtest.TokenOptions{Claims: map[string]any{"iss": "https://evil.example/"}})},
		{"iss differing from a trusted one by a slash", untrusted.Token(oauthtest.TokenOptions{Claims: map[string]any{"iss": a.Issuer() + "/"}})},
		{"no iss", untrusted.Token(oauthtest.TokenOptions{Claims: map[string]any{"iss": nil}})},
	}
	for _, tt := range refusedOffline {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Validate(t.Context(), tt.token)
			guardtest.WantError(t, "Validate", err, middleware.ErrInvalidToken)
			if n := requests(); n != 0 {
				t.Errorf("requests to any authorization server = %d, want 0", n)
			}
		})
	}

	accepted := []struct {
		name   string
		as     *oauthtest.Server
		issuer string
	}{
		{"issuer A", a, a.Issuer()},
		{"issuer B", b, b.Issuer()},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			c := jwksMustValidate(t, v, tt.as.Token(oauthtest.TokenOptions{Subject: tt.name}), tt.name)
			if c.Issuer != tt.issuer || c.Subject != tt.name {
				t.Errorf("Validate = iss %q sub %q, want %q %q", c.Issuer, c.Subject, tt.issuer, tt.name)
			}
			if n := tt.as.Requests(oauthtest.EndpointJWKS); n != 1 {
				t.Errorf("JWKS requests to %s = %d, want 1", tt.name, n)
			}
		})
	}
	if n := untrusted.Requests(oauthtest.EndpointJWKS) + untrusted.Requests(oauthtest.EndpointDiscovery); n != 0 {
		t.Errorf("requests to the untrusted server = %d, want 0", n)
	}

	refused := []struct {
		name  string
		token string
		want  error
	}{
		{"A token with only B's audience", a.Token(oauthtest.TokenOptions{Audience: []string{"https://b.api"}}), middleware.ErrAudienceMismatch},
		{"A's key claiming B as issuer", a.Token(oauthtest.TokenOptions{Claims: map[string]any{"iss": b.Issuer()}}), middleware.ErrUnknownKey},
		{"A's key under B's kid", a.Token(oauthtest.TokenOptions{Claims: map[string]any{"iss": b.Issuer()}, Header: map[string]any{"kid": b.KeyID()}}), middleware.ErrBadSignature},
		{"untrusted server's key claiming A", untrusted.Token(oauthtest.TokenOptions{Claims: map[string]any{"iss": a.Issuer()}}), middleware.ErrUnknownKey},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Validate(t.Context(), tt.token)
			guardtest.WantError(t, "Validate", err, middleware.ErrInvalidToken, tt.want)
		})
	}
	if n := untrusted.Requests(oauthtest.EndpointJWKS) + untrusted.Requests(oauthtest.EndpointDiscovery); n != 0 {
		t.Errorf("requests to the untrusted server = %d, want 0", n)
	}
}
