package middleware

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rsguard/rsguard/scopes"
)

// keycloakClaims are the role claims of a Keycloak access token.
var keycloakClaims = map[string]any{
	"realm_access":    map[string]any{"roles": []string{"user", "offline_access"}},
	"resource_access": map[string]any{"orders": map[string]any{"roles": []string{"approver"}}, "other": map[string]any{"roles": []string{"admin"}}},
	"groups":          "ops  dev ",
	"tenant":          "acme",
	"email_verified":  true,
	"level":           3,
}

func roleValidator(t *testing.T, k *testKey) *Validator {
	return newTestValidator(t, []*testKey{k}, func(is *Issuer) {
		is.RoleClaims = []string{"realm_access.roles", "resource_access.orders.roles", "groups"}
	}, nil)
}

// TestRequirements checks each requirement beyond scopes, alone and nested
// in scopes.All/Any, against one Keycloak-shaped token: the decision, the
// category and code, and what the refusal names.
func TestRequirements(t *testing.T) {
	k := keyFor(t, "ES256")
	v := roleValidator(t, k)
	tok := k.mint(nil, keycloakClaims)
	tests := []struct {
		name  string
		req   scopes.Requirement
		code  string // "" admitted
		scope string
		desc  string
	}{
		{"realm role", Role("user"), "", "", ""},
		{"client role", Role("approver"), "", "", ""},
		{"space-delimited group", Role("ops", "dev"), "", "", ""},
		{"other client's role is not ours", Role("admin"), CodeInsufficientScope, "", `the route requires role 'admin'`},
		{"all roles", Role("user", "admin"), CodeInsufficientScope, "", `the route requires role 'user' and 'admin'`},
		{"any role", AnyRole("admin", "approver"), "", "", ""},
		{"scope and role", scopes.All(scopes.AllOf("read"), Role("approver")), "", "", ""},
		{"scope and missing role", scopes.All(scopes.AllOf("read"), Role("admin")), CodeInsufficientScope, "read", `the route requires scope 'read' and role 'admin'`},
		{"missing scope, role met", scopes.All(scopes.AllOf("delete"), Role("user")), CodeInsufficientScope, "delete", "the token lacks a required scope"},
		{"role or scope", scopes.Any(Role("admin"), scopes.AllOf("write")), "", "", ""},
		{"neither: fewest missing", scopes.Any(scopes.AllOf("a", "b"), Role("admin")), CodeInsufficientScope, "", `the route requires role 'admin'`},
		{"claim equals string", ClaimEquals("tenant", "acme"), "", "", ""},
		{"claim equals bool", ClaimEquals("email_verified", true), "", "", ""},
		{"claim equals number", ClaimEquals("level", 3), "", "", ""},
		{"claim equals wrong type", ClaimEquals("level", "3"), CodeInsufficientScope, "", `the route requires claim level = 3`},
		{"claim differs", ClaimEquals("tenant", "other"), CodeInsufficientScope, "", `the route requires claim tenant = other`},
		{"nested claim equals", ClaimEquals("realm_access.roles", "user"), CodeInsufficientScope, "", `the route requires claim realm_access.roles = user`},
		{"claim in", ClaimIn("tenant", "globex", "acme"), "", "", ""},
		{"claim not in", ClaimIn("tenant", "globex"), CodeInsufficientScope, "", `the route requires claim tenant in 'globex'`},
		{"claim absent", ClaimIn("region", "eu"), CodeInsufficientScope, "", `the route requires claim region in 'eu'`},
		{"claim contains", ClaimContains("resource_access.other.roles", "admin"), "", "", ""},
		{"claim contains all", ClaimContains("groups", "dev", "ops"), "", "", ""},
		{"claim lacks one", ClaimContains("groups", "dev", "sec"), CodeInsufficientScope, "", `the route requires claim groups containing 'dev' and 'sec'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Admit(context.Background(), &Credentials{Token: tok}, tc.req)
			if tc.code == "" {
				if err != nil || c == nil {
					t.Fatalf("Admit = %v, %v; want admitted", c, err)
				}
				return
			}
			e := AsError(err)
			if err == nil || e.Code() != tc.code || !errors.Is(err, ErrInsufficientScope) || Status(err) != http.StatusForbidden {
				t.Fatalf("Admit = %v (code %q, status %d); want %s, 403", err, e.Code(), Status(err), tc.code)
			}
			if e.Scope != tc.scope || e.Description != tc.desc || e.Rule != RuleScope {
				t.Errorf("refusal scope %q, description %q, rule %q; want %q, %q, scope", e.Scope, e.Description, e.Rule, tc.scope, tc.desc)
			}
		})
	}
}

// TestScopeRequirementUnchanged checks that a plain scope requirement keeps
// its answer whether or not it goes through the GrantRequirement path.
func TestScopeRequirementUnchanged(t *testing.T) {
	k := keyFor(t, "ES256")
	v := newTestValidator(t, []*testKey{k}, nil, nil)
	tok := k.mint(nil, map[string]any{"scope": "a"})
	for _, req := range []scopes.Requirement{
		scopes.All(scopes.AllOf("a"), scopes.AnyOf("b", "c")),
		scopes.Any(scopes.AllOf("x", "y"), scopes.AllOf("a", "b")),
		scopes.AnyOf("z", "a", "q"),
	} {
		granted, _ := scopes.New("a")
		want := req.Satisfying(granted)
		_, err := v.Admit(context.Background(), &Credentials{Token: tok}, req)
		if req.Satisfied(granted) {
			if err != nil {
				t.Errorf("%v: Admit = %v, want admitted", req, err)
			}
			continue
		}
		if e := AsError(err); err == nil || e.Scope != joinScopes(want) || e.Reason != ErrInsufficientScope {
			t.Errorf("%v: Admit scope = %q (%v), want %q", req, e.Scope, err, joinScopes(want))
		}
	}
}

func joinScopes(list []string) string { s, _ := scopes.New(list...); return s.String() }

// TestRoleClaimTypes checks what a role claim may hold.
func TestRoleClaimTypes(t *testing.T) {
	k := keyFor(t, "ES256")
	v := newTestValidator(t, []*testKey{k}, func(is *Issuer) {
		is.RoleClaims = []string{"roles", `"https://example.com/roles"`, "a.b.c"}
	}, nil)
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   []string // nil with bad: refused
		bad    bool
	}{
		{"array", map[string]any{"roles": []string{"x", "y", "x"}}, []string{"x", "y"}, false},
		{"string", map[string]any{"roles": " x  y "}, []string{"x", "y"}, false},
		{"namespaced claim with dots", map[string]any{"https://example.com/roles": []string{"z"}}, []string{"z"}, false},
		{"deep", map[string]any{"a": map[string]any{"b": map[string]any{"c": "deep"}}}, []string{"deep"}, false},
		{"path through a string", map[string]any{"a": "b"}, nil, false},
		{"united, in the token's member order", map[string]any{"roles": "x", "a": map[string]any{"b": map[string]any{"c": []string{"y", "x"}}}}, []string{"y", "x"}, false},
		{"number", map[string]any{"roles": 1}, nil, true},
		{"array of numbers", map[string]any{"roles": []int{1}}, nil, true},
		{"object", map[string]any{"roles": map[string]any{}}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := validate(v, k.mint(nil, tc.claims))
			if tc.bad {
				wantRefused(t, "", err, ErrMalformed)
				if AsError(err).Rule != RuleRoleClaim {
					t.Errorf("rule %q, want role_claim", AsError(err).Rule)
				}
				return
			}
			if err != nil || !slices.Equal(c.Roles, tc.want) {
				t.Fatalf("Roles = %v, %v; want %v", c.Roles, err, tc.want)
			}
		})
	}
}

// TestNestedDuplicate refuses a nested object on a role path with a
// member twice: one reading of every member.
func TestNestedDuplicate(t *testing.T) {
	k := keyFor(t, "ES256")
	v := roleValidator(t, k)
	payload := `{"iss":"` + testIssuer + `","aud":"` + testAudience + `","exp":` + strconv.FormatInt(testNow.Add(time.Hour).Unix(), 10) +
		`,"realm_access":{"roles":["user"],"Roles":["admin"]}}`
	_, err := validate(v, k.mintRaw(mustJSON(k.baseHeader()), []byte(payload)))
	wantRefused(t, "", err, ErrMalformed)
}
