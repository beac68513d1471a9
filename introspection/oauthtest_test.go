package introspection_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// Every client authentication method against oauthtest's introspection
// endpoint, which checks them on the server side.
func TestOAuthTestClientAuth(t *testing.T) {
	k := testKeys(t)
	as := oauthtest.NewServer(nil)
	defer as.Close()
	jwtAuth := func(id string, cfg *introspection.AssertionConfig) introspection.ClientAuth {
		a, err := introspection.PrivateKeyJWT(id, k.p256, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	tests := []struct {
		name   string
		client oauthtest.Client
		auth   introspection.ClientAuth
	}{
		{"basic", oauthtest.Client{ID: "rs-basic", Secret: "a:b%c+d e ✓"},
			introspection.ClientSecretBasic("rs-basic", "a:b%c+d e ✓")},
		{"basic tricky id", oauthtest.Client{ID: "rs:b%+ é", Secret: "s"},
			introspection.ClientSecretBasic("rs:b%+ é", "s")},
		{"post", oauthtest.Client{ID: "rs-post", Secret: "p:q%r+s t ü", AuthMethod: oauthtest.AuthClientSecretPost},
			introspection.ClientSecretPost("rs-post", "p:q%r+s t ü")},
		{"private_key_jwt", oauthtest.Client{ID: "rs-jwt", AuthMethod: oauthtest.AuthPrivateKeyJWT, PublicKey: k.p256.Public()},
			jwtAuth("rs-jwt", nil)},
		{"private_key_jwt issuer audience", oauthtest.Client{ID: "rs-jwt-iss", AuthMethod: oauthtest.AuthPrivateKeyJWT, PublicKey: k.p256.Public()},
			jwtAuth("rs-jwt-iss", &introspection.AssertionConfig{Audience: as.Issuer()})},
		{"bearer", oauthtest.Client{ID: "rs-bearer", AuthMethod: oauthtest.AuthBearer, BearerToken: "rs-own-token"},
			introspection.BearerToken("rs-own-token")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as.AddClient(tt.client)
			in, err := introspection.New(as.IntrospectionURL(), tt.auth, &introspection.Config{CacheSize: -1})
			if err != nil {
				t.Fatal(err)
			}
			opaque := as.OpaqueToken(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"read"}})
			for range 2 { // a second request needs a fresh assertion "jti"
				c, err := in.Introspect(context.Background(), opaque)
				if err != nil || c.Subject != "alice" || !c.Scopes.Has("read") {
					t.Fatalf("Introspect(opaque) = %+v, %v; want alice with scope read", c, err)
				}
			}
		})
	}
	t.Run("wrong secret", func(t *testing.T) {
		as.AddClient(oauthtest.Client{ID: "rs-wrong", Secret: "right"})
		in, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic("rs-wrong", "wrong"), nil)
		if err != nil {
			t.Fatal(err)
		}
		opaque := as.OpaqueToken(oauthtest.TokenOptions{})
		_, err = in.Introspect(context.Background(), opaque)
		checkUnavailable(t, err, opaque, "wrong")
	})
}

func TestNewFromIssuer(t *testing.T) {
	modes := []struct {
		name string
		cfg  oauthtest.Config
	}{
		{"OIDC", oauthtest.Config{DiscoveryMode: oauthtest.DiscoveryOIDCOnly}},
		{"RFC 8414 with path", oauthtest.Config{DiscoveryMode: oauthtest.DiscoveryRFC8414Only, Path: "/tenants/a"}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			cfg := m.cfg
			as := oauthtest.NewServer(&cfg)
			defer as.Close()
			as.AddClient(oauthtest.Client{ID: testClientID, Secret: testSecret})
			in, err := introspection.NewFromIssuer(context.Background(), as.Issuer(), introspection.ClientSecretBasic(testClientID, testSecret), nil)
			if err != nil {
				t.Fatalf("NewFromIssuer(%q) error = %v", as.Issuer(), err)
			}
			if in.Endpoint() != as.IntrospectionURL() {
				t.Errorf("Endpoint() = %q, want %q", in.Endpoint(), as.IntrospectionURL())
			}
			opaque := as.OpaqueToken(oauthtest.TokenOptions{Subject: "bob"})
			if c, err := in.Introspect(context.Background(), opaque); err != nil || c.Subject != "bob" {
				t.Errorf("Introspect = %+v, %v; want bob", c, err)
			}
		})
	}
}

func TestNewFromIssuerErrors(t *testing.T) {
	bare := newServer(t, http.NotFoundHandler()) // serves no metadata
	auth := introspection.ClientSecretBasic(testClientID, testSecret)
	if _, err := introspection.NewFromIssuer(context.Background(), bare.URL, auth, nil); !errors.Is(err, jwks.ErrDiscovery) {
		t.Errorf("NewFromIssuer without metadata = %v, want ErrDiscovery", err)
	}
	if _, err := introspection.NewFromIssuer(context.Background(), "http://as.example.test", auth, nil); err == nil {
		t.Error("NewFromIssuer(http, non-loopback) error = nil, want an error")
	}
	md := http.NewServeMux()
	var issuer string
	md.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"` + issuer + `","jwks_uri":"` + issuer + `/jwks"}`))
	})
	srv := newServer(t, md)
	issuer = srv.URL
	if _, err := introspection.NewFromIssuer(context.Background(), issuer, auth, nil); !errors.Is(err, introspection.ErrNoEndpoint) {
		t.Errorf("NewFromIssuer without introspection_endpoint = %v, want ErrNoEndpoint", err)
	}
}

// Revocation is seen once the cached result expires, and faults injected at
// the endpoint are outages.
func TestOAuthTestRevokeAndFaults(t *testing.T) {
	clk := newClock()
	as := oauthtest.NewServer(&oauthtest.Config{Now: clk.Now})
	defer as.Close()
	as.AddClient(oauthtest.Client{ID: testClientID, Secret: testSecret})
	in, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic(testClientID, testSecret),
		&introspection.Config{Now: clk.Now, CacheTTL: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	opaque := as.OpaqueToken(oauthtest.TokenOptions{})
	if _, err := in.Introspect(context.Background(), opaque); err != nil {
		t.Fatal(err)
	}
	as.Revoke(opaque)
	as.SetFault(oauthtest.EndpointIntrospection, oauthtest.Fault{Status: http.StatusBadGateway})
	if _, err := in.Introspect(context.Background(), opaque); err != nil {
		t.Errorf("cached token during a 502 outage: %v, want nil", err)
	}
	other := as.OpaqueToken(oauthtest.TokenOptions{})
	_, err = in.Introspect(context.Background(), other)
	checkUnavailable(t, err, other, testSecret)
	as.SetFault(oauthtest.EndpointIntrospection, oauthtest.Fault{Body: []byte(`{"active":"yes"}`)})
	_, err = in.Introspect(context.Background(), other)
	checkUnavailable(t, err, other)
	as.ClearFault(oauthtest.EndpointIntrospection)

	clk.Advance(30 * time.Second)
	_, err = in.Introspect(context.Background(), opaque)
	checkInactive(t, err)
	if c, err := in.Introspect(context.Background(), other); err != nil || c == nil {
		t.Errorf("Introspect(other) after recovery = %v, %v", c, err)
	}
}
