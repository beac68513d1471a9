package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/scopes"
)

// decisions records the Decided events of a validator, and checks that each
// one ends the operation its Start opened, in the context Start returned.
type decisions struct {
	mu     sync.Mutex
	evs    []middleware.DecisionEvent
	starts int
	bad    []string
}

type opKey struct{}

func (d *decisions) hooks() *middleware.Hooks {
	return &middleware.Hooks{
		Start: func(ctx context.Context, op middleware.Operation) context.Context {
			d.mu.Lock()
			defer d.mu.Unlock()
			d.starts++
			return context.WithValue(ctx, opKey{}, op)
		},
		Decided: func(ctx context.Context, ev middleware.DecisionEvent) {
			d.mu.Lock()
			defer d.mu.Unlock()
			if op, _ := ctx.Value(opKey{}).(middleware.Operation); op != middleware.OpDecision {
				d.bad = append(d.bad, fmt.Sprintf("Decided got the context of %v", op))
			}
			d.evs = append(d.evs, ev)
		},
	}
}

func (d *decisions) take(t *testing.T) []middleware.DecisionEvent {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.bad) > 0 || d.starts != len(d.evs) {
		t.Errorf("hooks: %d starts, %d decisions, %v", d.starts, len(d.evs), d.bad)
	}
	evs := d.evs
	d.evs, d.starts = nil, 0
	return evs
}

// downKeys is a key source whose authorization server cannot be reached.
type downKeys struct{}

func (downKeys) LookupKey(context.Context, string) (*jwks.Key, error) {
	return nil, middleware.Unavailable(middleware.ErrKeysUnavailable, errors.New("connection refused"))
}

// newDecisionGuard returns the fixture of the net/http tests, a guard with a
// form token allowed, and a mux with routes for every outcome, all reporting
// to d. keys nil: the fixture's key.
func newDecisionGuard(t *testing.T, d *decisions, keys jwks.Source) (*htFixture, http.Handler) {
	t.Helper()
	f := newHTFixtureKeys(t, keys, htAudience)
	v, err := middleware.NewValidator(
		middleware.Issuer{URL: htIssuer, Audiences: []string{htAudience}, Keys: f.keys(t, keys)},
		&middleware.Config{Now: func() time.Time { return htNow }, Hooks: d.hooks()},
	)
	if err != nil {
		t.Fatal(err)
	}
	g, err := middleware.NewGuard(v, &middleware.GuardConfig{AllowFormToken: true})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	mux := http.NewServeMux()
	mux.Handle("GET /orders/{id}", g.Require(scopes.AllOf("orders:read"), ok))
	mux.Handle("POST /orders", g.Require(scopes.AllOf("orders:write"), ok))
	mux.Handle("GET /public", g.Optional(ok))
	mux.Handle("GET /approve", g.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := middleware.Authorize(r.Context(), scopes.AllOf("orders:approve")); err != nil {
			middleware.WriteError(w, r, err)
		}
	})))
	nested := http.NewServeMux()
	nested.Handle("GET /admin/", g.Require(scopes.AllOf("admin"), ok))
	mux.Handle("GET /admin/", g.Protect(nested))
	return f, mux
}

// keys returns keys, or a static set of the fixture's own key.
func (f *htFixture) keys(t *testing.T, keys jwks.Source) jwks.Source {
	t.Helper()
	if keys != nil {
		return keys
	}
	k, err := jwks.NewKey(f.kid, "ES256", &f.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwks.NewStatic(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDecisionHooks checks that every outcome of the net/http guard reaches
// Hooks.Decided once per decision, with the route, the outcome and its
// reason, and never the token.
func TestDecisionHooks(t *testing.T) {
	type want struct {
		route    string
		kind     error // nil: admitted
		reason   error
		anon     bool
		cacheHit bool
	}
	tests := []struct {
		name   string
		keys   jwks.Source
		method string
		target string
		scope  string // of the token; "-" for no token
		body   string // a form body, sent with the token in the header too
		bad    string // an Authorization value instead of the token
		status int
		want   []want
	}{
		{name: "admitted", target: "/orders/7", scope: "orders:read", status: 200,
			want: []want{{route: "GET /orders/{id}"}}},
		{name: "missing token", target: "/orders/7", scope: "-", status: 401,
			want: []want{{route: "GET /orders/{id}", kind: middleware.ErrMissingToken, reason: middleware.ErrMissingToken}}},
		{name: "malformed header", target: "/orders/7", bad: "Bearer a b", status: 400,
			want: []want{{route: "GET /orders/{id}", kind: middleware.ErrInvalidRequest, reason: middleware.ErrMalformedHeader}}},
		{name: "token in header and form", method: "POST", target: "/orders", scope: "orders:write", body: "access_token=abc", status: 400,
			want: []want{{route: "POST /orders", kind: middleware.ErrInvalidRequest, reason: middleware.ErrMultipleTokens}}},
		{name: "bad signature", target: "/orders/7", bad: "tampered", status: 401,
			want: []want{{route: "GET /orders/{id}", kind: middleware.ErrInvalidToken, reason: middleware.ErrBadSignature}}},
		{name: "insufficient scope", target: "/orders/7", scope: "orders:write", status: 403,
			want: []want{{route: "GET /orders/{id}", kind: middleware.ErrInsufficientScope, reason: middleware.ErrInsufficientScope}}},
		{name: "keys unavailable", keys: downKeys{}, target: "/orders/7", scope: "orders:read", status: 503,
			want: []want{{route: "GET /orders/{id}", kind: middleware.ErrUnavailable, reason: middleware.ErrKeysUnavailable}}},
		{name: "anonymous", target: "/public", scope: "-", status: 200,
			want: []want{{route: "GET /public", anon: true}}},
		{name: "handler's Authorize refuses", target: "/approve", scope: "orders:read", status: 403,
			want: []want{{route: "GET /approve"}, {cacheHit: true, kind: middleware.ErrInsufficientScope, reason: middleware.ErrInsufficientScope}}},
		{name: "nested guard refuses", target: "/admin/users", scope: "orders:read", status: 403,
			want: []want{{route: "GET /admin/"}, {route: "GET /admin/", cacheHit: true, kind: middleware.ErrInsufficientScope, reason: middleware.ErrInsufficientScope}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d decisions
			f, h := newDecisionGuard(t, &d, tt.keys)
			method := tt.method
			if method == "" {
				method = "GET"
			}
			var r *http.Request
			if tt.body != "" {
				r = httptest.NewRequest(method, tt.target, strings.NewReader(tt.body))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			} else {
				r = httptest.NewRequest(method, tt.target, nil)
			}
			token := ""
			switch {
			case tt.bad == "tampered":
				token = f.token(t, "orders:read", nil)
				token = token[:len(token)-4] + "AAAA"
				if strings.HasSuffix(f.token(t, "orders:read", nil), "AAAA") {
					token = token[:len(token)-4] + "BBBB"
				}
				r.Header.Set("Authorization", "Bearer "+token)
			case tt.bad != "":
				r.Header.Set("Authorization", tt.bad)
			case tt.scope != "-":
				token = f.token(t, tt.scope, nil)
				r.Header.Set("Authorization", "Bearer "+token)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			evs := d.take(t)
			if len(evs) != len(tt.want) {
				t.Fatalf("%d decisions %+v, want %d", len(evs), evs, len(tt.want))
			}
			for i, ev := range evs {
				w := tt.want[i]
				if ev.Route != w.route || ev.Anonymous != w.anon || ev.CacheHit != w.cacheHit {
					t.Errorf("decision %d: route %q anonymous %v cache hit %v, want %q %v %v", i, ev.Route, ev.Anonymous, ev.CacheHit, w.route, w.anon, w.cacheHit)
				}
				if ev.Duration <= 0 {
					t.Errorf("decision %d: duration %v", i, ev.Duration)
				}
				if w.kind == nil {
					if ev.Err != nil {
						t.Errorf("decision %d: %v, want admitted", i, ev.Err)
					}
					continue
				}
				if !errors.Is(ev.Err, w.kind) || !errors.Is(ev.Err, w.reason) {
					t.Errorf("decision %d: %v, want %v (%v)", i, ev.Err, w.kind, w.reason)
				}
				if (w.kind == middleware.ErrInvalidToken || w.kind == middleware.ErrInsufficientScope) && ev.Issuer != htIssuer {
					t.Errorf("decision %d: issuer %q, want %q", i, ev.Issuer, htIssuer)
				}
				if token != "" && strings.Contains(fmt.Sprintf("%+v %#v", ev, ev), token[strings.LastIndexByte(token, '.')+1:]) {
					t.Errorf("decision %d shows the token", i)
				}
			}
		})
	}
}

// TestDecisionHooksAdmit checks the core seam directly, as the gRPC and other
// front doors call it: the route of the credentials and the cache hit of a
// second call reach Decided.
func TestDecisionHooksAdmit(t *testing.T) {
	var d decisions
	f := newHTFixture(t)
	v, err := middleware.NewValidator(
		middleware.Issuer{URL: htIssuer, Audiences: []string{htAudience}, Keys: f.keys(t, nil)},
		&middleware.Config{Now: func() time.Time { return htNow }, Hooks: d.hooks()},
	)
	if err != nil {
		t.Fatal(err)
	}
	cred := &middleware.Credentials{Authorization: []string{"Bearer " + f.token(t, "a", nil)}, Route: "/pkg.Svc/Get"}
	for range 2 {
		if _, err := v.Admit(context.Background(), cred, scopes.AllOf("a")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.Authenticate(context.Background(), &middleware.Credentials{Route: "/pkg.Svc/Get"}); !errors.Is(err, middleware.ErrMissingToken) {
		t.Fatalf("Authenticate without a token: %v", err)
	}
	evs := d.take(t)
	if len(evs) != 3 {
		t.Fatalf("%d decisions, want 3", len(evs))
	}
	for i, want := range []struct {
		lookup, hit bool
		err         error
	}{{true, false, nil}, {true, true, nil}, {false, false, middleware.ErrMissingToken}} {
		ev := evs[i]
		if ev.Route != "/pkg.Svc/Get" || ev.CacheLookup != want.lookup || ev.CacheHit != want.hit || !errors.Is(ev.Err, want.err) || (want.err == nil) != (ev.Err == nil) {
			t.Errorf("decision %d: %+v, want route /pkg.Svc/Get, cache lookup %v hit %v, error %v", i, ev, want.lookup, want.hit, want.err)
		}
		if want.err == nil && ev.Issuer != htIssuer {
			t.Errorf("decision %d: issuer %q", i, ev.Issuer)
		}
	}
}
