package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/oauthtest"
)

func TestVerifyAccepted(t *testing.T) {
	as := newAS(t, nil)
	tok := as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"orders:read", "orders:write"}})
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"argument", "", verifyArgs(as, tok)},
		{"flags after the token", "", []string{"verify", tok, "--issuer", as.Issuer(), "--audience", oauthtest.DefaultAudience}},
		{"stdin", tok + "\n", verifyArgs(as)},
		{"stdin dash with Bearer prefix", "Bearer " + tok, verifyArgs(as, "-")},
		{"scope all-of", "", verifyArgs(as, "--scope", "orders:read,orders:write", tok)},
		{"scope any-of", "", verifyArgs(as, "--scope", "admin|orders:write", tok)},
		{"scope repeated", "", verifyArgs(as, "--scope", "orders:read", "--scope", "admin|orders:write", tok)},
		{"alg list", "", verifyArgs(as, "--alg", "ES256,RS256", tok)},
		{"jwks URL", "", verifyArgs(as, "--jwks", as.JWKSURL(), tok)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCmd(t, tc.stdin, tc.args...)
			if r.code != exitOK {
				t.Fatalf("verify = %v, want exit 0", r)
			}
			m := decodeJSON(t, r.stdout)
			if m["sub"] != "alice" || m["iss"] != as.Issuer() || m["scope"] != "orders:read orders:write" {
				t.Errorf("claims = %v, want sub alice, iss %s, scope \"orders:read orders:write\"", m, as.Issuer())
			}
			if aud, ok := m["aud"].([]any); !ok || len(aud) != 1 || aud[0] != oauthtest.DefaultAudience {
				t.Errorf("aud = %#v, want [%q] (always an array)", m["aud"], oauthtest.DefaultAudience)
			}
			if r.stderr != "" {
				t.Errorf("stderr = %q, want nothing", r.stderr)
			}
		})
	}
}

// refusalCase is a token the validator must refuse, and the words the
// refusal must contain.
type refusalCase struct {
	name  string
	token func(as *oauthtest.Server) string
	args  []string
	rule  rule
	words []string
}

func refusalCases() []refusalCase {
	tok := func(o oauthtest.TokenOptions) func(*oauthtest.Server) string {
		return func(as *oauthtest.Server) string { return as.Token(o) }
	}
	return []refusalCase{
		{name: "expired", token: tok(oauthtest.TokenOptions{Lifetime: -10 * time.Minute}), rule: ruleExp,
			words: []string{"invalid_token", "token expired", "the token expired 10m0s ago", "clock skew 30s"}},
		{name: "wrong audience", token: tok(oauthtest.TokenOptions{Audience: []string{"https://other.example"}}), rule: ruleAud,
			words: []string{"invalid_token", "audience not accepted", `audience ["https://other.example"] does not include an accepted audience ["https://api.example.test"]`}},
		{name: "unknown key", token: func(as *oauthtest.Server) string {
			kid := as.RotateKey("")
			tok := as.Token(oauthtest.TokenOptions{KeyID: kid})
			as.RemoveKey(kid)
			return tok
		}, rule: ruleKey, words: []string{"invalid_token", "unknown signing key", "no key with kid", "does not publish"}},
		{name: "other issuer", token: tok(oauthtest.TokenOptions{Claims: map[string]any{"iss": "https://evil.example"}}), rule: ruleIss,
			words: []string{"untrusted issuer", `issuer "https://evil.example" is not the trusted issuer`}},
		{name: "no issuer", token: tok(oauthtest.TokenOptions{Claims: map[string]any{"iss": nil}}), rule: ruleIss,
			words: []string{`no "iss" claim`}},
		{name: "tampered payload", token: func(as *oauthtest.Server) string {
			a := strings.Split(as.Token(oauthtest.TokenOptions{Subject: "alice"}), ".")
			b := strings.Split(as.Token(oauthtest.TokenOptions{Subject: "mallory"}), ".")
			return a[0] + "." + b[1] + "." + a[2]
		}, rule: ruleSignature, words: []string{"signature verification failed", "does not verify", "altered"}},
		{name: "typ JWT", token: tok(oauthtest.TokenOptions{Header: map[string]any{"typ": "JWT"}}), rule: ruleTyp,
			words: []string{"wrong token type", `"typ" header "JWT" is not accepted`, "--typ compat", `hint    this token's typ is "JWT"`, `received "JWT"`}},
		{name: "no typ", token: tok(oauthtest.TokenOptions{Header: map[string]any{"typ": nil}}), rule: ruleTyp,
			words: []string{`no "typ" header`}},
		{name: "alg none", token: tok(oauthtest.TokenOptions{Header: map[string]any{"alg": "none"}}), rule: ruleAlg,
			words: []string{"algorithm not allowed", `"none"`, "never accepted"}},
		{name: "HS256 not allowed", token: tok(oauthtest.TokenOptions{Header: map[string]any{"alg": "HS256"}}), rule: ruleAlg,
			words: []string{`algorithm "HS256" is not in the allowed list`}},
		{name: "crit", token: tok(oauthtest.TokenOptions{Header: map[string]any{"crit": []string{"exp"}}}), rule: ruleHeader,
			words: []string{"unsupported critical header", `"crit"`}},
		{name: "not yet valid", token: func(as *oauthtest.Server) string {
			return as.Token(oauthtest.TokenOptions{NotBefore: timeNow().Add(time.Hour)})
		}, rule: ruleNbf,
			words: []string{"token not yet valid", "not valid yet: nbf is", "(in 1h0m0s), clock skew 30s"}},
		{name: "issued in the future", token: func(as *oauthtest.Server) string {
			return as.Token(oauthtest.TokenOptions{IssuedAt: timeNow().Add(time.Hour)})
		}, rule: ruleIat,
			words: []string{"issued in the future: iat is", "(in 1h0m0s), clock skew 30s"}},
		{name: "no exp", token: tok(oauthtest.TokenOptions{Claims: map[string]any{"exp": nil}}), rule: ruleExp,
			words: []string{"required claim missing", `no "exp" claim`}},
		{name: "no aud", token: tok(oauthtest.TokenOptions{Claims: map[string]any{"aud": nil}}), rule: ruleAud,
			words: []string{`no "aud" claim`}},
		{name: "missing scope", token: tok(oauthtest.TokenOptions{Scopes: []string{"orders:read"}}), rule: ruleScope,
			args:  []string{"--scope", "orders:read,admin|support"},
			words: []string{"insufficient_scope", "HTTP 403", "[orders:read] do not satisfy --scope orders:read,admin|support", "it would need: orders:read admin"}},
		{name: "opaque without introspection", token: func(*oauthtest.Server) string { return "opaque-token-value" }, rule: ruleFormat,
			words: []string{"malformed token", "not a JWT", "no --introspect"}},
		{name: "JWE", token: func(*oauthtest.Server) string { return "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d" }, rule: ruleFormat,
			words: []string{"unsupported token format", "encrypted"}},
	}
}

func TestVerifyRefused(t *testing.T) {
	for _, tc := range refusalCases() {
		t.Run(tc.name, func(t *testing.T) {
			as := newAS(t, nil)
			tok := tc.token(as)
			r := runCmd(t, "", verifyArgs(as, append(tc.args, tok)...)...)
			if r.code != exitRefused {
				t.Fatalf("verify = %v, want exit 1", r)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing (the refusal goes to stderr)", r.stdout)
			}
			wantAll(t, "stderr", r.stderr, append(tc.words, "rule    "+string(tc.rule)+":")...)
			if strings.Contains(r.stderr, tok) {
				t.Errorf("stderr echoes the token:\n%s", r.stderr)
			}
		})
	}
}

func TestVerifyTypes(t *testing.T) {
	as := newAS(t, nil)
	jwtTyped := as.Token(oauthtest.TokenOptions{Header: map[string]any{"typ": "JWT"}})
	untyped := as.Token(oauthtest.TokenOptions{Header: map[string]any{"typ": nil}})
	for _, tc := range []struct {
		name  string
		token string
		typ   []string
		want  int
	}{
		{"compat accepts JWT", jwtTyped, []string{"--typ", "compat"}, exitOK},
		{"compat accepts untyped", untyped, []string{"--typ", "compat"}, exitOK},
		{"named JWT", jwtTyped, []string{"--typ", "JWT"}, exitOK},
		{"none accepts untyped", untyped, []string{"--typ", "none"}, exitOK},
		{"empty accepts untyped", untyped, []string{"--typ", ""}, exitOK},
		{"none refuses JWT", jwtTyped, []string{"--typ", "none"}, exitRefused},
		{"at+jwt refuses untyped", untyped, []string{"--typ", "at+jwt"}, exitRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCmd(t, "", verifyArgs(as, append(tc.typ, tc.token)...)...)
			if r.code != tc.want {
				t.Errorf("verify %v = %v, want exit %d", tc.typ, r, tc.want)
			}
		})
	}
}

func TestVerifySkew(t *testing.T) {
	as := newAS(t, nil)
	tok := as.Token(oauthtest.TokenOptions{Lifetime: -10 * time.Second}) // expired 10s ago
	if r := runCmd(t, "", verifyArgs(as, tok)...); r.code != exitOK {
		t.Errorf("verify (default skew 30s) = %v, want exit 0", r)
	}
	if r := runCmd(t, "", verifyArgs(as, "--skew", "0", tok)...); r.code != exitRefused || !strings.Contains(r.stderr, "clock skew 0s") {
		t.Errorf("verify --skew 0 = %v, want exit 1 naming clock skew 0s", r)
	}
	if r := runCmd(t, "", verifyArgs(as, "--skew", "5s", tok)...); r.code != exitRefused {
		t.Errorf("verify --skew 5s = %v, want exit 1", r)
	}
}

func TestVerifyJWKSFile(t *testing.T) {
	as := newAS(t, &oauthtest.Config{Algorithm: "EdDSA"})
	file := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(file, as.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	tok := as.Token(oauthtest.TokenOptions{Subject: "carol"})
	other := as.Token(oauthtest.TokenOptions{KeyID: as.RotateKey("ES256")}) // not in the file
	issuer := as.Issuer()
	as.Close() // the file is all there is: no network
	args := func(tok string) []string {
		return []string{"verify", "--issuer", issuer, "--audience", oauthtest.DefaultAudience, "--jwks", file, tok}
	}
	r := runCmd(t, "", args(tok)...)
	if r.code != exitOK || decodeJSON(t, r.stdout)["sub"] != "carol" {
		t.Errorf("verify --jwks file = %v, want exit 0 and sub carol", r)
	}
	r = runCmd(t, "", args(other)...)
	if r.code != exitRefused || !strings.Contains(r.stderr, "unknown signing key") {
		t.Errorf("verify --jwks file, key not in file = %v, want exit 1, unknown signing key", r)
	}
}

func TestVerifyUnavailable(t *testing.T) {
	as := newAS(t, nil)
	tok := as.Token(oauthtest.TokenOptions{})
	opaque := as.OpaqueToken(oauthtest.TokenOptions{})
	issuer, introspect := as.Issuer(), as.IntrospectionURL()
	as.Close()
	t.Setenv(secretEnv, testSecret)
	for _, tc := range []struct {
		name  string
		args  []string
		words []string
	}{
		{"discovery", []string{"--issuer", issuer, tok}, []string{"signing keys unavailable", "rule    key: the issuer's signing keys could not be fetched"}},
		{"introspection", []string{"--issuer", issuer, "--introspect", introspect, "--client-id", testClientID, opaque},
			[]string{"introspection failed", "rule    introspection: the introspection endpoint gave no usable answer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCmd(t, "", append([]string{"verify", "--audience", oauthtest.DefaultAudience, "--timeout", "5s"}, tc.args...)...)
			if r.code != exitUnavailable {
				t.Fatalf("verify against a closed server = %v, want exit 3", r)
			}
			wantAll(t, "stderr", r.stderr, append(tc.words, "authorization server is unavailable", "HTTP 503")...)
		})
	}
}

func TestVerifyIntrospect(t *testing.T) {
	as := newAS(t, nil)
	t.Setenv(secretEnv, testSecret)
	args := func(tok string, extra ...string) []string {
		return verifyArgs(as, append([]string{"--introspect", as.IntrospectionURL(), "--client-id", testClientID}, append(extra, tok)...)...)
	}
	opaque := as.OpaqueToken(oauthtest.TokenOptions{Subject: "bob", Scopes: []string{"orders:read"}})
	r := runCmd(t, "", args(opaque, "--scope", "orders:read")...)
	if r.code != exitOK {
		t.Fatalf("verify --introspect = %v, want exit 0", r)
	}
	if m := decodeJSON(t, r.stdout); m["sub"] != "bob" || m["active"] != true || m["token_type"] != "Bearer" {
		t.Errorf("claims = %v, want sub bob, active true, token_type Bearer", m)
	}
	jwt := as.Token(oauthtest.TokenOptions{Subject: "dave"})
	if r := runCmd(t, "", args(jwt)...); r.code != exitOK || decodeJSON(t, r.stdout)["sub"] != "dave" {
		t.Errorf("verify --introspect of a JWT without --jwks = %v, want exit 0, sub dave", r)
	}
	as.Revoke(opaque)
	r = runCmd(t, "", args(opaque)...)
	if r.code != exitRefused {
		t.Fatalf("verify --introspect of a revoked token = %v, want exit 1", r)
	}
	wantAll(t, "stderr", r.stderr, "token not active", "rule    introspection: the introspection endpoint answered active=false")
	other := as.OpaqueToken(oauthtest.TokenOptions{Audience: []string{"https://other.example"}})
	if r := runCmd(t, "", args(other)...); r.code != exitRefused || !strings.Contains(r.stderr, "rule    aud:") {
		t.Errorf("verify --introspect, other audience = %v, want exit 1, rule aud", r)
	}
}
