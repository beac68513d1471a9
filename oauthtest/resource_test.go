package oauthtest

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// audOf returns the "aud" claim of a JWT, decoded without verification.
func audOf(t *testing.T, tok string) any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	return c["aud"]
}

// TestResourceIndicators checks RFC 8707 at the token endpoint and through
// the authorization code flow: the resources a request names are the
// token's audience (one: a string, several: an array, repeated: once), none
// is Config.Audience, and a resource that is not an absolute URI without a
// fragment, or one the authorization request did not name, is
// invalid_target.
func TestResourceIndicators(t *testing.T) {
	t.Parallel()
	const apiA, apiB = "https://a.example.test/api", "https://b.example.test/mcp"
	s := newServer(t, &Config{Algorithm: "ES256", Clients: []Client{
		{ID: "svc", Secret: "s", Scopes: []string{"read"}},
		{ID: "spa", AuthMethod: AuthNone, Scopes: []string{"read"}, RedirectURIs: []string{redirectURI}},
	}})
	cc := func(resources ...string) response {
		f := url.Values{"grant_type": {"client_credentials"}, "resource": resources}
		return postForm(t, s, s.TokenURL(), basic("svc", "s"), f.Encode())
	}
	for _, tt := range []struct {
		name      string
		resources []string
		want      any
	}{
		{"none", nil, DefaultAudience},
		{"one", []string{apiA}, apiA},
		{"two", []string{apiA, apiB}, []any{apiA, apiB}},
		{"repeated", []string{apiA, apiA}, apiA},
		{"URN", []string{"urn:example:api"}, "urn:example:api"},
	} {
		r := cc(tt.resources...)
		if r.status != 200 {
			t.Fatalf("%s: token response %d %s", tt.name, r.status, r.body)
		}
		if got := audOf(t, r.object(t)["access_token"].(string)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: aud = %#v, want %#v", tt.name, got, tt.want)
		}
	}
	for _, bad := range []string{"/relative", "api", "https://a.example.test/api#frag", "https://a.example.test/api#", ""} {
		cc(apiA, bad).wantError(t, 400, "invalid_target")
	}

	// Authorization code: the authorization names both; the token request
	// may narrow them, never widen them.
	code := func(resources ...string) (code, verifier string) {
		verifier, challenge := pkce()
		p := authParams("spa", challenge)
		p["resource"] = resources
		q := redirected(t, s, authorize(t, s, p))
		if q.Get("code") == "" {
			t.Fatalf("authorization for %q: %v", resources, q)
		}
		return q.Get("code"), verifier
	}
	redeem := func(code, verifier string, resources ...string) response {
		f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
			"client_id": {"spa"}, "code_verifier": {verifier}, "resource": resources}
		return postForm(t, s, s.TokenURL(), "", f.Encode())
	}
	for _, tt := range []struct {
		name       string
		authorized []string
		requested  []string
		want       any // nil: invalid_target
	}{
		{"authorized ones", []string{apiA, apiB}, nil, []any{apiA, apiB}},
		{"narrowed", []string{apiA, apiB}, []string{apiB}, apiB},
		{"widened", []string{apiA}, []string{apiB}, nil},
		{"named at the token endpoint only", nil, []string{apiB}, apiB},
		{"none", nil, nil, DefaultAudience},
	} {
		c, v := code(tt.authorized...)
		r := redeem(c, v, tt.requested...)
		if tt.want == nil {
			t.Run(tt.name, func(t *testing.T) { r.wantError(t, 400, "invalid_target") })
			continue
		}
		if r.status != 200 {
			t.Fatalf("%s: token response %d %s", tt.name, r.status, r.body)
		}
		if got := audOf(t, r.object(t)["access_token"].(string)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: aud = %#v, want %#v", tt.name, got, tt.want)
		}
	}
	_, challenge := pkce()
	p := authParams("spa", challenge)
	p["resource"] = []string{apiA, "not a URI"}
	if q := redirected(t, s, authorize(t, s, p)); q.Get("error") != "invalid_target" || q.Has("code") {
		t.Errorf("authorization with a bad resource: %v, want error invalid_target and no code", q)
	}
}
