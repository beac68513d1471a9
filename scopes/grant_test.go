package scopes_test

import (
	"slices"
	"testing"
	"time"

	"github.com/rsguard/rsguard/scopes"
)

// grant is a token with scopes and a set of "claims" that fake
// requirements read.
type grant struct {
	s      scopes.Set
	claims []string
}

func (g grant) GrantedScopes() scopes.Set { return g.s }

// has is a requirement on grant's claims; stepUp makes it one that asks
// for another authentication (acr) instead of a claim.
type has struct {
	claim  string
	stepUp bool
}

func (h has) Satisfied(scopes.Set) bool      { return false }
func (h has) Satisfying(scopes.Set) []string { return nil }
func (h has) Check(g scopes.Grant, _ time.Time, u *scopes.Unmet) bool {
	if slices.Contains(g.(grant).claims, h.claim) {
		return true
	}
	switch {
	case u == nil:
	case h.stepUp:
		u.Merge(&scopes.Unmet{ACRValues: []string{h.claim, "any"}})
	default:
		u.Merge(&scopes.Unmet{Needs: []string{h.claim}})
	}
	return false
}

func TestGrantRequirements(t *testing.T) {
	s, _ := scopes.New("a", "b")
	g := grant{s: s, claims: []string{"admin"}}
	tests := []struct {
		name   string
		req    scopes.Requirement
		ok     bool
		want   scopes.Unmet
		stepUp bool
	}{
		{"claim met", scopes.All(scopes.AllOf("a"), has{claim: "admin"}), true, scopes.Unmet{Scopes: []string{"a"}}, false},
		{"claim missing: scopes named in full", scopes.All(scopes.AllOf("a", "c"), has{claim: "root"}), false,
			scopes.Unmet{Scopes: []string{"a", "c"}, Needs: []string{"root"}}, false},
		{"any: fewest missing", scopes.Any(scopes.AllOf("x", "y"), has{claim: "root"}), false, scopes.Unmet{Needs: []string{"root"}}, false},
		{"any: tie to the first", scopes.Any(has{claim: "root"}, scopes.AllOf("x")), false, scopes.Unmet{Needs: []string{"root"}}, false},
		{"any: a met alternative", scopes.Any(has{claim: "root"}, has{claim: "admin"}), true, scopes.Unmet{}, false},
		{"step-up only", scopes.All(scopes.AllOf("a"), has{claim: "gold", stepUp: true}), false,
			scopes.Unmet{Scopes: []string{"a"}, ACRValues: []string{"gold", "any"}}, true},
		{"acr intersected", scopes.All(has{claim: "gold", stepUp: true}, has{claim: "silver", stepUp: true}), false,
			scopes.Unmet{ACRValues: []string{"any"}}, true},
		{"step-up with a missing scope is not only a step-up", scopes.All(scopes.AllOf("c"), has{claim: "gold", stepUp: true}), false,
			scopes.Unmet{Scopes: []string{"c"}, ACRValues: []string{"gold", "any"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := scopes.Check(tc.req, g, time.Time{}, nil); got != tc.ok {
				t.Fatalf("Check(nil) = %v, want %v", got, tc.ok)
			}
			var u scopes.Unmet
			if got := scopes.Check(tc.req, g, time.Time{}, &u); got != tc.ok {
				t.Fatalf("Check(&u) = %v, want %v", got, tc.ok)
			}
			if !slices.Equal(u.Scopes, tc.want.Scopes) || !slices.Equal(u.Needs, tc.want.Needs) ||
				!slices.Equal(u.ACRValues, tc.want.ACRValues) || u.StepUp() != tc.stepUp {
				t.Errorf("Unmet = %+v (StepUp %v), want %+v (StepUp %v)", u, u.StepUp(), tc.want, tc.stepUp)
			}
		})
	}
}

func TestUnmetMergeMaxAge(t *testing.T) {
	u := scopes.Unmet{MaxAge: time.Hour}
	u.Merge(&scopes.Unmet{MaxAge: time.Minute})
	u.Merge(&scopes.Unmet{MaxAge: 2 * time.Minute})
	u.Merge(&scopes.Unmet{})
	if u.MaxAge != time.Minute || !u.StepUp() {
		t.Errorf("MaxAge = %v (StepUp %v), want 1m, true", u.MaxAge, u.StepUp())
	}
	if got := (&scopes.Unmet{Scopes: []string{"a"}, Needs: []string{"role 'x'"}}).String(); got != "scope 'a' and role 'x'" {
		t.Errorf("String = %q", got)
	}
}
