package middleware

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/scopes"
)

// stepUpRoutes are the step-up requirements of TestStepUpGolden, by name.
var stepUpRoutes = []struct {
	name string
	req  scopes.Requirement
}{
	{"acr", ACR("urn:example:loa:3", "phr")},
	{"max_age", MaxAge(5 * time.Minute)},
	{"acr_and_max_age", scopes.All(ACR("phr", "phrh"), MaxAge(10*time.Minute), scopes.AllOf("read"))},
	{"narrowed_acr", scopes.All(ACR("a", "b", "c"), ACR("c", "b"))},
	{"smaller_max_age", scopes.All(MaxAge(time.Hour), MaxAge(90*time.Second+500*time.Millisecond))},
	{"scope_first", scopes.All(ACR("phr"), scopes.AllOf("admin"))},
	{"any_of_step_up", scopes.Any(Role("admin"), ACR("phrh"))},
}

// stepUpTokens are the tokens of TestStepUpGolden, by name: all have scope
// "read write".
var stepUpTokens = []struct {
	name   string
	claims map[string]any
}{
	{"no_acr_no_auth_time", nil},
	{"acr_1_fresh", map[string]any{"acr": "1", "auth_time": testNow.Add(-time.Minute).Unix()}},
	{"acr_phr_fresh", map[string]any{"acr": "phr", "auth_time": testNow.Add(-time.Minute).Unix()}},
	{"acr_phr_old", map[string]any{"acr": "phr", "auth_time": testNow.Add(-time.Hour).Unix()}},
	{"acr_c_at_limit", map[string]any{"acr": "c", "auth_time": testNow.Add(-90 * time.Second).Unix()}},
}

// TestStepUpGolden sends every step-up token to every step-up route of a
// guard and compares status and WWW-Authenticate with
// testdata/stepup.golden (RFC 9470 §3; regenerate with -update).
func TestStepUpGolden(t *testing.T) {
	k := keyFor(t, "ES256")
	v := newTestValidator(t, []*testKey{k}, nil, nil)
	g, err := NewGuard(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, route := range stepUpRoutes {
		h := g.Require(route.req, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
		for _, tok := range stepUpTokens {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer "+k.mint(nil, tok.claims))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got.WriteString(route.name + " " + tok.name + ": " + http.StatusText(w.Code) + "\n")
			if c := w.Header().Get("WWW-Authenticate"); c != "" {
				got.WriteString("\t" + c + "\n")
			}
		}
	}
	path := filepath.Join("testdata", "stepup.golden")
	if updating() {
		if err := os.WriteFile(path, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("step-up answers differ from %s:\n%s", path, got.String())
	}
}

// TestStepUpError checks the refusal's category, code, fields and rule.
func TestStepUpError(t *testing.T) {
	k := keyFor(t, "ES256")
	v := newTestValidator(t, []*testKey{k}, nil, nil)
	tok := k.mint(nil, map[string]any{"acr": "1", "auth_time": testNow.Add(-time.Hour).Unix()})
	_, err := v.Admit(context.Background(), &Credentials{Token: tok}, scopes.All(ACR("2"), MaxAge(time.Minute)))
	e := AsError(err)
	if !errors.Is(err, ErrInvalidToken) || !errors.Is(err, ErrInsufficientUserAuthentication) ||
		e.Code() != CodeInsufficientUserAuthentication || Status(err) != http.StatusUnauthorized {
		t.Fatalf("Admit = %v (code %q); want insufficient_user_authentication, 401", err, e.Code())
	}
	if len(e.ACRValues) != 1 || e.ACRValues[0] != "2" || e.MaxAge != time.Minute || e.Rule != RuleScope {
		t.Errorf("refusal ACRValues %v, MaxAge %v, rule %q", e.ACRValues, e.MaxAge, e.Rule)
	}
	// Exactly at the limit is accepted; a second later is not (no leeway).
	at := k.mint(nil, map[string]any{"auth_time": testNow.Add(-time.Minute).Unix()})
	if _, err := v.Admit(context.Background(), &Credentials{Token: at}, MaxAge(time.Minute)); err != nil {
		t.Errorf("auth_time exactly max_age ago: %v, want admitted", err)
	}
	past := k.mint(nil, map[string]any{"auth_time": testNow.Add(-time.Minute - time.Second).Unix()})
	if _, err := v.Admit(context.Background(), &Credentials{Token: past}, MaxAge(time.Minute)); !errors.Is(err, ErrInsufficientUserAuthentication) {
		t.Errorf("auth_time a second past max_age: %v, want refused", err)
	}
}

// TestStepUpPanics checks the route-table mistakes that panic.
func TestStepUpPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"ACR none":         func() { ACR() },
		"ACR empty":        func() { ACR("") },
		"ACR space":        func() { ACR("a b") },
		"ACR quote":        func() { ACR(`a"b`) },
		"MaxAge zero":      func() { MaxAge(0) },
		"MaxAge subsecond": func() { MaxAge(time.Millisecond) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}
