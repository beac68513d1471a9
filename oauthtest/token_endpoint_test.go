package oauthtest

import (
	"net/http"
	"strings"
	"testing"
)

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256", Clients: []Client{
		{ID: "svc", Secret: "p@ss:word", Scopes: []string{"read", "write", "admin"}},
		{ID: "opaque", Secret: "s", Scopes: []string{"read"}, OpaqueTokens: true, AuthMethod: AuthClientSecretPost},
		{ID: "pub", AuthMethod: AuthNone, Scopes: []string{"read"}},
		{ID: "rs", AuthMethod: AuthBearer, BearerToken: "t"},
	}})
	v := validator(t, s)
	tests := []struct {
		name, scope string
		want        string // granted scope
	}{
		{"subset", "read write", "read write"},
		{"one", "admin", "admin"},
		{"default is all allowed", "", "read write admin"},
		{"duplicates collapse", "read read", "read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := postForm(t, s, s.TokenURL(), basic("svc", "p@ss:word"), form("grant_type", "client_credentials", "scope", tt.scope))
			if r.status != 200 || r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
				t.Fatalf("token response = %d Cache-Control %q Pragma %q (%s), want 200 no-store no-cache",
					r.status, r.header.Get("Cache-Control"), r.header.Get("Pragma"), r.body)
			}
			resp := r.object(t)
			if resp["token_type"] != "Bearer" || resp["expires_in"] != float64(3600) || resp["scope"] != tt.want {
				t.Errorf("token response = %v, want Bearer, 3600s, scope %q", resp, tt.want)
			}
			c, err := validate(v, resp["access_token"].(string))
			if err != nil {
				t.Fatalf("Validate(issued token) = %v, want nil", err)
			}
			if c.Subject != "svc" || c.ClientID != "svc" || c.Scopes.String() != tt.want {
				t.Errorf("claims sub=%q client_id=%q scope=%q, want svc svc %q", c.Subject, c.ClientID, c.Scopes.String(), tt.want)
			}
		})
	}

	t.Run("opaque", func(t *testing.T) {
		t.Parallel()
		r := postForm(t, s, s.TokenURL(), "", form("grant_type", "client_credentials", "client_id", "opaque", "client_secret", "s"))
		tok, _ := r.object(t)["access_token"].(string)
		if r.status != 200 || tok == "" || strings.Count(tok, ".") != 0 {
			t.Fatalf("token response = %d %s, want an opaque token", r.status, r.body)
		}
		if got := s.Introspect(tok); got["active"] != true || got["client_id"] != "opaque" || got["scope"] != "read" {
			t.Errorf("Introspect(issued opaque token) = %v, want active, client opaque, scope read", got)
		}
	})
}

func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256", Clients: []Client{
		{ID: "svc", Secret: "s", Scopes: []string{"read"}},
		{ID: "pub", AuthMethod: AuthNone, Scopes: []string{"read"}},
		{ID: "rs", AuthMethod: AuthBearer, BearerToken: "t"},
	}})
	tests := []struct {
		name, auth, form string
		status           int
		code             string
	}{
		{"scope not allowed", basic("svc", "s"), form("grant_type", "client_credentials", "scope", "read write"), 400, "invalid_scope"},
		{"malformed scope", basic("svc", "s"), form("grant_type", "client_credentials", "scope", "read  write"), 400, "invalid_scope"},
		{"wrong secret", basic("svc", "x"), form("grant_type", "client_credentials"), 401, "invalid_client"},
		{"no client", "", form("grant_type", "client_credentials"), 401, "invalid_client"},
		{"public client", "", form("grant_type", "client_credentials", "client_id", "pub"), 400, "unauthorized_client"},
		{"bearer client", "Bearer t", form("grant_type", "client_credentials"), 401, "invalid_client"},
		{"missing grant_type", basic("svc", "s"), form("scope", "read"), 400, "invalid_request"},
		{"unsupported grant", basic("svc", "s"), form("grant_type", "password", "username", "u", "password", "p"), 400, "unsupported_grant_type"},
		{"repeated parameter", basic("svc", "s"), "grant_type=client_credentials&grant_type=client_credentials", 400, "invalid_request"},
		{"code missing", basic("svc", "s"), form("grant_type", "authorization_code", "code_verifier", strings.Repeat("a", 43)), 400, "invalid_request"},
		{"unknown code", basic("svc", "s"), form("grant_type", "authorization_code", "code", "x", "code_verifier", strings.Repeat("a", 43)), 400, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			postForm(t, s, s.TokenURL(), tt.auth, tt.form).wantError(t, tt.status, tt.code)
		})
	}
	if status, _, _ := get(t, s, s.TokenURL()); status != http.StatusMethodNotAllowed {
		t.Errorf("GET token endpoint: status %d, want 405", status)
	}
	big := "grant_type=client_credentials&scope=" + strings.Repeat("a", maxFormSize)
	postForm(t, s, s.TokenURL(), basic("svc", "s"), big).wantError(t, 400, "invalid_request")
}
