package main

import (
	"strings"
	"testing"

	"github.com/rsguard/rsguard/oauthtest"
)

// TestSecretNeverPrinted runs every path that handles the client secret —
// accepted, refused, unavailable, usage error, --explain — with the secret
// from the environment and from the flag, and checks it never reaches the
// output.
func TestSecretNeverPrinted(t *testing.T) {
	const secret = "Zq9-very-secret-value-4711"
	as := newAS(t, &oauthtest.Config{Clients: []oauthtest.Client{{ID: "rs", Secret: secret}}})
	good := as.OpaqueToken(oauthtest.TokenOptions{})
	revoked := as.OpaqueToken(oauthtest.TokenOptions{})
	as.Revoke(revoked)
	down := newAS(t, nil)
	downURL := down.IntrospectionURL()
	down.Close()
	verify := func(endpoint string, extra ...string) []string {
		return verifyArgs(as, append([]string{"--introspect", endpoint, "--client-id", "rs"}, extra...)...)
	}
	runs := []struct {
		args []string
		code int
	}{
		{verify(as.IntrospectionURL(), good), exitOK},
		{verify(as.IntrospectionURL(), "--explain", good), exitOK},
		{verify(as.IntrospectionURL(), revoked), exitRefused},
		{verify(as.IntrospectionURL(), "--explain", revoked), exitRefused},
		{verify(downURL, good), exitUnavailable},
		{verify(downURL, "--explain", good), exitUnavailable},
		{verify(as.IntrospectionURL(), "--scope", "", good), exitUsage},
		{[]string{"introspect", "--endpoint", as.IntrospectionURL(), "--client-id", "rs", good}, exitOK},
		{[]string{"introspect", "--endpoint", as.IntrospectionURL(), "--client-id", "rs", revoked}, exitRefused},
		{[]string{"introspect", "--endpoint", downURL, "--client-id", "rs", good}, exitUnavailable},
		{[]string{"introspect", "--endpoint", "http://auth.example.com/i", "--client-id", "rs", good}, exitUsage},
	}
	for _, fromFlag := range []bool{false, true} {
		for _, run := range runs {
			env, args := secret, run.args
			if fromFlag {
				env, args = "", append([]string{args[0], "--client-secret", secret}, args[1:]...)
			}
			t.Setenv(secretEnv, env)
			r := runCmd(t, "", args...)
			if r.code != run.code {
				t.Errorf("run(%q) = %v, want exit %d", args, r, run.code)
			}
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Errorf("run(%q) printed the client secret:\n%v", args, r)
			}
			if fromFlag && r.code != exitUsage && !strings.Contains(r.stderr, "prefer $"+secretEnv) {
				t.Errorf("run(%q) with --client-secret gave no warning:\n%v", args, r)
			}
		}
	}
}
