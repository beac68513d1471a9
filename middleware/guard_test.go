package middleware_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/scopes"
)

// TestResponsesGolden checks every answer of the guard byte for byte, through
// a real server and client, against testdata/golden (go test -update rewrites).
func TestResponsesGolden(t *testing.T) {
	f := newHTFixture(t)
	down := newHTFixtureKeys(t, htDownKeys{}, htAudience)
	good := f.token(t, "orders:read", nil)
	expired := f.token(t, "orders:read", map[string]any{"exp": htNow.Add(-time.Hour).Unix()})
	// The last four characters replaced, by other ones whatever the random
	// ES256 signature was.
	tampered := good[:len(good)-4] + "AAAA"
	if tampered == good {
		tampered = good[:len(good)-4] + "BAAA"
	}
	foreign := f.token(t, "orders:read", map[string]any{"aud": "https://other.example.test"})
	req := scopes.All(scopes.AllOf("orders:read"), scopes.AnyOf("admin", "orders:write"))

	plain := htServe(t, htGuard(t, f.v, nil).Require(req, htEcho))
	query := htServe(t, htGuard(t, f.v, &middleware.GuardConfig{AllowQueryToken: true}).Require(req, htEcho))
	problem := htServe(t, htGuard(t, f.v, &middleware.GuardConfig{ErrorHandler: middleware.ProblemDetails}).Require(req, htEcho))
	realm := htServe(t, htGuard(t, f.v, &middleware.GuardConfig{Realm: `orders "v1" \ eu`}).Require(req, htEcho))
	unavailable := htServe(t, htGuard(t, down.v, nil).Protect(htEcho))
	unavailableProblem := htServe(t, htGuard(t, down.v, &middleware.GuardConfig{
		ErrorHandler: middleware.ProblemDetails, RetryAfter: 1500 * time.Millisecond,
	}).Protect(htEcho))
	admin := f.token(t, "orders:read admin", nil)
	withMetadata := htServe(t, htGuard(t, f.v, &middleware.GuardConfig{
		Metadata: &middleware.ResourceMetadata{Resource: htAudience + "/orders"},
	}).Require(req, htEcho))
	withMetadataProblem := htServe(t, htGuard(t, f.v, &middleware.GuardConfig{
		ErrorHandler: middleware.ProblemDetails, Metadata: &middleware.ResourceMetadata{Resource: htAudience},
	}).Require(req, htEcho))
	withMetadataDown := htServe(t, htGuard(t, down.v, &middleware.GuardConfig{
		Metadata: &middleware.ResourceMetadata{Resource: htAudience},
	}).Protect(htEcho))

	tests := []struct {
		name   string
		srv    func() string // server URL; evaluated in the subtest
		target string
		header []string
		status int
	}{
		{"ok", func() string { return plain.URL }, "/", []string{"Authorization", "Bearer " + admin}, 200},
		{"missing_token", func() string { return plain.URL }, "/", nil, 401},
		{"other_scheme", func() string { return plain.URL }, "/", []string{"Authorization", "Basic YWxpY2U6c2VjcmV0"}, 401},
		{"scheme_case_insensitive", func() string { return plain.URL }, "/", []string{"Authorization", "bEARER " + admin}, 200},
		{"expired", func() string { return plain.URL }, "/", []string{"Authorization", "Bearer " + expired}, 401},
		{"bad_signature", func() string { return plain.URL }, "/", []string{"Authorization", "Bearer " + tampered}, 401},
		{"wrong_audience", func() string { return plain.URL }, "/", []string{"Authorization", "Bearer " + foreign}, 401},
		{"insufficient_scope", func() string { return plain.URL }, "/", []string{"Authorization", "Bearer " + good}, 403},
		{"malformed_header", func() string { return plain.URL }, "/", []string{"Authorization", "Bearer two tokens"}, 400},
		{"bearer_without_token", func() string { return plain.URL }, "/", []string{"Authorization", "Bearer"}, 400},
		{"two_authorization_headers", func() string { return plain.URL }, "/", []string{"Authorization", "Bearer " + good, "Authorization", "Bearer " + good}, 400},
		{"query_token_ignored", func() string { return plain.URL }, "/?access_token=" + admin, nil, 401},
		{"query_token", func() string { return query.URL }, "/?access_token=" + admin, nil, 200},
		{"header_and_query_token", func() string { return query.URL }, "/?access_token=" + admin, []string{"Authorization", "Bearer " + admin}, 400},
		{"problem_insufficient_scope", func() string { return problem.URL }, "/", []string{"Authorization", "Bearer " + good}, 403},
		{"problem_expired", func() string { return problem.URL }, "/", []string{"Authorization", "Bearer " + expired}, 401},
		{"problem_missing_token", func() string { return problem.URL }, "/", nil, 401},
		{"realm_escaped", func() string { return realm.URL }, "/", []string{"Authorization", "Bearer " + expired}, 401},
		{"unavailable", func() string { return unavailable.URL }, "/", []string{"Authorization", "Bearer " + good}, 503},
		{"unavailable_problem", func() string { return unavailableProblem.URL }, "/", []string{"Authorization", "Bearer " + good}, 503},
		// RFC 9728 §5.1: resource_metadata in every 401 and 403 challenge.
		{"metadata_missing_token", func() string { return withMetadata.URL }, "/", nil, 401},
		{"metadata_other_scheme", func() string { return withMetadata.URL }, "/", []string{"Authorization", "Basic YWxpY2U6c2VjcmV0"}, 401},
		{"metadata_expired", func() string { return withMetadata.URL }, "/", []string{"Authorization", "Bearer " + expired}, 401},
		{"metadata_insufficient_scope", func() string { return withMetadata.URL }, "/", []string{"Authorization", "Bearer " + good}, 403},
		{"metadata_malformed_header", func() string { return withMetadata.URL }, "/", []string{"Authorization", "Bearer two tokens"}, 400},
		{"metadata_ok", func() string { return withMetadata.URL }, "/", []string{"Authorization", "Bearer " + admin}, 200},
		{"metadata_problem_insufficient_scope", func() string { return withMetadataProblem.URL }, "/", []string{"Authorization", "Bearer " + good}, 403},
		{"metadata_unavailable", func() string { return withMetadataDown.URL }, "/", []string{"Authorization", "Bearer " + good}, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", tt.srv()+tt.target, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i+1 < len(tt.header); i += 2 {
				req.Header.Add(tt.header[i], tt.header[i+1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("GET %s: status = %d, want %d", tt.name, resp.StatusCode, tt.status)
			}
			checkAnswerInvariants(t, resp)
			htGolden(t, tt.name+".http", htDump(resp, string(body)))
		})
	}
}

// checkAnswerInvariants checks what every answer must satisfy, golden or not.
func checkAnswerInvariants(t *testing.T, resp *http.Response) {
	t.Helper()
	chal := resp.Header.Values("WWW-Authenticate")
	switch resp.StatusCode {
	case 200:
		if len(chal) != 0 {
			t.Errorf("200 with WWW-Authenticate %q", chal)
		}
		return
	case 401, 403, 400:
		if len(chal) != 1 || !strings.HasPrefix(chal[0], "Bearer ") {
			t.Errorf("%d: WWW-Authenticate = %q, want one Bearer challenge", resp.StatusCode, chal)
		}
	case 503:
		if len(chal) != 0 {
			t.Errorf("503 with WWW-Authenticate %q, want none", chal)
		}
		if resp.Header.Get("Retry-After") == "" {
			t.Errorf("503 without Retry-After")
		}
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("%d: Cache-Control = %q, want no-store", resp.StatusCode, got)
	}
	for _, v := range chal {
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] > 0x7e {
				t.Errorf("WWW-Authenticate has byte %#x: %q", v[i], v)
			}
		}
	}
}

func TestQueryTokenOnlyWhenAllowed(t *testing.T) {
	f := newHTFixture(t)
	tok := f.token(t, "a", nil)
	off := htServe(t, htGuard(t, f.v, nil).Protect(htEcho))
	on := htServe(t, htGuard(t, f.v, &middleware.GuardConfig{AllowQueryToken: true}).Protect(htEcho))
	tests := []struct {
		name   string
		srv    string
		target string
		status int
		body   string
	}{
		{"disabled", off.URL, "/?access_token=" + tok, 401, ""},
		{"enabled", on.URL, "/?x=1&access_token=" + tok, 200, "alice a"},
		{"enabled, twice", on.URL, "/?access_token=" + tok + "&access_token=" + tok, 400, ""},
		{"enabled, empty", on.URL, "/?access_token=", 400, ""},
		{"enabled, control char", on.URL, "/?access_token=a%0Ab", 400, ""},
		{"enabled, absent", on.URL, "/?x=1", 401, ""},
		{"enabled, twice, one escaped", on.URL, "/?access_token=" + tok + "&access%5Ftoken=other", 400, ""},
		{"enabled, bad escape", on.URL, "/?x=%zz&access_token=" + tok, 400, ""},
		{"enabled, bad escape after the token", on.URL, "/?access_token=" + tok + "&y=%", 400, ""},
		{"enabled, semicolon separator", on.URL, "/?x=1;access_token=" + tok, 400, ""},
		{"enabled, bad escape, no token", on.URL, "/?x=%zz", 400, ""},
		{"disabled, bad escape", off.URL, "/?x=%zz&access_token=" + tok, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(tt.srv + tt.target)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || string(b) != tt.body {
				t.Errorf("GET %q = %d %q, want %d %q", tt.target, resp.StatusCode, b, tt.status, tt.body)
			}
			if ch := resp.Header.Get("WWW-Authenticate"); tt.status == 400 && !strings.Contains(ch, `error="invalid_request"`) {
				t.Errorf("GET %q: WWW-Authenticate = %q, want invalid_request (RFC 6750 §3.1)", tt.target, ch)
			}
			if tt.status == 200 && resp.Header.Get("Cache-Control") != "private" {
				t.Errorf("GET %q: Cache-Control = %q, want private (RFC 6750 §2.3)", tt.target, resp.Header.Get("Cache-Control"))
			}
		})
	}
}

func TestFormToken(t *testing.T) {
	f := newHTFixture(t)
	tok := f.token(t, "a", nil)
	// The handler echoes the body it receives, to show it is intact.
	echoBody := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c, ok := middleware.FromContext(r.Context())
		if ok {
			io.WriteString(w, c.Subject+"|")
		}
		w.Write(b)
	})
	off := htServe(t, htGuard(t, f.v, nil).Protect(echoBody))
	on := htServe(t, htGuard(t, f.v, &middleware.GuardConfig{AllowFormToken: true, MaxFormSize: 4096}).Protect(echoBody))
	optional := htServe(t, htGuard(t, f.v, &middleware.GuardConfig{AllowFormToken: true}).Optional(echoBody))
	form := "application/x-www-form-urlencoded"
	body := "note=hi&access_token=" + tok
	tests := []struct {
		name     string
		srv      string
		method   string
		body     string
		header   []string
		status   int
		wantBody string
	}{
		{"disabled", off.URL, "POST", body, []string{"Content-Type", form}, 401, ""},
		{"disabled, body untouched", off.URL, "POST", "x=1", []string{"Content-Type", form, "Authorization", "Bearer " + tok}, 200, "alice|x=1"},
		{"enabled", on.URL, "POST", body, []string{"Content-Type", form}, 200, "alice|" + body},
		{"enabled, charset", on.URL, "PUT", body, []string{"Content-Type", form + "; charset=utf-8"}, 200, "alice|" + body},
		{"enabled, GET never", on.URL, "GET", body, []string{"Content-Type", form}, 401, ""},
		{"enabled, other content type", optional.URL, "POST", body, []string{"Content-Type", "text/plain"}, 200, body},
		{"enabled, multipart", optional.URL, "POST", body, []string{"Content-Type", "multipart/form-data; boundary=x"}, 200, body},
		{"enabled, header too", on.URL, "POST", body, []string{"Content-Type", form, "Authorization", "Bearer " + tok}, 400, ""},
		{"enabled, twice", on.URL, "POST", body + "&access_token=" + tok, []string{"Content-Type", form}, 400, ""},
		{"enabled, too large", on.URL, "POST", body + "&pad=" + strings.Repeat("x", 4096), []string{"Content-Type", form}, 400, ""},
		{"enabled, no token", on.URL, "POST", "x=1", []string{"Content-Type", form}, 401, ""},
		{"enabled, header only", on.URL, "POST", "x=1", []string{"Content-Type", form, "Authorization", "Bearer " + tok}, 200, "alice|x=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, got := htDo(t, tt.srv, tt.method, "/", tt.body, tt.header...)
			if resp.StatusCode != tt.status || got != tt.wantBody {
				t.Errorf("%s %q = %d %q, want %d %q", tt.method, tt.name, resp.StatusCode, got, tt.status, tt.wantBody)
			}
		})
	}
}

func TestOptional(t *testing.T) {
	f := newHTFixture(t)
	down := newHTFixtureKeys(t, htDownKeys{}, htAudience)
	g := htGuard(t, f.v, nil)
	srv := htServe(t, g.Optional(htEcho))
	downSrv := htServe(t, htGuard(t, down.v, nil).Optional(htEcho))
	tok := f.token(t, "a b", nil)
	expired := f.token(t, "a", map[string]any{"exp": htNow.Add(-time.Hour).Unix()})
	tests := []struct {
		name   string
		url    string
		header []string
		status int
		body   string
	}{
		{"anonymous", srv.URL, nil, 200, "anonymous"},
		{"other scheme is anonymous", srv.URL, []string{"Authorization", "Basic eDp5"}, 200, "anonymous"},
		{"valid token", srv.URL, []string{"Authorization", "Bearer " + tok}, 200, "alice a b"},
		{"bad token still refused", srv.URL, []string{"Authorization", "Bearer " + expired}, 401, ""},
		{"garbage token still refused", srv.URL, []string{"Authorization", "Bearer abc"}, 401, ""},
		{"malformed still refused", srv.URL, []string{"Authorization", "Bearer a b"}, 400, ""},
		{"unavailable is not anonymous", downSrv.URL, []string{"Authorization", "Bearer " + tok}, 503, ""},
		{"anonymous while unavailable", downSrv.URL, nil, 200, "anonymous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := htDo(t, tt.url, "GET", "/", "", tt.header...)
			if resp.StatusCode != tt.status || body != tt.body {
				t.Errorf("GET = %d %q, want %d %q", resp.StatusCode, body, tt.status, tt.body)
			}
			checkAnswerInvariants(t, resp)
		})
	}
}

// TestServeMuxPatterns protects a Go 1.22 ServeMux as a whole and adds
// per-route requirements; the token is validated once per request.
func TestServeMuxPatterns(t *testing.T) {
	f := newHTFixture(t)
	g := htGuard(t, f.v, nil)
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", g.Require(scopes.AllOf("orders:read"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "order "+r.PathValue("id"))
	})))
	mux.Handle("DELETE /orders/{id}", g.Require(scopes.Any(scopes.AllOf("admin", "audit"), scopes.AllOf("orders:write", "orders:delete")), htEcho))
	mux.Handle("GET /me", htEcho)
	srv := htServe(t, g.Protect(mux))
	standalone := http.NewServeMux()
	standalone.Handle("GET /orders/{id}", g.Require(scopes.AllOf("orders:read"), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := middleware.FromContext(r.Context())
		io.WriteString(w, c.Subject+" order "+r.PathValue("id"))
	})))
	standaloneSrv := htServe(t, standalone)

	reader := f.token(t, "orders:read", nil)
	writer := f.token(t, "orders:read orders:write", nil)
	tests := []struct {
		name, url, method, target, token string
		status                           int
		body, challenge                  string
	}{
		{"read", srv.URL, "GET", "/orders/42", reader, 200, "order 42", ""},
		{"me", srv.URL, "GET", "/me", reader, 200, "alice orders:read", ""},
		{"delete without scope", srv.URL, "DELETE", "/orders/42", writer, 403, "",
			`Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:write orders:delete"`},
		{"no token on mux", srv.URL, "GET", "/orders/42", "", 401, "", `Bearer realm="api"`},
		{"unknown route still needs a token", srv.URL, "GET", "/nope", "", 401, "", `Bearer realm="api"`},
		{"unknown route", srv.URL, "GET", "/nope", reader, 404, "404 page not found\n", ""},
		{"standalone require", standaloneSrv.URL, "GET", "/orders/7", reader, 200, "alice order 7", ""},
		{"standalone require, no token", standaloneSrv.URL, "GET", "/orders/7", "", 401, "", `Bearer realm="api"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.token != "" {
				hdr = []string{"Authorization", "Bearer " + tt.token}
			}
			before := f.validated.Load()
			resp, body := htDo(t, tt.url, tt.method, tt.target, "", hdr...)
			if resp.StatusCode != tt.status || body != tt.body || resp.Header.Get("WWW-Authenticate") != tt.challenge {
				t.Errorf("%s %s = %d %q %q, want %d %q %q", tt.method, tt.target, resp.StatusCode, body,
					resp.Header.Get("WWW-Authenticate"), tt.status, tt.body, tt.challenge)
			}
			wantValidations := int64(1)
			if tt.token == "" {
				wantValidations = 0
			}
			if got := f.validated.Load() - before; got != wantValidations {
				t.Errorf("%s %s: Validate called %d times, want %d", tt.method, tt.target, got, wantValidations)
			}
		})
	}
}

// TestRequireWithOtherValidator: claims verified by another validator (here,
// for another audience) are not trusted by a guard nested inside.
func TestRequireWithOtherValidator(t *testing.T) {
	f := newHTFixture(t)
	other, err := middleware.NewValidator(middleware.Issuer{
		URL: htIssuer, Audiences: []string{"https://admin.example.test"}, Keys: mustKeys(t, f),
	}, &middleware.Config{Now: func() time.Time { return htNow }})
	if err != nil {
		t.Fatal(err)
	}
	outer := htGuard(t, f.v, nil)
	inner := htGuard(t, other, nil)
	srv := htServe(t, outer.Protect(inner.Require(scopes.AllOf("a"), htEcho)))
	resp, _ := htDo(t, srv.URL, "GET", "/", "", "Authorization", "Bearer "+f.token(t, "a", nil))
	want := `Bearer realm="api", error="invalid_token", error_description="audience not accepted"`
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != want {
		t.Errorf("GET = %d %q, want 401 %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}
}

func mustKeys(t testing.TB, f *htFixture) jwks.Source {
	t.Helper()
	k, err := jwks.NewKey(f.kid, "ES256", &f.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := jwks.NewStatic(k)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// TestMiddlewareChain composes the guard the way routers do, with
// func(http.Handler) http.Handler values.
func TestMiddlewareChain(t *testing.T) {
	f := newHTFixture(t)
	g := htGuard(t, f.v, nil)
	chain := func(h http.Handler, mws ...func(http.Handler) http.Handler) http.Handler {
		for i := len(mws) - 1; i >= 0; i-- {
			h = mws[i](h)
		}
		return h
	}
	srv := htServe(t, chain(htEcho, g.Protect, g.Middleware(scopes.AllOf("a")), g.Middleware(nil)))
	for _, tt := range []struct {
		scope  string
		status int
	}{{"a", 200}, {"b", 403}} {
		resp, _ := htDo(t, srv.URL, "GET", "/", "", "Authorization", "Bearer "+f.token(t, tt.scope, nil))
		if resp.StatusCode != tt.status {
			t.Errorf("scope %q: status = %d, want %d", tt.scope, resp.StatusCode, tt.status)
		}
	}
	if n := f.validation.Load(); n != 2 {
		t.Errorf("uncached validations = %d, want 2 (one per token)", n)
	}
}

// TestErrorHandlerKeepsChallenge: a hook that tries to change the status and
// drop the challenge cannot.
func TestErrorHandlerKeepsChallenge(t *testing.T) {
	f := newHTFixture(t)
	var gotStatus int
	var gotErr *middleware.Error
	g := htGuard(t, f.v, &middleware.GuardConfig{ErrorHandler: func(w http.ResponseWriter, r *http.Request, status int, err *middleware.Error) {
		gotStatus, gotErr = status, err
		w.Header().Del("WWW-Authenticate")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "denied: "+err.Description)
	}})
	srv := htServe(t, g.Protect(htEcho))
	resp, body := htDo(t, srv.URL, "GET", "/", "")
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Bearer realm="api"` ||
		resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Content-Type") != "text/plain" || body != "denied: no access token" {
		t.Errorf("GET = %d %q; headers %v", resp.StatusCode, body, resp.Header)
	}
	if gotStatus != 401 || gotErr == nil || gotErr.Kind != middleware.ErrMissingToken {
		t.Errorf("ErrorHandler got (%d, %v), want (401, ErrMissingToken)", gotStatus, gotErr)
	}
	// A hook that writes nothing still produces the status.
	g2 := htGuard(t, f.v, &middleware.GuardConfig{ErrorHandler: func(http.ResponseWriter, *http.Request, int, *middleware.Error) {}})
	resp, _ = htDo(t, htServe(t, g2.Protect(htEcho)).URL, "GET", "/", "")
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Errorf("silent hook: GET = %d %q, want 401 with challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

func TestNewGuardConfig(t *testing.T) {
	f := newHTFixture(t)
	tests := []struct {
		name string
		v    *middleware.Validator
		cfg  *middleware.GuardConfig
		ok   bool
	}{
		{"nil config", f.v, nil, true},
		{"nil validator", nil, nil, false},
		{"realm with quote", f.v, &middleware.GuardConfig{Realm: `a"b`}, true},
		{"realm with newline", f.v, &middleware.GuardConfig{Realm: "a\nb"}, false},
		{"realm non-ASCII", f.v, &middleware.GuardConfig{Realm: "caf\u00e9"}, false},
		{"negative RetryAfter", f.v, &middleware.GuardConfig{RetryAfter: -1}, false},
		{"negative MaxFormSize", f.v, &middleware.GuardConfig{MaxFormSize: -1}, false},
	}
	for _, tt := range tests {
		g, err := middleware.NewGuard(tt.v, tt.cfg)
		if (err == nil) != tt.ok || (g != nil) != tt.ok {
			t.Errorf("NewGuard(%s) = %v, %v, want ok %v", tt.name, g, err, tt.ok)
		}
	}
}

func TestRequireNilPanics(t *testing.T) {
	g := htGuard(t, newHTFixture(t).v, nil)
	defer func() {
		if recover() == nil {
			t.Error("Require(nil, h) did not panic")
		}
	}()
	g.Require(nil, htEcho)
}

// TestConcurrentRequests runs mixed requests in parallel (meaningful with -race).
func TestConcurrentRequests(t *testing.T) {
	f := newHTFixture(t)
	g := htGuard(t, f.v, nil)
	srv := htServe(t, g.Require(scopes.AnyOf("a", "b"), htEcho))
	tokens := []struct {
		tok    string
		status int
	}{{f.token(t, "a", nil), 200}, {f.token(t, "c", nil), 403}, {"bad", 401}, {"", 401}}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tc := tokens[i%len(tokens)]
			for range 10 {
				req, _ := http.NewRequest("GET", srv.URL, nil)
				if tc.tok != "" {
					req.Header.Set("Authorization", "Bearer "+tc.tok)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.status {
					errs <- resp.Status
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
