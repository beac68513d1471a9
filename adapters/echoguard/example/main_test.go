package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// TestAPI sends the requests the package comment suggests, and their
// refusals, to the example API behind a real server.
func TestAPI(t *testing.T) {
	as := oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256"})
	defer as.Close()
	keys, err := jwks.NewRemote(context.Background(), as.Issuer(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	e, err := newAPI(as.Issuer(), oauthtest.DefaultAudience, keys)
	if err != nil {
		t.Fatalf("newAPI = %v", err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()

	token := func(o oauthtest.TokenOptions) string { o.Subject = "alice"; return as.Token(o) }
	read := token(oauthtest.TokenOptions{Scopes: []string{"orders:read"}})
	write := token(oauthtest.TokenOptions{Scopes: []string{"orders:write"}})
	expired := token(oauthtest.TokenOptions{Scopes: []string{"orders:read"}, Lifetime: -time.Hour})
	for _, tc := range []struct {
		name, method, path, token string
		want                      int
		challenge                 string
	}{
		{"health_is_public", "GET", "/healthz", "", 200, ""},
		{"read", "GET", "/api/orders", read, 200, ""},
		{"no_token", "GET", "/api/orders", "", 401, `Bearer realm="api"`},
		{"expired", "GET", "/api/orders", expired, 401, `Bearer realm="api", error="invalid_token", error_description="token expired"`},
		{"missing_scope", "GET", "/api/orders", write, 403,
			`Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:read"`},
		{"delete_needs_write", "DELETE", "/api/orders/7", read, 403,
			`Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:write"`},
		{"delete", "DELETE", "/api/orders/7", write, 204, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, challenge, body := do(t, tc.method, srv.URL+tc.path, tc.token)
			if status != tc.want || challenge != tc.challenge {
				t.Fatalf("%s %s = %d %q, want %d %q", tc.method, tc.path, status, challenge, tc.want, tc.challenge)
			}
			if tc.name == "read" {
				var got struct{ Owner string }
				if err := json.Unmarshal(body, &got); err != nil || got.Owner != "alice" {
					t.Errorf("GET /api/orders body = %s, want owner alice", body)
				}
			}
		})
	}
}

// do sends a request with an optional bearer token and returns the status,
// the WWW-Authenticate header and the body.
func do(t *testing.T, method, url, token string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body
}
