package main

import (
	"strings"
	"testing"

	"github.com/rsguard/rsguard/oauthtest"
)

func TestIntrospect(t *testing.T) {
	as := newAS(t, &oauthtest.Config{Path: "/tenants/a", Clients: []oauthtest.Client{
		{ID: "cli-post", Secret: testSecret, AuthMethod: oauthtest.AuthClientSecretPost},
	}})
	t.Setenv(secretEnv, testSecret)
	opaque := as.OpaqueToken(oauthtest.TokenOptions{Subject: "bob", Scopes: []string{"orders:read", "orders:write"}})
	revoked := as.OpaqueToken(oauthtest.TokenOptions{})
	as.Revoke(revoked)
	byEndpoint := []string{"introspect", "--endpoint", as.IntrospectionURL(), "--client-id", testClientID}
	byIssuer := []string{"introspect", "--issuer", as.Issuer(), "--client-id", testClientID}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout when 0, else stderr
	}{
		{"endpoint", append(byEndpoint, opaque), exitOK, `"sub": "bob"`},
		{"issuer discovery", append(byIssuer, opaque), exitOK, `"scope": "orders:read orders:write"`},
		{"post auth", []string{"introspect", "--endpoint", as.IntrospectionURL(), "--client-id", "cli-post", "--auth", "post", opaque}, exitOK, `"username": "bob"`},
		{"wrong auth method", append(byEndpoint, "--auth", "post", opaque), exitUnavailable, "the introspection endpoint refuses the client credentials"},
		{"inactive", append(byEndpoint, revoked), exitRefused, "token not active"},
		{"unknown token", append(byEndpoint, "never-issued"), exitRefused, "active=false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCmd(t, "", tc.args...)
			if r.code != tc.code {
				t.Fatalf("run(%q) = %v, want exit %d", tc.args, r, tc.code)
			}
			out := r.stderr
			if tc.code == exitOK {
				out = r.stdout
				if m := decodeJSON(t, r.stdout); m["active"] != true || m["iss"] != as.Issuer() {
					t.Errorf("claims = %v, want active true, iss %s", m, as.Issuer())
				}
			}
			wantAll(t, "output", out, tc.want)
		})
	}
}

func TestIntrospectUnavailable(t *testing.T) {
	as := newAS(t, nil)
	t.Setenv(secretEnv, testSecret)
	tok := as.OpaqueToken(oauthtest.TokenOptions{})
	as.SetFault(oauthtest.EndpointIntrospection, oauthtest.Fault{Body: []byte("<html>oops</html>")})
	r := runCmd(t, "", "introspect", "--endpoint", as.IntrospectionURL(), "--client-id", testClientID, tok)
	if r.code != exitUnavailable || !strings.Contains(r.stderr, "unavailable") {
		t.Errorf("introspect, garbage answer = %v, want exit 3", r)
	}
	issuer := as.Issuer()
	as.Close()
	r = runCmd(t, "", "introspect", "--issuer", issuer, "--client-id", testClientID, tok)
	if r.code != exitUnavailable {
		t.Errorf("introspect --issuer of a closed server = %v, want exit 3", r)
	}
}

// TestDashToken checks that a token starting with "-" reaches the endpoint
// as a token, not the flag parser (which would refuse it and print it).
func TestDashToken(t *testing.T) {
	as := newAS(t, nil)
	t.Setenv(secretEnv, testSecret)
	const tok = "-Unknown_token-value"
	before := as.Requests(oauthtest.EndpointIntrospection)
	r := runCmd(t, "", "introspect", "--endpoint", as.IntrospectionURL(), tok, "--client-id", testClientID)
	if r.code != exitRefused || !strings.Contains(r.stderr, "active=false") {
		t.Errorf("introspect %q = %v, want exit 1, not active", tok, r)
	}
	if got := as.Requests(oauthtest.EndpointIntrospection) - before; got != 1 {
		t.Errorf("introspection requests = %d, want 1", got)
	}
	if strings.Contains(r.stderr, tok) {
		t.Errorf("stderr echoes the token:\n%s", r.stderr)
	}
}
