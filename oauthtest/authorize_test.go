package oauthtest

import (
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const redirectURI = "https://app.example.test/callback?tenant=t1"

// pkce returns a fresh code_verifier and its S256 code_challenge, computed
// here as RFC 7636 §4.2 says.
func pkce() (verifier, challenge string) {
	verifier = randomString(32)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, strings.TrimRight(b64(sum[:]), "=")
}

// authorize sends an authorization request without following the redirect.
func authorize(t *testing.T, s *Server, params url.Values) *http.Response {
	t.Helper()
	c := *s.Client() // a copy: the server's client is shared
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(s.AuthorizationURL() + "?" + params.Encode())
	if err != nil {
		t.Fatalf("GET authorize: %v", err)
	}
	resp.Body.Close()
	return resp
}

// redirected checks a 302 to redirectURI and returns its query.
func redirected(t *testing.T, s *Server, resp *http.Response) url.Values {
	t.Helper()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize: status %d Location %q, want 302", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if base := strings.SplitN(loc.String(), "?", 2)[0]; base != "https://app.example.test/callback" || q.Get("tenant") != "t1" {
		t.Errorf("redirect to %q, want the registered URI with its query kept", loc)
	}
	if q.Get("iss") != s.Issuer() {
		t.Errorf("redirect iss = %q, want %q (RFC 9207)", q.Get("iss"), s.Issuer())
	}
	return q
}

func authParams(clientID, challenge string, kv ...string) url.Values {
	p := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"xyz"},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			p.Del(kv[i])
		} else {
			p.Set(kv[i], kv[i+1])
		}
	}
	return p
}

func TestAuthorizationCodeFlow(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256", Clients: []Client{
		{ID: "spa", AuthMethod: AuthNone, Scopes: []string{"openid", "read"}, RedirectURIs: []string{redirectURI}},
		{ID: "web", Secret: "s", Scopes: []string{"read"}, RedirectURIs: []string{redirectURI}},
	}})
	v := validator(t, s)
	verifier, challenge := pkce()
	q := redirected(t, s, authorize(t, s, authParams("spa", challenge, "scope", "read", "login_hint", "carol")))
	code := q.Get("code")
	if code == "" || q.Get("state") != "xyz" {
		t.Fatalf("redirect query = %v, want a code and state xyz", q)
	}
	exchange := form("grant_type", "authorization_code", "code", code, "redirect_uri", redirectURI,
		"client_id", "spa", "code_verifier", verifier)
	r := postForm(t, s, s.TokenURL(), "", exchange)
	if r.status != 200 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("code exchange = %d %s, want 200 no-store", r.status, r.body)
	}
	tok := r.object(t)["access_token"].(string)
	c, err := validate(v, tok)
	if err != nil {
		t.Fatalf("Validate(token from code) = %v, want nil", err)
	}
	if c.Subject != "carol" || c.ClientID != "spa" || c.Scopes.String() != "read" {
		t.Errorf("claims sub=%q client_id=%q scope=%q, want carol spa read", c.Subject, c.ClientID, c.Scopes.String())
	}
	// A second redemption fails and revokes the first token.
	postForm(t, s, s.TokenURL(), "", exchange).wantError(t, 400, "invalid_grant")
	if got := s.Introspect(tok); got["active"] != false {
		t.Errorf("Introspect(token of a reused code) = %v, want inactive", got)
	}

	// A confidential client, default subject and scope, no state.
	verifier, challenge = pkce()
	q = redirected(t, s, authorize(t, s, authParams("web", challenge, "state", "")))
	if _, ok := q["state"]; ok {
		t.Errorf("redirect query = %v, want no state", q)
	}
	r = postForm(t, s, s.TokenURL(), basic("web", "s"), form("grant_type", "authorization_code",
		"code", q.Get("code"), "redirect_uri", redirectURI, "code_verifier", verifier))
	if r.status != 200 {
		t.Fatalf("code exchange (web) = %d %s, want 200", r.status, r.body)
	}
	if c, err := validate(v, r.object(t)["access_token"].(string)); err != nil || c.Subject != DefaultSubject || c.Scopes.String() != "read" {
		t.Errorf("Validate(web token) = %+v, %v; want subject %q scope read", c, err, DefaultSubject)
	}
}

func TestAuthorizationCodeRefusals(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	var clock time.Time
	s := newServer(t, &Config{Algorithm: "ES256", Now: func() time.Time { return clock }, Clients: []Client{
		{ID: "spa", AuthMethod: AuthNone, Scopes: []string{"read"}, RedirectURIs: []string{redirectURI}},
		{ID: "other", AuthMethod: AuthNone, Scopes: []string{"read"}, RedirectURIs: []string{redirectURI}},
	}})
	clock = now
	tests := []struct {
		name   string
		mutate func(f url.Values)
		after  time.Duration
		code   string
	}{
		{"wrong verifier", func(f url.Values) { f.Set("code_verifier", strings.Repeat("x", 43)) }, 0, "invalid_grant"},
		{"short verifier", func(f url.Values) { f.Set("code_verifier", f.Get("code_verifier")[:42]) }, 0, "invalid_grant"},
		{"no verifier", func(f url.Values) { f.Del("code_verifier") }, 0, "invalid_request"},
		{"other redirect_uri", func(f url.Values) { f.Set("redirect_uri", "https://app.example.test/callback") }, 0, "invalid_grant"},
		{"no redirect_uri", func(f url.Values) { f.Del("redirect_uri") }, 0, "invalid_grant"},
		{"other client", func(f url.Values) { f.Set("client_id", "other") }, 0, "invalid_grant"},
		{"expired code", func(url.Values) {}, AuthCodeLifetime, "invalid_grant"},
	}
	for _, tt := range tests { // sequential: the clock is shared
		verifier, challenge := pkce()
		clock = now
		code := redirected(t, s, authorize(t, s, authParams("spa", challenge))).Get("code")
		f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
			"client_id": {"spa"}, "code_verifier": {verifier}}
		tt.mutate(f)
		clock = now.Add(tt.after)
		r := postForm(t, s, s.TokenURL(), "", f.Encode())
		t.Run(tt.name, func(t *testing.T) { r.wantError(t, 400, tt.code) })
		if tt.code == "invalid_grant" && tt.after == 0 {
			// The failed attempt used the code up.
			f.Set("code_verifier", verifier)
			f.Set("redirect_uri", redirectURI)
			f.Set("client_id", "spa")
			clock = now
			t.Run(tt.name+" then good", func(t *testing.T) {
				postForm(t, s, s.TokenURL(), "", f.Encode()).wantError(t, 400, "invalid_grant")
			})
		}
	}
}

func TestAuthorizeRequestErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256", Clients: []Client{
		{ID: "spa", AuthMethod: AuthNone, Scopes: []string{"read"}, RedirectURIs: []string{redirectURI}},
	}})
	_, challenge := pkce()
	redirectErrors := []struct {
		name   string
		params url.Values
		code   string
	}{
		{"plain method", authParams("spa", challenge, "code_challenge_method", "plain"), "invalid_request"},
		{"no method", authParams("spa", challenge, "code_challenge_method", ""), "invalid_request"},
		{"no challenge", authParams("spa", "", "code_challenge", ""), "invalid_request"},
		{"short challenge", authParams("spa", challenge[:42]), "invalid_request"},
		{"implicit", authParams("spa", challenge, "response_type", "token"), "unsupported_response_type"},
		{"scope not allowed", authParams("spa", challenge, "scope", "read admin"), "invalid_scope"},
	}
	for _, tt := range redirectErrors {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := redirected(t, s, authorize(t, s, tt.params))
			if q.Get("error") != tt.code || q.Get("state") != "xyz" || q.Has("code") {
				t.Errorf("redirect query = %v, want error %q, state xyz, no code", q, tt.code)
			}
		})
	}
	noRedirect := map[string]url.Values{
		"unknown client":        authParams("nobody", challenge),
		"unregistered URI":      authParams("spa", challenge, "redirect_uri", "https://evil.test/cb"),
		"URI prefix only":       authParams("spa", challenge, "redirect_uri", "https://app.example.test/callback"),
		"no redirect_uri":       authParams("spa", challenge, "redirect_uri", ""),
		"repeated redirect_uri": {"client_id": {"spa"}, "redirect_uri": {redirectURI, redirectURI}},
	}
	for name, params := range noRedirect {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resp := authorize(t, s, params)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("status %d Location %q, want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}
