package introspection_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
)

const fullResponse = `{
  "active": true,
  "scope": "read write",
  "client_id": "app-1",
  "username": "jdoe",
  "token_type": "Bearer",
  "exp": 1750003600,
  "iat": 1750000000,
  "nbf": 1749999990,
  "sub": "user-42",
  "aud": ["https://api.example.test", "other"],
  "iss": "https://as.example.test",
  "jti": "tok-77",
  "cnf": {"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"},
  "ext": {"tenant": "t1"}
}`

func TestIntrospectActiveMapsMembers(t *testing.T) {
	e := newEndpoint(t)
	const token = "opaque-full"
	e.set(token, fullResponse)
	in := newIntrospector(t, e, nil)

	c, err := in.Introspect(context.Background(), token)
	if err != nil {
		t.Fatalf("Introspect(%q) error = %v, want nil", token, err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Issuer", c.Issuer, "https://as.example.test"},
		{"Subject", c.Subject, "user-42"},
		{"Audience", strings.Join(c.Audience, ","), "https://api.example.test,other"},
		{"ExpiresAt", c.ExpiresAt.Unix(), int64(1750003600)},
		{"IssuedAt", c.IssuedAt.Unix(), int64(1750000000)},
		{"NotBefore", c.NotBefore.Unix(), int64(1749999990)},
		{"ID", c.ID, "tok-77"},
		{"ClientID", c.ClientID, "app-1"},
		{"Username", c.Username, "jdoe"},
		{"TokenType", c.TokenType, "Bearer"},
		{"Scopes", c.Scopes.String(), "read write"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("Introspect(%q).%s = %v, want %v", token, ch.name, ch.got, ch.want)
		}
	}
	var cnf map[string]string
	if ok, err := c.Claim("cnf", &cnf); !ok || err != nil || cnf["x5t#S256"] != "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2" {
		t.Errorf(`Claim("cnf") = %v, %v, %v; want the confirmation member`, cnf, ok, err)
	}
	var ext struct{ Tenant string }
	if ok, err := c.Claim("ext", &ext); !ok || err != nil || ext.Tenant != "t1" {
		t.Errorf(`Claim("ext") = %+v, %v, %v; want tenant t1`, ext, ok, err)
	}
}

func TestIntrospectScopeClaim(t *testing.T) {
	e := newEndpoint(t)
	e.set(testToken, `{"active":true,"scope":"a","permissions":["p:read","p:write"]}`)
	in := newIntrospector(t, e, &introspection.Config{ScopeClaim: "permissions"})
	c, err := in.Introspect(context.Background(), testToken)
	if err != nil || c.Scopes.String() != "p:read p:write" {
		t.Fatalf("Introspect with ScopeClaim permissions = %v, %v; want scopes p:read p:write", c, err)
	}
}

func TestIntrospectResponses(t *testing.T) {
	big := `{"active":true,"pad":"` + strings.Repeat("x", 2000) + `"}`
	tests := []struct {
		name     string
		status   int
		ctype    string
		body     string
		active   bool // want claims
		inactive bool // want ErrInactive; otherwise ErrUnavailable
		cause    error
	}{
		{name: "active minimal", body: `{"active":true}`, active: true},
		{name: "active with charset", ctype: "application/json; charset=utf-8", body: `{"active":true}`, active: true},
		{name: "inactive", body: `{"active":false}`, inactive: true},
		{name: "inactive with members", body: `{"active":false,"sub":"x","exp":1}`, inactive: true},
		{name: "inactive with escaped name", body: `{"act\u0069ve":false}`, inactive: true},
		{name: "missing active", body: `{"sub":"user-42","scope":"read"}`, cause: introspection.ErrMalformedResponse},
		{name: "active as string", body: `{"active":"true"}`, cause: introspection.ErrMalformedResponse},
		{name: "active as number", body: `{"active":1}`, cause: introspection.ErrMalformedResponse},
		{name: "active null", body: `{"active":null}`, cause: introspection.ErrMalformedResponse},
		{name: "active twice", body: `{"active":false,"active":true}`, cause: introspection.ErrMalformedResponse},
		{name: "active case twin", body: `{"active":true,"Active":false}`, cause: introspection.ErrMalformedResponse},
		{name: "active case twin first", body: `{"ACTIVE":false,"active":true}`, cause: introspection.ErrMalformedResponse},
		{name: "sub case twin", body: `{"active":true,"sub":"a","Sub":"b"}`, cause: introspection.ErrMalformedResponse},
		{name: "active nested only", body: `{"ext":{"active":true}}`, cause: introspection.ErrMalformedResponse},
		{name: "garbage", body: `<html>oops</html>`, cause: introspection.ErrMalformedResponse},
		{name: "empty body", body: ``, cause: introspection.ErrMalformedResponse},
		{name: "array", body: `[{"active":true}]`, cause: introspection.ErrMalformedResponse},
		{name: "trailing data", body: `{"active":true} {}`, cause: introspection.ErrMalformedResponse},
		{name: "truncated", body: `{"active":true,"sub":"x"`, cause: introspection.ErrMalformedResponse},
		{name: "exp is a string", body: `{"active":true,"exp":"tomorrow"}`, cause: introspection.ErrMalformedResponse},
		{name: "scope not a string", body: `{"active":true,"scope":42}`, cause: introspection.ErrMalformedResponse},
		{name: "duplicate sub", body: `{"active":true,"sub":"a","sub":"b"}`, cause: introspection.ErrMalformedResponse},
		{name: "invalid UTF-8", body: "{\"active\":true,\"sub\":\"\xff\"}", cause: introspection.ErrMalformedResponse},
		{name: "html content type", ctype: "text/html", body: `{"active":true}`, cause: introspection.ErrMalformedResponse},
		{name: "oversized", body: big, cause: introspection.ErrResponseTooLarge},
		{name: "status 500", status: 500, body: `{"active":true}`, cause: &introspection.StatusError{}},
		{name: "status 503", status: 503, body: `{"error":"temporarily_unavailable"}`, cause: &introspection.StatusError{}},
		{name: "status 401", status: 401, body: `{"error":"invalid_client"}`, cause: &introspection.StatusError{}},
		{name: "status 400", status: 400, body: `{"active":false}`, cause: &introspection.StatusError{}},
		{name: "status 201", status: 201, body: `{"active":true}`, cause: &introspection.StatusError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t)
			e.fail(tt.status, []byte(tt.body))
			e.with(func() { e.ctype = tt.ctype })
			in := newIntrospector(t, e, &introspection.Config{MaxResponseSize: 1024, CacheSize: -1})
			const token = "opaque-token-value"
			c, err := in.Introspect(context.Background(), token)
			switch {
			case tt.active:
				if err != nil || c == nil {
					t.Fatalf("Introspect(%q) = %v, %v; want claims", token, c, err)
				}
				return
			case c != nil:
				t.Errorf("Introspect(%q) claims = %+v, want nil", token, c)
			}
			if tt.inactive {
				checkInactive(t, err)
				return
			}
			checkUnavailable(t, err, token)
			checkCause(t, err, tt.cause, tt.status)
		})
	}
}

func checkCause(t *testing.T, err, cause error, status int) {
	t.Helper()
	if se, ok := cause.(*introspection.StatusError); ok {
		if !errors.As(err, &se) || se.StatusCode != status {
			t.Errorf("error = %v, want a StatusError with code %d", err, status)
		}
		return
	}
	if !errors.Is(err, cause) {
		t.Errorf("error = %v, want it to match %v", err, cause)
	}
}

// A rejected client (wrong secret) is the resource server's configuration
// problem, not the token's: unavailable, never invalid_token.
func TestIntrospectWrongClientSecret(t *testing.T) {
	e := newEndpoint(t)
	e.set(testToken, `{"active":true}`)
	const wrong = "not-the-secret"
	in, err := introspection.New(e.endpointURL(), introspection.ClientSecretBasic(testClientID, wrong), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = in.Introspect(context.Background(), testToken)
	checkUnavailable(t, err, testToken, wrong)
	var se *introspection.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusUnauthorized {
		t.Errorf("Introspect with a wrong secret = %v, want StatusError 401", err)
	}
}

func TestIntrospectRefusesBadTokensWithoutRequest(t *testing.T) {
	e := newEndpoint(t)
	in := newIntrospector(t, e, &introspection.Config{MaxTokenSize: 64})
	tests := []struct {
		name, token string
		reason      error
	}{
		{"empty", "", middleware.ErrMalformed},
		{"too large", strings.Repeat("a", 65), middleware.ErrTokenTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := in.Introspect(context.Background(), tt.token)
			if !isKind(err, middleware.ErrInvalidToken, tt.reason) {
				t.Errorf("Introspect(%q) = %v, want invalid_token %v", tt.token, err, tt.reason)
			}
		})
	}
	if n := e.calls.Load(); n != 0 {
		t.Errorf("endpoint calls = %d, want 0", n)
	}
}

func TestNewChecksEndpoint(t *testing.T) {
	auth := introspection.ClientSecretBasic("id", "secret")
	tests := []struct {
		name, url string
		auth      introspection.ClientAuth
		cfg       *introspection.Config
		ok        bool
	}{
		{"https", "https://as.example.test/introspect", auth, nil, true},
		{"loopback http", "http://127.0.0.1:8080/introspect", auth, nil, true},
		{"localhost http", "http://localhost/introspect", auth, nil, true},
		{"remote http", "http://as.example.test/introspect", auth, nil, false},
		{"remote http allowed", "http://as.example.test/introspect", auth, &introspection.Config{AllowInsecureHTTP: true}, true},
		{"user info", "https://id:secret@as.example.test/introspect", auth, nil, false},
		{"user info, bad scheme", "ftp://id:secret@as.example.test/introspect", auth, nil, false},
		{"relative", "/introspect", auth, nil, false},
		{"ftp", "ftp://as.example.test/introspect", auth, nil, false},
		{"no auth", "https://as.example.test/introspect", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := introspection.New(tt.url, tt.auth, tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("New(%q) error = %v, want ok=%v", tt.url, err, tt.ok)
			}
			if err != nil {
				checkNoSecret(t, err, "secret")
				return
			}
			if in.Endpoint() != tt.url {
				t.Errorf("Endpoint() = %q, want %q", in.Endpoint(), tt.url)
			}
		})
	}
}

func TestIntrospectTimeout(t *testing.T) {
	e := newEndpoint(t)
	e.with(func() { e.hold = make(chan struct{}) }) // never released: requests end with the client's timeout
	in := newIntrospector(t, e, &introspection.Config{HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}})
	start := time.Now()
	_, err := in.Introspect(context.Background(), testToken)
	checkUnavailable(t, err, testToken)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Introspect took %v, want about the 100ms timeout", d)
	}
}

func TestIntrospectCallerContext(t *testing.T) {
	e := newEndpoint(t)
	hold := make(chan struct{})
	defer close(hold)
	e.with(func() { e.hold = hold })
	in := newIntrospector(t, e, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := in.Introspect(ctx, testToken)
	checkUnavailable(t, err, testToken)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Introspect with an expired context = %v, want DeadlineExceeded", err)
	}
}
