package main

import (
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/oauthtest"
)

// explainLines parses --explain output into rule → mark, in order, and
// returns the result line.
func explainLines(t *testing.T, out string) (order []string, marks map[string]string, texts map[string]string, result string) {
	t.Helper()
	marks, texts = map[string]string{}, map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "result: ") {
			result = strings.TrimPrefix(l, "result: ")
			continue
		}
		if strings.HasPrefix(l, "hint: ") {
			continue
		}
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case markPass, markFail, markSkip:
			order = append(order, f[1])
			marks[f[1]], texts[f[1]] = f[0], l
		default:
			t.Errorf("unexpected --explain line %q", l)
		}
	}
	return order, marks, texts, result
}

func TestExplain(t *testing.T) {
	jwsOrder := "request token size format header alg claims iss typ key signature exp nbf iat aud profile scope_claim role_claim validators scope"
	opaqueOrder := "request token size format introspection token_type exp nbf iat iss aud scope_claim role_claim validators scope"
	for _, tc := range []struct {
		name   string
		token  func(as *oauthtest.Server) string
		args   []string
		code   int
		order  string
		failed string   // "" when accepted
		words  []string // in the failed line, or the whole output when accepted; {now} is the pinned clock
	}{
		{name: "accepted", code: exitOK, order: jwsOrder,
			token: func(as *oauthtest.Server) string {
				return as.Token(oauthtest.TokenOptions{Scopes: []string{"orders:read"}, Header: map[string]any{"jwk": map[string]any{"kty": "oct"}}})
			},
			args:  []string{"--scope", "orders:read"},
			words: []string{`"typ":"at+jwt"`, "jwk ignored", "found: RSA 2048-bit", "RS256 signature verified", "exp           {now+1h} (in 1h0m0s)", "iat           {now} (now)", "granted [orders:read]; required: --scope orders:read", "result: accepted"}},
		{name: "expired", code: exitRefused, order: jwsOrder, failed: "exp",
			token: func(as *oauthtest.Server) string { return as.Token(oauthtest.TokenOptions{Lifetime: -2 * time.Hour}) },
			words: []string{"the token expired 2h0m0s ago"}},
		{name: "unknown key", code: exitRefused, order: jwsOrder, failed: "key",
			token: func(as *oauthtest.Server) string {
				kid := as.RotateKey("ES384")
				defer as.RemoveKey(kid)
				return as.Token(oauthtest.TokenOptions{KeyID: kid})
			},
			words: []string{"unknown signing key: no key with kid", "it holds \"" + "", "does not publish"}},
		{name: "other issuer", code: exitRefused, order: jwsOrder, failed: "iss",
			token: func(as *oauthtest.Server) string {
				return as.Token(oauthtest.TokenOptions{Claims: map[string]any{"iss": "https://evil.example"}})
			},
			words: []string{`"https://evil.example" is not the trusted issuer`}},
		{name: "missing scope", code: exitRefused, order: jwsOrder, failed: "scope",
			token: func(as *oauthtest.Server) string { return as.Token(oauthtest.TokenOptions{Scopes: []string{"a"}}) },
			args:  []string{"--scope", "b"},
			words: []string{"[a] do not satisfy --scope b; it would need: b"}},
		{name: "opaque accepted", code: exitOK, order: opaqueOrder,
			token: func(as *oauthtest.Server) string {
				return as.OpaqueToken(oauthtest.TokenOptions{Scopes: []string{"orders:read"}})
			},
			args:  []string{"--introspect", "INTROSPECT", "--client-id", testClientID},
			words: []string{"opaque token (not a JWT)", "active, says http://127.0.0.1", `"Bearer"`, "result: accepted"}},
		{name: "opaque without --introspect", code: exitRefused, order: opaqueOrder, failed: "format",
			token: func(*oauthtest.Server) string { return "opaque-token-value" },
			words: []string{"no --introspect endpoint is set"}},
		{name: "opaque revoked", code: exitRefused, order: opaqueOrder, failed: "introspection",
			token: func(as *oauthtest.Server) string {
				tok := as.OpaqueToken(oauthtest.TokenOptions{})
				as.Revoke(tok)
				return tok
			},
			args:  []string{"--introspect", "INTROSPECT", "--client-id", testClientID},
			words: []string{"active=false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			as := newAS(t, nil)
			t.Setenv(secretEnv, testSecret)
			args := append([]string{"--explain"}, tc.args...)
			for i, a := range args {
				if a == "INTROSPECT" {
					args[i] = as.IntrospectionURL()
				}
			}
			r := runCmd(t, "", verifyArgs(as, append(args, tc.token(as))...)...)
			if r.code != tc.code {
				t.Fatalf("verify --explain = %v, want exit %d", r, tc.code)
			}
			order, marks, texts, result := explainLines(t, r.stdout)
			if got := strings.Join(order, " "); got != tc.order {
				t.Errorf("checks = %q, want %q", got, tc.order)
			}
			seenFail := false
			for _, name := range order {
				want := markPass
				switch {
				case name == tc.failed:
					want, seenFail = markFail, true
				case seenFail:
					want = markSkip
				}
				if marks[name] != want {
					t.Errorf("check %s marked %s, want %s:\n%s", name, marks[name], want, r.stdout)
				}
			}
			where := r.stdout
			if tc.failed != "" {
				where = texts[tc.failed]
				if !strings.HasPrefix(result, "refused") || !strings.HasSuffix(result, "rule "+tc.failed) {
					t.Errorf("result = %q, want refused … rule %s", result, tc.failed)
				}
			}
			now := timeNow().UTC()
			times := strings.NewReplacer("{now}", now.Format(time.RFC3339), "{now+1h}", now.Add(time.Hour).Format(time.RFC3339))
			for _, w := range tc.words {
				wantAll(t, "--explain output", where, times.Replace(w))
			}
		})
	}
}

func TestExplainUnavailable(t *testing.T) {
	as := newAS(t, nil)
	tok := as.Token(oauthtest.TokenOptions{})
	as.SetFault(oauthtest.EndpointDiscovery, oauthtest.Fault{Status: 503})
	r := runCmd(t, "", verifyArgs(as, "--explain", tok)...)
	if r.code != exitUnavailable {
		t.Fatalf("verify --explain, discovery failing = %v, want exit 3", r)
	}
	_, marks, _, result := explainLines(t, r.stdout)
	if marks["key"] != markFail || marks["signature"] != markSkip || marks["typ"] != markPass {
		t.Errorf("marks = %v, want typ PASS, key FAIL, signature not reached", marks)
	}
	wantAll(t, "result", result, "not decided: the authorization server is unavailable", "HTTP 503")
}

// TestExplainHint: --explain ends with the core's hint for a refusal the
// configuration causes, with what it expected and received; other refusals
// have none.
func TestExplainHint(t *testing.T) {
	as := newAS(t, nil)
	for _, tc := range []struct {
		name  string
		token string
		hint  string // "" when no hint line is expected
	}{
		{"typ JWT", as.Token(oauthtest.TokenOptions{Header: map[string]any{"typ": "JWT"}}), `hint: this token's typ is "JWT", as Keycloak, Entra ID`},
		{"another audience", as.Token(oauthtest.TokenOptions{Audience: []string{"https://other.example.test"}}), `hint: the token was issued for another audience`},
		{"expired", as.Token(oauthtest.TokenOptions{Lifetime: -2 * time.Hour}), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCmd(t, "", verifyArgs(as, "--explain", tc.token)...)
			if r.code != exitRefused {
				t.Fatalf("verify --explain = %v, want exit %d", r, exitRefused)
			}
			got := strings.Contains(r.stdout, "\nhint: ")
			if tc.hint == "" && got || tc.hint != "" && !strings.Contains(r.stdout, tc.hint) {
				t.Errorf("output:\n%s\nwant hint %q", r.stdout, tc.hint)
			}
			if tc.hint != "" && !strings.Contains(r.stdout, "received ") {
				t.Errorf("hint without the received value:\n%s", r.stdout)
			}
		})
	}
}
