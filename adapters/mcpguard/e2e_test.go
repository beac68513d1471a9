package mcpguard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/rsguard/rsguard/oauthtest"
)

// browser plays the user agent of the authorization code flow for the SDK's
// AuthorizationCodeHandler: it opens the authorization URL at oauthtest
// (which approves at once), and hands the redirect's code, state and iss
// back, or the authorization server's error.
type browser struct {
	client *http.Client
	mu     sync.Mutex
	urls   []*url.URL // every authorization URL opened
}

func (b *browser) fetch(ctx context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
	u, err := url.Parse(args.URL)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.urls = append(b.urls, u)
	b.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args.URL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		return nil, fmt.Errorf("authorization endpoint answered %d", resp.StatusCode)
	}
	q := loc.Query()
	if e := q.Get("error"); e != "" {
		return nil, fmt.Errorf("authorization refused: %s: %s", e, q.Get("error_description"))
	}
	return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
}

func (b *browser) opened() []*url.URL {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.urls)
}

// TestEndToEnd runs the MCP authorization flow with the real SDK on both
// ends, unmodified: the go-sdk client's own OAuth support
// (auth.AuthorizationCodeHandler, authorization code + PKCE with a
// pre-registered public client) against oauthtest, and a go-sdk server
// behind the guard. The client starts without a token, is answered 401 with
// resource_metadata, reads the metadata, finds oauthtest, gets a token for
// the server's canonical URI, lists the tools and calls one; a tool needing
// a scope the client may obtain gets it by step-up after a 403; a tool
// needing a scope it may not obtain is refused 403 and the call fails.
func TestEndToEnd(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	rec := &recorder{next: http.DefaultTransport}
	httpClient := &http.Client{Transport: rec, Timeout: 10 * time.Second}
	br := &browser{client: &http.Client{Transport: rec, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	handler, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		PreregisteredClient:      &oauthex.ClientCredentials{ClientID: clientID, Issuer: f.as.Issuer()},
		RedirectURL:              redirect,
		AuthorizationCodeFetcher: br.fetch,
		Client:                   httpClient,
	})
	if err != nil {
		t.Fatal(err)
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1.0.0"}, nil)
	session, err := client.Connect(ctx, &mcp.StreamableClientTransport{
		Endpoint: f.resource, HTTPClient: httpClient, OAuthHandler: handler, MaxRetries: -1,
	}, nil)
	if err != nil {
		t.Fatalf("Connect: %v\nexchanges: %+v", err, rec.exchanges())
	}
	defer session.Close()

	// The first request had no token: 401 pointing at the metadata and naming
	// the scope of Config.Requirement, which the client asks for (the MCP
	// scope selection strategy), rather than all of scopes_supported.
	ex := rec.exchanges()
	if len(ex) == 0 || ex[0].url != f.resource || ex[0].status != 401 {
		t.Fatalf("first exchange = %+v, want POST %s answered 401", ex, f.resource)
	}
	mdURL := strings.Replace(f.resource, "/mcp", "/.well-known/oauth-protected-resource/mcp", 1)
	if want := `Bearer realm="api", scope="` + scopeRead + `", resource_metadata="` + mdURL + `"`; ex[0].challenge != want {
		t.Errorf("401 challenge = %q, want %q", ex[0].challenge, want)
	}
	if len(rec.find(200, mdURL)) == 0 {
		t.Errorf("the client never fetched %s: %+v", mdURL, ex)
	}
	if len(rec.find(200, f.as.MetadataURL())) == 0 {
		t.Errorf("the client never fetched the authorization server metadata %s", f.as.MetadataURL())
	}
	urls := br.opened()
	if len(urls) != 1 {
		t.Fatalf("authorizations = %d, want 1", len(urls))
	}
	checkAuthorizationURL(t, urls[0], f, scopeRead)

	tools, err := session.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	if want := []string{"cancel_order", "purge_orders", "whoami"}; !slices.Equal(names, want) {
		t.Errorf("tools = %q, want %q", names, want)
	}

	who := callTool(ctx, t, session, "whoami")
	if who.Subject != oauthtest.DefaultSubject || !slices.Equal(who.Scopes, []string{scopeRead}) ||
		who.UserID != f.as.Issuer()+" "+oauthtest.DefaultSubject {
		t.Errorf("whoami = %+v, want subject %q, scopes [%s] and the SDK's TokenInfo", who, oauthtest.DefaultSubject, scopeRead)
	}

	// Step-up: cancel_order needs orders:write, which the client may have.
	got := callTool(ctx, t, session, "cancel_order")
	if got.Subject != "cancel_order 42 by "+oauthtest.DefaultSubject {
		t.Errorf("cancel_order = %+v", got)
	}
	wantChallenge := func(scope string) string {
		return `Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="` +
			scope + `", resource_metadata="` + mdURL + `"`
	}
	refused := rec.find(403, f.resource)
	if len(refused) != 1 || refused[0].challenge != wantChallenge(scopeRead+" "+scopeWrite) {
		t.Fatalf("403 answers = %+v, want one with %q", refused, wantChallenge(scopeRead+" "+scopeWrite))
	}
	if urls = br.opened(); len(urls) != 2 {
		t.Fatalf("authorizations = %d, want 2 (step-up)", len(urls))
	}
	checkAuthorizationURL(t, urls[1], f, scopeRead+" "+scopeWrite)

	// purge_orders needs orders:admin, which oauthtest will not grant.
	_, err = session.CallTool(ctx, &mcp.CallToolParams{Name: "purge_orders", Arguments: map[string]any{"id": "42"}})
	if err == nil || !strings.Contains(err.Error(), "invalid_scope") {
		t.Fatalf("purge_orders: err = %v, want the refused step-up", err)
	}
	refused = rec.find(403, f.resource)
	if len(refused) != 2 || refused[1].challenge != wantChallenge(scopeRead+" "+scopeAdmin) {
		t.Errorf("403 answers = %+v, want a second with %q", refused, wantChallenge(scopeRead+" "+scopeAdmin))
	}
	// The session still works with the token it has.
	if who := callTool(ctx, t, session, "whoami"); !sameScopes(strings.Join(who.Scopes, " "), scopeRead+" "+scopeWrite) {
		t.Errorf("whoami after step-up = %+v, want scopes %q", who, []string{scopeRead, scopeWrite})
	}
}

// checkAuthorizationURL checks an authorization request of the SDK client:
// at oauthtest's endpoint, for the pre-registered client, with PKCE, the
// server's canonical URI as RFC 8707 resource, and the given scope.
func checkAuthorizationURL(t *testing.T, u *url.URL, f *fixture, scope string) {
	t.Helper()
	q := u.Query()
	base := *u
	base.RawQuery = ""
	switch {
	case base.String() != f.as.AuthorizationURL():
		t.Errorf("authorization URL %s, want at %s", u, f.as.AuthorizationURL())
	case q.Get("client_id") != clientID || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		t.Errorf("authorization request %v lacks the client or PKCE", q)
	case q.Get("resource") != f.resource:
		t.Errorf("resource = %q, want %q", q.Get("resource"), f.resource)
	case !sameScopes(q.Get("scope"), scope):
		// The SDK unions granted and challenged scopes through a map, so
		// their order varies; a scope list is a set (RFC 6749 §3.3).
		t.Errorf("scope = %q, want the scopes %q", q.Get("scope"), scope)
	}
}

// sameScopes reports whether two space-delimited scope lists hold the same
// scopes, in any order, each once.
func sameScopes(a, b string) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y) && len(slices.Compact(x)) == len(y)
}

// callTool calls a tool with {"id":"42"} and decodes its structured result.
func callTool(ctx context.Context, t *testing.T, s *mcp.ClientSession, name string) whoOut {
	t.Helper()
	res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: map[string]any{"id": "42"}})
	if err != nil {
		t.Fatalf("CallTool(%s): %v", name, err)
	}
	if res.IsError {
		t.Fatalf("CallTool(%s) failed: %+v", name, res.Content)
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var out whoOut
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(errors.Join(err, fmt.Errorf("structured content %s", b)))
	}
	return out
}
