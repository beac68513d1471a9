package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// TestAdmit checks the decision Guard.Admit makes for adapters against the
// answer of Guard.Require for the same request: the same status and headers
// when refused, the claims in the returned request's context when admitted.
func TestAdmit(t *testing.T) {
	f := newHTFixture(t)
	g := htGuard(t, f.v, &middleware.GuardConfig{AllowQueryToken: true, Realm: "orders"})
	req := scopes.AllOf("orders:read")
	good := f.token(t, "orders:read", nil)
	tests := []struct {
		name   string
		target string
		auth   string
		status int // 0: admitted
	}{
		{"admitted", "/", "Bearer " + good, 0},
		{"query_token", "/?access_token=" + good, "", 0},
		{"missing_token", "/", "", 401},
		{"expired", "/", "Bearer " + f.token(t, "orders:read", map[string]any{"exp": htNow.Add(-time.Hour).Unix()}), 401},
		{"insufficient_scope", "/", "Bearer " + f.token(t, "profile", nil), 403},
		{"malformed", "/", "Bearer a b", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			got := g.Admit(w, r, req)
			want := httptest.NewRecorder()
			g.Require(req, htEcho).ServeHTTP(want, r)
			if tt.status != 0 {
				if got != nil {
					t.Fatalf("Admit(%s) = request, want nil", tt.name)
				}
				if w.Code != tt.status || w.Code != want.Code {
					t.Errorf("Admit(%s) wrote %d, want %d (Require: %d)", tt.name, w.Code, tt.status, want.Code)
				}
				for _, k := range []string{"WWW-Authenticate", "Cache-Control", "Retry-After"} {
					if w.Header().Get(k) != want.Header().Get(k) {
						t.Errorf("Admit(%s) %s = %q, Require wrote %q", tt.name, k, w.Header().Get(k), want.Header().Get(k))
					}
				}
				return
			}
			if got == nil {
				t.Fatalf("Admit(%s) = nil (status %d), want the request", tt.name, w.Code)
			}
			c, ok := middleware.FromContext(got.Context())
			if !ok || c.Subject != "alice" {
				t.Errorf("FromContext(Admit(%s)) = %v, %v, want alice's claims", tt.name, c, ok)
			}
			if w.Code != 200 || w.Body.Len() != 0 {
				t.Errorf("Admit(%s) wrote status %d body %q, want nothing", tt.name, w.Code, w.Body)
			}
			if got, want := w.Header().Get("Cache-Control"), want.Header().Get("Cache-Control"); got != want {
				t.Errorf("Admit(%s) Cache-Control = %q, Require set %q", tt.name, got, want)
			}
		})
	}
}

// TestAdmitNested checks that a request Admit let through is recognised by
// the same guard: a second Admit (a route requirement inside a protected
// group) does not validate again and returns the request as is, and
// WriteError answers with the guard's realm.
func TestAdmitNested(t *testing.T) {
	f := newHTFixture(t)
	g := htGuard(t, f.v, &middleware.GuardConfig{Realm: "orders"})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+f.token(t, "orders:read", nil))
	w := httptest.NewRecorder()
	r1 := g.Admit(w, r, nil)
	if r1 == nil {
		t.Fatalf("Admit = nil, status %d", w.Code)
	}
	before := f.validated.Load()
	if r2 := g.Admit(w, r1, scopes.AllOf("orders:read")); r2 != r1 {
		t.Errorf("nested Admit = %p, want the same request %p", r2, r1)
	}
	if n := f.validated.Load() - before; n != 0 {
		t.Errorf("nested Admit validated %d more times, want 0", n)
	}
	if r3 := g.Admit(w, r1, scopes.AllOf("orders:write")); r3 != nil {
		t.Errorf("nested Admit without the scope = request, want nil")
	}
	if w.Code != http.StatusForbidden {
		t.Errorf("nested Admit without the scope wrote %d, want 403", w.Code)
	}
	w = httptest.NewRecorder()
	middleware.WriteError(w, r1, middleware.InsufficientScope("orders:write"))
	const want = `Bearer realm="orders", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:write"`
	if got := w.Header().Get("WWW-Authenticate"); got != want {
		t.Errorf("WriteError after Admit: WWW-Authenticate = %q, want %q", got, want)
	}
}
