package mcpguard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rsguard/rsguard/adapters/mcpguard"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// Scopes of the test MCP server: every request needs scopeRead; the tool
// "cancel_order" also needs scopeWrite, which the test client may obtain;
// "purge_orders" also needs scopeAdmin, which it may not.
const (
	scopeRead  = "orders:read"
	scopeWrite = "orders:write"
	scopeAdmin = "orders:admin"
	clientID   = "mcp-client"
	redirect   = "http://127.0.0.1/callback"
)

// fixture is an authorization server, an MCP server behind the guard on
// loopback, and what the tests need to reach them.
type fixture struct {
	as       *oauthtest.Server
	srv      *httptest.Server
	resource string // the MCP endpoint, srv.URL + "/mcp"
	guard    *mcpguard.Guard
	v        *middleware.Validator
}

type fixtureConfig struct {
	trailingSlash bool // Config.AllowAudienceTrailingSlash
}

// newFixture starts the servers; the MCP endpoint's address is known before
// the authorization server starts, so that its clients may ask tokens for it.
func newFixture(t testing.TB, fc fixtureConfig) *fixture {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	f := &fixture{srv: srv, resource: "http://" + srv.Listener.Addr().String() + "/mcp"}
	// oauthtest's own audience is another API's: the tokens its token
	// endpoint issues name the MCP server only because the client asks for
	// it as the RFC 8707 resource.
	f.as = oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256", Clients: []oauthtest.Client{{
		ID: clientID, AuthMethod: oauthtest.AuthNone, RedirectURIs: []string{redirect},
		Scopes: []string{scopeRead, scopeWrite},
	}}})
	t.Cleanup(f.as.Close)
	keys, err := jwks.NewRemote(context.Background(), f.as.Issuer(), &jwks.Config{HTTPClient: f.as.Client()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keys.Close() })
	// The validator also accepts another API's audience: the guard narrows it.
	auds := []string{f.resource, f.resource + "/", oauthtest.DefaultAudience}
	f.v, err = middleware.NewValidator(middleware.Issuer{URL: f.as.Issuer(), Audiences: auds, Keys: keys}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.guard, err = mcpguard.New(f.v, f.resource, &mcpguard.Config{
		Requirement: scopes.AllOf(scopeRead),
		Tools: map[string]scopes.Requirement{
			"cancel_order": scopes.AllOf(scopeWrite),
			"purge_orders": scopes.AllOf(scopeAdmin),
		},
		AllowAudienceTrailingSlash: fc.trailingSlash,
		Metadata: &middleware.ResourceMetadata{
			// More than Requirement needs: the client's first authorization
			// asks for the 401 challenge's scope, not for all of these.
			ScopesSupported: []string{scopeRead, scopeWrite}, ResourceName: "Orders MCP server",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	server := newMCPServer(f.guard)
	mux.Handle(f.guard.MetadataPath(), f.guard.MetadataHandler())
	mux.Handle("/mcp", f.guard.Protect(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server }, nil)))
	srv.Start()
	t.Cleanup(srv.Close)
	return f
}

type orderIn struct {
	ID string `json:"id,omitempty"`
}

type whoOut struct {
	Subject string   `json:"subject"`
	Scopes  []string `json:"scopes"`
	UserID  string   `json:"user_id"`
}

// newMCPServer is the MCP server under test: "whoami" answers the caller's
// verified claims and the SDK's TokenInfo; the order tools answer what they
// did.
func newMCPServer(g *mcpguard.Guard) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "orders", Version: "1.0.0"}, nil)
	s.AddReceivingMiddleware(g.ToolMiddleware())
	mcp.AddTool(s, &mcp.Tool{Name: "whoami", Description: "the verified caller"},
		func(_ context.Context, req *mcp.CallToolRequest, _ orderIn) (*mcp.CallToolResult, whoOut, error) {
			c, ok := mcpguard.Claims(req)
			if !ok || req.Extra.TokenInfo == nil {
				return nil, whoOut{}, fmt.Errorf("no claims")
			}
			return nil, whoOut{Subject: c.Subject, Scopes: c.Scopes.List(), UserID: req.Extra.TokenInfo.UserID}, nil
		})
	for _, name := range []string{"cancel_order", "purge_orders"} {
		mcp.AddTool(s, &mcp.Tool{Name: name, Description: name},
			func(_ context.Context, req *mcp.CallToolRequest, in orderIn) (*mcp.CallToolResult, whoOut, error) {
				c, _ := mcpguard.Claims(req)
				return nil, whoOut{Subject: name + " " + in.ID + " by " + c.Subject}, nil
			})
	}
	return s
}

// exchange is one HTTP exchange the client made, as the recorder saw it.
type exchange struct {
	method, url string
	status      int
	challenge   string
}

// recorder is an http.RoundTripper that records every exchange.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	log  []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.log = append(r.log, exchange{req.Method, req.URL.String(), resp.StatusCode, resp.Header.Get("WWW-Authenticate")})
	r.mu.Unlock()
	return resp, nil
}

func (r *recorder) exchanges() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.log...)
}

// find returns the exchanges with the given status whose URL starts with
// prefix.
func (r *recorder) find(status int, prefix string) []exchange {
	var out []exchange
	for _, e := range r.exchanges() {
		if e.status == status && strings.HasPrefix(e.url, prefix) {
			out = append(out, e)
		}
	}
	return out
}
