package middleware_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

func TestAuthorize(t *testing.T) {
	claims, err := middleware.ParseClaims([]byte(`{"sub":"alice","scope":"orders:read orders:read invoices:read"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	empty, err := middleware.ParseClaims([]byte(`{"sub":"alice","scope":""}`), "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		ctx    context.Context
		req    scopes.Requirement
		kind   error // nil: authorized
		scopes string
	}{
		{"granted", middleware.NewContext(context.Background(), claims), scopes.AllOf("orders:read"), nil, ""},
		{"nil requirement", middleware.NewContext(context.Background(), claims), nil, nil, ""},
		{"missing scope", middleware.NewContext(context.Background(), claims), scopes.AllOf("orders:read", "orders:approve"), middleware.ErrInsufficientScope, "orders:read orders:approve"},
		{"any-of", middleware.NewContext(context.Background(), claims), scopes.AnyOf("admin", "invoices:read"), nil, ""},
		{"empty scope claim", middleware.NewContext(context.Background(), empty), scopes.AnyOf("admin", "orders:read"), middleware.ErrInsufficientScope, "admin"},
		{"no claims", context.Background(), scopes.AllOf("a"), middleware.ErrMissingToken, ""},
		{"no claims, nil requirement", context.Background(), nil, middleware.ErrMissingToken, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := middleware.Authorize(tt.ctx, tt.req)
			if !errors.Is(err, tt.kind) || (tt.kind == nil) != (err == nil) {
				t.Fatalf("Authorize(%v) = %v, want %v", tt.req, err, tt.kind)
			}
			var e *middleware.Error
			if err != nil && (!errors.As(err, &e) || e.Scope != tt.scopes) {
				t.Errorf("Authorize(%v) scope = %q, want %q", tt.req, e.Scope, tt.scopes)
			}
		})
	}
}

// TestAuthorizeInHandler decides on the request body inside the handler, and
// writes the error with the settings of the guard that let the request in.
func TestAuthorizeInHandler(t *testing.T) {
	f := newHTFixture(t)
	g := htGuard(t, f.v, &middleware.GuardConfig{Realm: "orders", ErrorHandler: middleware.ProblemDetails})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), "approve") {
			if err := middleware.Authorize(r.Context(), scopes.AllOf("orders:approve")); err != nil {
				middleware.WriteError(w, r, err)
				return
			}
		}
		io.WriteString(w, "done")
	})
	srv := htServe(t, g.Optional(h))
	tok := f.token(t, "orders:read", nil)
	tests := []struct {
		name, body, token string
		status            int
		challenge         string
	}{
		{"plain", "list", tok, 200, ""},
		{"approve without scope", "approve", tok, 403, `Bearer realm="orders", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:approve"`},
		{"anonymous plain", "list", "", 200, ""},
		{"anonymous approve", "approve", "", 401, `Bearer realm="orders"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.token != "" {
				hdr = []string{"Authorization", "Bearer " + tt.token}
			}
			resp, body := htDo(t, srv.URL, "POST", "/", tt.body, hdr...)
			if resp.StatusCode != tt.status || resp.Header.Get("WWW-Authenticate") != tt.challenge {
				t.Errorf("POST %q = %d %q, want %d %q", tt.body, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), tt.status, tt.challenge)
			}
			if tt.status != 200 && resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("POST %q: Content-Type = %q, want the guard's problem JSON (%s)", tt.body, resp.Header.Get("Content-Type"), body)
			}
		})
	}
}

// TestWriteErrorWithoutGuard uses the defaults outside any guard.
func TestWriteErrorWithoutGuard(t *testing.T) {
	rec := httptest.NewRecorder()
	middleware.WriteError(rec, httptest.NewRequest("GET", "/", nil), middleware.InsufficientScope("a"))
	want := `Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="a"`
	if rec.Code != 403 || rec.Header().Get("WWW-Authenticate") != want || rec.Header().Get("Cache-Control") != "no-store" || rec.Body.Len() != 0 {
		t.Errorf("WriteError = %d %v %q, want 403 %q", rec.Code, rec.Header(), rec.Body, want)
	}
	rec = httptest.NewRecorder()
	middleware.WriteError(rec, httptest.NewRequest("GET", "/", nil), errors.New("database down"))
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "10" || rec.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("WriteError(unknown) = %d %v, want 503 with Retry-After 10", rec.Code, rec.Header())
	}
}

func TestAuthenticateAndCheck(t *testing.T) {
	f := newHTFixture(t)
	g := htGuard(t, f.v, nil)
	r := httptest.NewRequest("GET", "/", nil)
	if _, err := g.Authenticate(r); !errors.Is(err, middleware.ErrMissingToken) {
		t.Errorf("Authenticate(no token) = %v, want ErrMissingToken", err)
	}
	r.Header.Set("Authorization", "Bearer "+f.token(t, "a b", nil))
	c, err := g.Authenticate(r)
	if err != nil || c.Subject != "alice" {
		t.Fatalf("Authenticate = %v, %v, want alice's claims", c, err)
	}
	if err := middleware.Authorize(middleware.NewContext(r.Context(), c), scopes.AllOf("a", "b")); err != nil {
		t.Errorf("Authorize(a b) = %v, want nil", err)
	}
	if err := middleware.Authorize(middleware.NewContext(r.Context(), c), scopes.AllOf("c")); !errors.Is(err, middleware.ErrInsufficientScope) {
		t.Errorf("Authorize(c) = %v, want ErrInsufficientScope", err)
	}
	if err := middleware.Authorize(r.Context(), nil); !errors.Is(err, middleware.ErrMissingToken) {
		t.Errorf("Authorize(no claims) = %v, want ErrMissingToken", err)
	}
}
