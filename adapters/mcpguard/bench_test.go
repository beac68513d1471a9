package mcpguard_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rsguard/rsguard/adapters/mcpguard"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// BenchmarkProtect measures the guard's cost per request (warm token cache,
// a handler that does nothing), against the net/http guard it builds on:
// a tools/list (no body read) and a tools/call of a tool with a requirement
// (body read and parsed).
func BenchmarkProtect(b *testing.B) {
	f := newFixture(b, fixtureConfig{})
	g, err := mcpguard.New(f.v, f.resource, &mcpguard.Config{
		Requirement: scopes.AllOf(scopeRead),
		Tools:       map[string]scopes.Requirement{"cancel_order": scopes.AllOf(scopeWrite)},
	})
	if err != nil {
		b.Fatal(err)
	}
	token := f.as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{scopeRead, scopeWrite}, Audience: []string{f.resource}})
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	list := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"cancel_order","arguments":{"id":"42"}}}`
	for _, bc := range []struct {
		name string
		h    http.Handler
		body string
	}{
		{"nethttp-guard", g.Guard().Require(scopes.AllOf(scopeRead), noop), list},
		{"mcpguard/tools-list", g.Protect(noop), list},
		{"mcpguard/tools-call", g.Protect(noop), call},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := httptest.NewRecorder()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, f.resource, strings.NewReader(bc.body))
				r.Header.Set("Authorization", "Bearer "+token)
				bc.h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}

// BenchmarkCalledTools measures the tools/call reader on a typical call.
func BenchmarkCalledTools(b *testing.B) {
	body := []byte(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"cancel_order","arguments":{"id":"42","reason":"duplicate order placed by mistake"}}}`)
	for b.Loop() {
		if names, err := mcpguard.CalledTools(body); err != nil || len(names) != 1 {
			b.Fatal(names, err)
		}
	}
}

// BenchmarkSDKToolCall measures a whole tools/call through the SDK's
// stateless streamable handler (JSON responses), behind the guard with and
// without a requirement for the tool: the cost of reading the body for the
// per-tool check, relative to the SDK's own work.
func BenchmarkSDKToolCall(b *testing.B) {
	f := newFixture(b, fixtureConfig{})
	token := f.as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{scopeRead, scopeWrite}, Audience: []string{f.resource}})
	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"cancel_order","arguments":{"id":"42"}}}`
	for _, bc := range []struct {
		name  string
		tools map[string]scopes.Requirement
	}{
		{"no-tool-requirement", nil},
		{"tool-requirement", map[string]scopes.Requirement{"cancel_order": scopes.AllOf(scopeWrite)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			g, err := mcpguard.New(f.v, f.resource, &mcpguard.Config{Requirement: scopes.AllOf(scopeRead), Tools: bc.tools})
			if err != nil {
				b.Fatal(err)
			}
			server := newMCPServer(g)
			h := g.Protect(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
				&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true}))
			for b.Loop() {
				w := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodPost, f.resource, strings.NewReader(call))
				r.Header.Set("Authorization", "Bearer "+token)
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("Accept", "application/json, text/event-stream")
				r.Header.Set("Mcp-Protocol-Version", "2025-06-18")
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "cancel_order 42 by alice") {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
