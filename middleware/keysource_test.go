package middleware_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// sourceFunc is a key source of the user's own.
type sourceFunc func(ctx context.Context, kid string) (*jwks.Key, error)

func (f sourceFunc) LookupKey(ctx context.Context, kid string) (*jwks.Key, error) { return f(ctx, kid) }

// errDirectory is a failure of the user's own key store, which knows
// nothing of rsguard's errors.
var errDirectory = errors.New("key directory: connection refused")

// TestKeySourceErrors: the validator maps what a key source answers — an
// *Error is kept, an error matching jwks.ErrUnknownKey refuses the token
// (401 invalid_token, rule "key"), and any other error means the keys
// could not be obtained: 503, never 200 and never 401 (fail closed).
func TestKeySourceErrors(t *testing.T) {
	t.Parallel()
	if middleware.ErrUnknownKey != jwks.ErrUnknownKey {
		t.Fatal("middleware.ErrUnknownKey is not jwks.ErrUnknownKey")
	}
	as := guardtest.Server(t, nil, "ES256")
	revoked := &middleware.Error{Kind: middleware.ErrInvalidToken, Description: "key revoked"}
	tests := []struct {
		name    string
		err     error
		status  int
		matches []error
		rule    middleware.Rule
	}{
		{"*Error kept: invalid", revoked, http.StatusUnauthorized, []error{middleware.ErrInvalidToken}, middleware.RuleKey},
		{"*Error kept: unavailable", middleware.Unavailable(middleware.ErrKeysUnavailable, errDirectory), http.StatusServiceUnavailable,
			[]error{middleware.ErrUnavailable, middleware.ErrKeysUnavailable, errDirectory}, middleware.RuleKey},
		{"unknown key", jwks.ErrUnknownKey, http.StatusUnauthorized,
			[]error{middleware.ErrInvalidToken, middleware.ErrUnknownKey, jwks.ErrUnknownKey}, middleware.RuleKey},
		{"unknown key, wrapped", errors.Join(errors.New("tenant t1"), jwks.ErrUnknownKey), http.StatusUnauthorized,
			[]error{middleware.ErrInvalidToken, middleware.ErrUnknownKey}, middleware.RuleKey},
		{"jwks unavailable", errors.Join(jwks.ErrUnavailable, jwks.ErrStale), http.StatusServiceUnavailable,
			[]error{middleware.ErrUnavailable, middleware.ErrKeysUnavailable, jwks.ErrStale}, middleware.RuleKey},
		{"foreign error", errDirectory, http.StatusServiceUnavailable,
			[]error{middleware.ErrUnavailable, middleware.ErrKeysUnavailable, errDirectory}, middleware.RuleKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := sourceFunc(func(context.Context, string) (*jwks.Key, error) { return nil, tt.err })
			v, err := middleware.NewValidator(middleware.Issuer{URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}, Keys: src}, nil)
			if err != nil {
				t.Fatal(err)
			}
			token := as.Token(oauthtest.TokenOptions{})
			c, err := v.Validate(t.Context(), token)
			if c != nil {
				t.Fatalf("Validate with a failing key source = %+v, want no claims", c)
			}
			for _, target := range tt.matches {
				if !errors.Is(err, target) {
					t.Errorf("Validate = %v, want an error matching %v", err, target)
				}
			}
			if e := middleware.AsError(err); e.Rule != tt.rule {
				t.Errorf("Validate error rule = %q, want %q", e.Rule, tt.rule)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("Validate error quotes the token: %v", err)
			}
			if got := guardStatus(t, v, token); got != tt.status {
				t.Errorf("Guard answered %d, want %d", got, tt.status)
			}
		})
	}
}

// guardStatus is the status a Guard over v answers for a request with token.
func guardStatus(t *testing.T, v *middleware.Validator, token string) int {
	t.Helper()
	g, err := middleware.NewGuard(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := g.Protect(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// TestIssuerValidatorHooks: the key source NewIssuerValidator builds
// reports its discovery and fetches to Config.Hooks, each opened with
// Start, unless Config.RemoteKeys names hooks of its own.
func TestIssuerValidatorHooks(t *testing.T) {
	t.Parallel()
	as := guardtest.Server(t, nil, "ES256")
	var mu sync.Mutex
	var got []string
	record := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, s)
	}
	type spanKey struct{}
	hooks := &middleware.Hooks{
		Start: func(ctx context.Context, op middleware.Operation) context.Context {
			record("start " + op.String())
			return context.WithValue(ctx, spanKey{}, op)
		},
		KeysFetched: func(ctx context.Context, ev jwks.FetchEvent) {
			if ctx.Value(spanKey{}) != middleware.OpKeyFetch {
				t.Errorf("KeysFetched ctx is not the one Start returned")
			}
			record("fetched " + ev.Reason)
		},
		Discovered: func(ctx context.Context, ev jwks.DiscoveryEvent) {
			if ctx.Value(spanKey{}) != middleware.OpDiscovery || ev.JWKSURI != as.JWKSURL() {
				t.Errorf("Discovered(%+v): wrong context or jwks_uri", ev)
			}
			record("discovered")
		},
	}
	iss := middleware.Issuer{URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}}
	v, err := middleware.NewIssuerValidator(t.Context(), iss, &middleware.Config{Hooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	want := []string{"start jwks_fetch", "start discovery", "discovered", "fetched initial"}
	mu.Lock()
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("hooks saw %q, want %q", got, want)
	}
	got = nil
	mu.Unlock()

	var own guardtest.Fetches
	v2, err := middleware.NewIssuerValidator(t.Context(), iss, &middleware.Config{Hooks: hooks, RemoteKeys: &jwks.Config{Hooks: own.Hooks()}})
	if err != nil {
		t.Fatal(err)
	}
	defer v2.Close()
	if r := own.Reasons(); len(r) != 1 || r[0] != "initial" {
		t.Errorf("Config.RemoteKeys.Hooks saw %q, want the initial fetch", r)
	}
	mu.Lock()
	if len(got) != 0 {
		t.Errorf("Config.Hooks saw %q although RemoteKeys names its own hooks", got)
	}
	mu.Unlock()

	var none *middleware.Hooks
	if none.JWKS() != nil || (&middleware.Hooks{Decided: func(context.Context, middleware.DecisionEvent) {}}).JWKS() != nil {
		t.Error("JWKS() of hooks without KeysFetched or Discovered is not nil")
	}
}
