package mcpguard_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rsguard/rsguard/adapters/mcpguard"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// stub is the handler behind the guard in the HTTP-level tests: it answers
// the subject of the claims, the SDK TokenInfo's UserID, and a hash of the
// body it received.
var stub = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := middleware.FromContext(r.Context())
	ti := auth.TokenInfoFromContext(r.Context())
	if !ok || ti == nil {
		http.Error(w, "no claims", http.StatusInternalServerError)
		return
	}
	body, _ := io.ReadAll(r.Body)
	sum := sha256.Sum256(body)
	io.WriteString(w, c.Subject+"|"+ti.UserID+"|"+hex.EncodeToString(sum[:4]))
})

func bodyHash(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:4])
}

// post sends method target with a bearer token (none when "") and body.
func post(t *testing.T, url, token, body string) (*http.Response, string) {
	t.Helper()
	method := http.MethodPost
	if body == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if dpop, ok := strings.CutPrefix(token, "dpop:"); ok {
		req.Header.Set("Authorization", "DPoP "+dpop)
	} else if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// guarded serves stub behind a guard for f's resource with cfg.
func guarded(t *testing.T, f *fixture, cfg *mcpguard.Config) string {
	t.Helper()
	g, err := mcpguard.New(f.v, f.resource, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Protect(stub))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestAudience checks RFC 8707 audience binding: the validator accepts
// several audiences, the guard only the resource (and, when allowed, its
// trailing-slash twin).
func TestAudience(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	exact := guarded(t, f, nil)
	slash := guarded(t, f, &mcpguard.Config{AllowAudienceTrailingSlash: true})
	mdURL := strings.Replace(f.resource, "/mcp", "/.well-known/oauth-protected-resource/mcp", 1)
	tok := func(aud ...string) string {
		return f.as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{scopeRead}, Audience: aud})
	}
	refused := `Bearer realm="api", error="invalid_token", error_description="audience not accepted", resource_metadata="` + mdURL + `"`
	tests := []struct {
		name, url, token string
		status           int
		challenge        string
	}{
		{"exact", exact, tok(f.resource), 200, ""},
		{"among several", exact, tok("https://other.example.test", f.resource), 200, ""},
		{"trailing slash refused", exact, tok(f.resource + "/"), 401, refused},
		{"trailing slash allowed", slash, tok(f.resource + "/"), 200, ""},
		{"exact with option", slash, tok(f.resource), 200, ""},
		{"validator's other audience", exact, tok(oauthtest.DefaultAudience), 401, refused},
		{"validator's other audience with option", slash, tok(oauthtest.DefaultAudience), 401, refused},
		{"no token", exact, "", 401, `Bearer realm="api", resource_metadata="` + mdURL + `"`},
		{"DPoP scheme", exact, "dpop:" + tok(f.resource), 401,
			`Bearer realm="api", error="invalid_token", error_description="token is not DPoP-bound", resource_metadata="` + mdURL + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, tt.url, tt.token, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
			if resp.StatusCode != tt.status || resp.Header.Get("WWW-Authenticate") != tt.challenge {
				t.Errorf("status %d, challenge %q, want %d, %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), tt.status, tt.challenge)
			}
			if tt.status == 200 && !strings.HasPrefix(body, "alice|"+f.as.Issuer()+" alice|") {
				t.Errorf("body %q, want the claims and the SDK TokenInfo", body)
			}
		})
	}
}

// TestToolRequirements checks the per-tool requirements at the HTTP layer,
// and that the body reaches the handler unchanged.
func TestToolRequirements(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	url := guarded(t, f, &mcpguard.Config{
		Requirement: scopes.AllOf(scopeRead),
		Tools:       map[string]scopes.Requirement{"cancel_order": scopes.AllOf(scopeWrite), "purge_orders": scopes.AllOf(scopeAdmin)},
		MaxBodySize: 512,
	})
	read := f.as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{scopeRead}, Audience: []string{f.resource}})
	write := f.as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{scopeRead, scopeWrite}, Audience: []string{f.resource}})
	mdURL := strings.Replace(f.resource, "/mcp", "/.well-known/oauth-protected-resource/mcp", 1)
	insufficient := func(scope string) string {
		return `Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="` +
			scope + `", resource_metadata="` + mdURL + `"`
	}
	call := func(name string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + name + `","arguments":{}}}`
	}
	tests := []struct {
		name, token, body string
		status            int
		challenge         string
	}{
		{"untracked tool", read, call("whoami"), 200, ""},
		{"tool needing write, read token", read, call("cancel_order"), 403, insufficient(scopeRead + " " + scopeWrite)},
		{"tool needing write, write token", write, call("cancel_order"), 200, ""},
		{"tool needing admin", write, call("purge_orders"), 403, insufficient(scopeRead + " " + scopeAdmin)},
		{"other method", read, `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"name":"cancel_order"}}`, 200, ""},
		{"batch", read, "[" + call("whoami") + "," + call("cancel_order") + "]", 403, insufficient(scopeRead + " " + scopeWrite)},
		{"batch of two", write, "[" + call("cancel_order") + "," + call("purge_orders") + "]", 403, insufficient(scopeRead + " " + scopeWrite + " " + scopeAdmin)},
		{"escaped key", read, `{"jsonrpc":"2.0","id":1,"\u006dethod":"tools/call","params":{"n\u0061me":"cancel_order"}}`, 403, insufficient(scopeRead + " " + scopeWrite)},
		{"repeated name", read, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"cancel_order","name":"whoami"}}`, 400, ""},
		{"case-variant name", read, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"Name":"cancel_order","name":"whoami"}}`, 400, ""},
		{"case-variant method", read, `{"jsonrpc":"2.0","id":1,"Method":"tools/call","method":"tools/list","params":{"name":"cancel_order"}}`, 400, ""},
		{"repeated params", read, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"cancel_order"},"params":{"name":"whoami"}}`, 400, ""},
		{"not JSON, left to the SDK", read, `{"method":"tools/call",`, 200, ""},
		{"too large", write, call("whoami") + strings.Repeat(" ", 512), 413, ""},
		{"too large, no token: 401 first", "", call("whoami") + strings.Repeat(" ", 512), 401, `Bearer realm="api", scope="` + scopeRead + `", resource_metadata="` + mdURL + `"`},
		{"get", read, "", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, url, tt.token, tt.body)
			if resp.StatusCode != tt.status || resp.Header.Get("WWW-Authenticate") != tt.challenge {
				t.Fatalf("status %d, challenge %q, body %q; want %d, %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body, tt.status, tt.challenge)
			}
			if tt.status == 200 && !strings.HasSuffix(body, "|"+bodyHash(tt.body)) {
				t.Errorf("handler got another body: %q, want hash %s", body, bodyHash(tt.body))
			}
		})
	}
}

// TestSessionBoundToUser checks that the SDK's TokenInfo.UserID, set from
// the verified issuer and subject, keeps another user out of a session.
func TestSessionBoundToUser(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	tok := func(sub string) string {
		return f.as.Token(oauthtest.TokenOptions{Subject: sub, Scopes: []string{scopeRead}, Audience: []string{f.resource}})
	}
	send := func(token, session, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, f.resource, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	resp := send(tok("alice"), "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	id := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || id == "" {
		t.Fatalf("initialize = %d, session %q", resp.StatusCode, id)
	}
	list := `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`
	if resp := send(tok("bob"), id, list); resp.StatusCode != http.StatusForbidden {
		t.Errorf("bob in alice's session = %d, want 403", resp.StatusCode)
	}
	if resp := send(tok("alice"), id, list); resp.StatusCode != 200 {
		t.Errorf("alice in her session = %d, want 200", resp.StatusCode)
	}
}

// TestToolMiddleware checks the in-SDK check of tool requirements, for a
// server reached without the HTTP guard (in-memory transport): no claims, so
// every tool with a requirement is refused with CodeInsufficientScope.
func TestToolMiddleware(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := newMCPServer(f.guard).Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	for _, name := range []string{"whoami", "cancel_order", "purge_orders"} {
		_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: map[string]any{}})
		var je *jsonrpc.Error
		if !errors.As(err, &je) || je.Code != mcpguard.CodeInsufficientScope || !strings.Contains(je.Message, name) {
			t.Errorf("CallTool(%s) without claims: err = %v, want code %d", name, err, mcpguard.CodeInsufficientScope)
		}
	}
}

// TestNewRefused checks the configuration errors of New.
func TestNewRefused(t *testing.T) {
	f := newFixture(t, fixtureConfig{})
	for name, tt := range map[string]struct {
		resource string
		cfg      *mcpguard.Config
	}{
		"http off loopback":  {"http://mcp.example.com/mcp", nil},
		"fragment":           {f.resource + "#x", nil},
		"metadata resource":  {f.resource, &mcpguard.Config{Metadata: &middleware.ResourceMetadata{Resource: "https://other.example/mcp"}}},
		"nil tool":           {f.resource, &mcpguard.Config{Tools: map[string]scopes.Requirement{"x": nil}}},
		"negative body size": {f.resource, &mcpguard.Config{MaxBodySize: -1}},
	} {
		if _, err := mcpguard.New(f.v, tt.resource, tt.cfg); err == nil {
			t.Errorf("%s: New succeeded, want an error", name)
		}
	}
}

// TestCalledTools checks the tools/call reader on its own.
func TestCalledTools(t *testing.T) {
	tests := []struct {
		body    string
		want    []string
		wantErr bool
	}{
		{`{"method":"tools/call","params":{"name":"a"}}`, []string{"a"}, false},
		{` [{"method":"tools/call","params":{"name":"a"}},{"method":"ping"},{"method":"tools/call","params":{"name":"b"}}]`, []string{"a", "b"}, false},
		{`{"params":{"name":"a"},"method":"tools/call"}`, []string{"a"}, false},
		{`{"method":"tools/list","params":{"name":"a"}}`, nil, false},
		{`{"method":"tools/call","params":{"name":7}}`, nil, false},
		{`{"method":"tools/call"}`, []string{""}, false},
		{`{"method":"tools/call","params":{}}`, []string{""}, false},
		{`{"method":"tools/call","params":[]}`, []string{""}, false},
		{`[1,"x",null]`, nil, false},
		{`not json`, nil, false},
		{``, nil, false},
		{`{"method":"tools/call","params":{"name":"a"}} trailing`, []string{"a"}, false},
		{`{"method":"tools/call","params":{"name":"a","NAME":"b"}}`, nil, true},
		{`{"method":"tools/call","METHOD":"x","params":{"name":"a"}}`, nil, true},
		{`[{"method":"tools/call","params":{"name":"a","name":"b"}}]`, nil, true},
		{`{"method":"tools/call","params":{"name":"\u00e9"}}`, []string{"é"}, false},
		{`{"method":"tools\/call","params":{"name":"a"}}`, []string{"a"}, false},
		{`{"method":"\u0074ools/call","params":{"name":"a"}}`, []string{"a"}, false},
		{`{"method":"tools/list","params":{"name":"a"}}`, nil, false},
	}
	for _, tt := range tests {
		got, err := mcpguard.CalledTools([]byte(tt.body))
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("CalledTools(%s) = %q, %v; want %q, error %v", tt.body, got, err, tt.want, tt.wantErr)
		}
	}
}

// FuzzCalledTools checks CalledTools against the SDK's own decoding: when
// the SDK decodes a body into a tools/call request whose params name a tool,
// CalledTools names the same tool or refuses the body; it never panics.
func FuzzCalledTools(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"Name":"a","name":"b"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":"b"}}`,
		`{"jsonrpc":"2.0","id":1,"\u006dethod":"tools/call","params":{"name":"a"}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"}}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		names, err := mcpguard.CalledTools(body)
		msg, derr := jsonrpc.DecodeMessage(body)
		if derr != nil || err != nil {
			return
		}
		req, ok := msg.(*jsonrpc.Request)
		if !ok || req.Method != "tools/call" {
			return
		}
		var p mcp.CallToolParamsRaw
		if json.Unmarshal(req.Params, &p) != nil {
			return
		}
		if len(names) != 1 || names[0] != p.Name {
			t.Fatalf("CalledTools(%s) = %q, but the SDK decodes a call of %q", body, names, p.Name)
		}
	})
}
