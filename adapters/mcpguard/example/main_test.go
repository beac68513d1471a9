package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// bearer is an http.RoundTripper that sends a fixed token and records the
// status and challenge of every answer.
type bearer struct {
	token string
	mu    sync.Mutex
	seen  []string // "status challenge"
}

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		b.mu.Lock()
		b.seen = append(b.seen, resp.Status+" "+resp.Header.Get("WWW-Authenticate"))
		b.mu.Unlock()
	}
	return resp, err
}

// TestExample runs the example server behind a real listener with the
// SDK's client, as the package comment suggests: no token is 401 with
// resource_metadata, the metadata names the issuer, a token with
// orders:read lists the tools and calls list_orders, and cancel_order,
// which needs orders:write, is refused 403 until the token has it.
func TestExample(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	resource := "http://" + srv.Listener.Addr().String() + "/mcp"
	as := oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256", Audience: resource})
	defer as.Close()
	keys, err := jwks.NewRemote(context.Background(), as.Issuer(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	h, err := newHandler(as.Issuer(), resource, keys)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", h)
	srv.Start()
	defer srv.Close()

	mdURL := srv.URL + "/.well-known/oauth-protected-resource/mcp"
	resp, err := http.Post(resource, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := `Bearer realm="api", scope="orders:read", resource_metadata="` + mdURL + `"`; resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != want {
		t.Fatalf("no token: %d %q, want 401 %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}
	resp, err = http.Get(mdURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var md struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
		ScopesSupported      []string `json:"scopes_supported"`
	}
	if err := json.Unmarshal(body, &md); err != nil || md.Resource != resource ||
		!slices.Equal(md.AuthorizationServers, []string{as.Issuer()}) || len(md.ScopesSupported) != 2 {
		t.Fatalf("metadata %s: %+v, %v", body, md, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var sessions []*mcp.ClientSession // closed before the server, which waits for their streams
	defer func() {
		for _, s := range sessions {
			s.Close()
		}
	}()
	connect := func(scope ...string) (*mcp.ClientSession, *bearer) {
		b := &bearer{token: as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: scope})}
		s, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx,
			&mcp.StreamableClientTransport{Endpoint: resource, HTTPClient: &http.Client{Transport: b}, MaxRetries: -1}, nil)
		if err != nil {
			t.Fatalf("Connect: %v", err)
		}
		sessions = append(sessions, s)
		return s, b
	}
	read, rec := connect("orders:read")
	tools, err := read.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 2 {
		t.Fatalf("ListTools = %+v, %v", tools, err)
	}
	res, err := read.CallTool(ctx, &mcp.CallToolParams{Name: "list_orders", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("list_orders = %+v, %v", res, err)
	}
	if got, _ := json.Marshal(res.StructuredContent); string(got) != `{"orders":["7","42"],"owner":"alice"}` {
		t.Errorf("list_orders = %s", got)
	}
	if _, err := read.CallTool(ctx, &mcp.CallToolParams{Name: "cancel_order", Arguments: map[string]any{"id": "42"}}); err == nil {
		t.Fatal("cancel_order with orders:read succeeded")
	}
	want := `403 Forbidden Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:read orders:write", resource_metadata="` + mdURL + `"`
	if rec.mu.Lock(); !slices.Contains(rec.seen, want) {
		t.Errorf("answers %q, want one %q", rec.seen, want)
	}
	rec.mu.Unlock()

	write, _ := connect("orders:read", "orders:write")
	res, err = write.CallTool(ctx, &mcp.CallToolParams{Name: "cancel_order", Arguments: map[string]any{"id": "42"}})
	if err != nil || res.IsError {
		t.Fatalf("cancel_order with orders:write = %+v, %v", res, err)
	}
	if got, _ := json.Marshal(res.StructuredContent); string(got) != `{"orders":["7"],"owner":"alice"}` {
		t.Errorf("cancel_order = %s", got)
	}
}
