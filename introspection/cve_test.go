package introspection_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// TestCachedTokenScopesPerRoute is the regression test for the flaw of
// CVE-2021-32701 (ORY Oathkeeper): a cached introspection result let a token
// through a route whose scope requirement it had never been checked against.
// Here the cache holds introspection results only; every route checks its own
// requirement on every request, cache hit or not, in any order.
func TestCachedTokenScopesPerRoute(t *testing.T) {
	as := oauthtest.NewServer(&oauthtest.Config{Audience: apiAudience})
	defer as.Close()
	as.AddClient(oauthtest.Client{ID: testClientID, Secret: testSecret})
	in, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic(testClientID, testSecret), nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{URL: as.Issuer(), Audiences: []string{apiAudience}, Introspector: in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g, err := middleware.NewGuard(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux := http.NewServeMux()
	mux.Handle("GET /read", g.Require(scopes.AllOf("read"), ok))
	mux.Handle("GET /admin", g.Require(scopes.AllOf("admin"), ok))
	api := httptest.NewServer(mux)
	defer api.Close()

	reader := as.OpaqueToken(oauthtest.TokenOptions{Scopes: []string{"read"}})
	admin := as.OpaqueToken(oauthtest.TokenOptions{Scopes: []string{"admin"}})
	steps := []struct {
		token, route string
		want         int
	}{
		{reader, "/read", http.StatusOK}, // introspected and cached
		{reader, "/admin", http.StatusForbidden},
		{reader, "/read", http.StatusOK},
		{reader, "/admin", http.StatusForbidden},
		{admin, "/admin", http.StatusOK}, // introspected and cached
		{admin, "/read", http.StatusForbidden},
		{admin, "/admin", http.StatusOK},
		{admin, "/read", http.StatusForbidden},
	}
	for i, s := range steps {
		status, challenge := get(t, api.URL+s.route, s.token)
		if status != s.want {
			t.Errorf("step %d: GET %s = %d, want %d", i, s.route, status, s.want)
		}
		if status == http.StatusForbidden && !strings.Contains(challenge, `error="insufficient_scope"`) {
			t.Errorf("step %d: GET %s challenge = %q, want insufficient_scope", i, s.route, challenge)
		}
	}
	// Every request after the first per token was a cache hit: the
	// requirement was checked against cached results.
	if n := as.Requests(oauthtest.EndpointIntrospection); n != 2 {
		t.Errorf("introspection requests = %d, want 2 (one per token)", n)
	}
}

// get sends a GET with token and returns the status and WWW-Authenticate.
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}
