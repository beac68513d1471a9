package introspection_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/oauthtest"
)

// TestCheckCredentials: the start-up check passes with the registered
// credentials and, with a wrong secret, fails with a Misconfiguration that
// says the server refuses them — not an outage — never showing the secret.
func TestCheckCredentials(t *testing.T) {
	as := oauthtest.NewServer(&oauthtest.Config{Clients: []oauthtest.Client{{ID: "rs", Secret: "right-secret"}}})
	defer as.Close()
	good, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic("rs", "right-secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := good.CheckCredentials(context.Background()); err != nil {
		t.Fatalf("CheckCredentials(right secret) = %v", err)
	}
	bad, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic("rs", "wrong-secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bad.CheckCredentials(context.Background())
	m := middleware.MisconfigurationOf(err)
	if !errors.Is(err, middleware.ErrUnavailable) || m == nil || m.Received != "HTTP 401" || !strings.Contains(m.Hint, "client credentials") {
		t.Fatalf("CheckCredentials(wrong secret) = %v (%+v), want ErrUnavailable caused by a refusal of the credentials", err, m)
	}
	var se *introspection.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusUnauthorized {
		t.Errorf("cause = %v, want a StatusError 401", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") || strings.Contains(m.Expected+m.Hint, "wrong-secret") {
		t.Errorf("error %q shows the secret", err)
	}

	// Through the validator: every opaque token is undecided, and the
	// cause is reported once.
	var reports atomic.Int32
	v, err := middleware.NewValidator(middleware.Issuer{URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}, Introspector: bad},
		&middleware.Config{Hooks: &middleware.Hooks{Misconfigured: func(context.Context, middleware.Misconfiguration) { reports.Add(1) }}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, err := v.Validate(context.Background(), as.OpaqueToken(oauthtest.TokenOptions{}))
		if !errors.Is(err, middleware.ErrUnavailable) || middleware.MisconfigurationOf(err) == nil {
			t.Fatalf("Validate with refused credentials = %v, want ErrUnavailable with a Misconfiguration", err)
		}
	}
	if n := reports.Load(); n != 1 {
		t.Errorf("Misconfigured called %d times, want 1", n)
	}
}
