package scopes

import (
	"slices"
	"strings"
	"time"
)

// Grant is what a requirement is checked against: the verified token, of
// which [Requirement] sees only the scopes. *middleware.Claims implements it,
// so that requirements on other claims (roles, "acr", "act",
// "authorization_details") can assert it to read them.
type Grant interface {
	// GrantedScopes returns the token's scopes.
	GrantedScopes() Set
}

// GrantRequirement is a [Requirement] that looks beyond the scopes, such as
// a role or a step-up requirement (package middleware defines them). It
// nests in [All] and [Any] like any requirement, and the combinators are
// GrantRequirements themselves, so that a tree mixing scopes and claims is
// checked as one: the validator checks a GrantRequirement with Check, never
// with Satisfied.
//
// Implementations must be immutable and safe for concurrent use.
type GrantRequirement interface {
	Requirement
	// Check reports whether g satisfies the requirement at now (the instant
	// of the decision, for requirements on time such as RFC 9470 max_age).
	// When it does not and u is not nil, Check adds to u what would satisfy
	// it. It must not retain g or u.
	Check(g Grant, now time.Time, u *Unmet) bool
}

// Unmet says what would satisfy a requirement that a token does not: what
// a refusal names. Scopes and Needs call for another grant (RFC 6750 §3.1
// insufficient_scope, 403); ACRValues and MaxAge for another authentication
// of the user (RFC 9470 §3 insufficient_user_authentication, 401).
type Unmet struct {
	// Scopes that would satisfy the scope requirements, for the "scope"
	// attribute of the challenge.
	Scopes []string
	// Needs describes the other claims that would, such as `role 'admin'`;
	// route configuration, never token content.
	Needs []string
	// ACRValues are the authentication context classes of which the user's
	// authentication must be one (RFC 9470 §3 acr_values), in preference
	// order; none when nil.
	ACRValues []string
	// MaxAge is the greatest allowed age of the user's authentication (RFC
	// 9470 §3 max_age); 0 for none.
	MaxAge time.Duration

	granted Set // the token's scopes, for cost
}

// StepUp reports whether u asks only for another authentication of the
// user: it has acr_values or a max_age, and no scope (of those the token
// was checked with) or other claim is missing.
func (u *Unmet) StepUp() bool {
	if len(u.Needs) > 0 || (u.ACRValues == nil && u.MaxAge == 0) {
		return false
	}
	for _, s := range u.Scopes {
		if !u.granted.Has(s) {
			return false
		}
	}
	return true
}

// cost is the number of things u asks for that the token lacks, to choose
// among alternatives: scopes not granted, needs, and one for a step-up (one
// new authentication meets acr_values and max_age at once).
func (u *Unmet) cost() int {
	n := len(u.Needs)
	for _, s := range u.Scopes {
		if !u.granted.Has(s) {
			n++
		}
	}
	if u.ACRValues != nil || u.MaxAge > 0 {
		n++
	}
	return n
}

// Merge adds o to u: what both of two requirements need. Scopes and needs
// are united; acr_values intersected (the user must satisfy both; an empty
// intersection keeps u's, which then cannot be met either way); the
// smaller max_age wins.
func (u *Unmet) Merge(o *Unmet) {
	for _, s := range o.Scopes {
		if !slices.Contains(u.Scopes, s) {
			u.Scopes = append(u.Scopes, s)
		}
	}
	for _, s := range o.Needs {
		if !slices.Contains(u.Needs, s) {
			u.Needs = append(u.Needs, s)
		}
	}
	switch {
	case o.ACRValues == nil:
	case u.ACRValues == nil:
		u.ACRValues = slices.Clone(o.ACRValues)
	default:
		var both []string
		for _, v := range u.ACRValues {
			if slices.Contains(o.ACRValues, v) {
				both = append(both, v)
			}
		}
		if both != nil {
			u.ACRValues = both
		}
	}
	if o.MaxAge > 0 && (u.MaxAge == 0 || o.MaxAge < u.MaxAge) {
		u.MaxAge = o.MaxAge
	}
}

// String describes u in a sentence fragment, such as
// `scope 'orders:read' and role 'admin'`, for an error description.
func (u *Unmet) String() string {
	var parts []string
	if len(u.Scopes) > 0 {
		parts = append(parts, "scope '"+strings.Join(u.Scopes, " ")+"'")
	}
	return strings.Join(append(parts, u.Needs...), " and ")
}

// Check checks req against g: with req's Check when it is a
// [GrantRequirement], else with Satisfied over g's scopes. When u is not
// nil it also adds to u what req asks for: for scope requirements the
// scopes of [Requirement.Satisfying] (granted ones included, as the "scope"
// attribute of RFC 6750 §3 names the whole set to ask for), for others what
// they lack. It is how the combinators and the validator check any
// requirement.
func Check(req Requirement, g Grant, now time.Time, u *Unmet) bool {
	if gr, ok := req.(GrantRequirement); ok {
		return gr.Check(g, now, u)
	}
	return checkScopes(req, g, u)
}

func checkScopes(req Requirement, g Grant, u *Unmet) bool { return checkSet(req, g, u) }

// checkSet checks a scope-only requirement against g's scopes. It is generic
// so that allOf and anyOf call it without converting themselves to a
// Requirement interface, which would allocate on every request.
func checkSet[R Requirement](req R, g Grant, u *Unmet) bool {
	granted := g.GrantedScopes()
	ok := req.Satisfied(granted)
	if u != nil {
		u.granted = granted
		u.Merge(&Unmet{Scopes: req.Satisfying(granted)})
	}
	return ok
}

// Check implements [GrantRequirement] for AllOf.
func (a allOf) Check(g Grant, _ time.Time, u *Unmet) bool { return checkSet(a, g, u) }

// Check implements [GrantRequirement] for AnyOf.
func (a anyOf) Check(g Grant, _ time.Time, u *Unmet) bool { return checkSet(a, g, u) }

func (a all) Check(g Grant, now time.Time, u *Unmet) bool {
	ok := true
	for _, r := range a {
		if !Check(r, g, now, u) {
			if u == nil {
				return false
			}
			ok = false
		}
	}
	return ok
}

// Check of an any-of requirement adds to u the alternative that asks for
// the fewest things the token lacks (ties: the first declared).
func (a anyReq) Check(g Grant, now time.Time, u *Unmet) bool {
	if u == nil {
		for _, r := range a {
			if Check(r, g, now, nil) {
				return true
			}
		}
		return false
	}
	var best Unmet
	ok, bestCost := false, -1
	for _, r := range a {
		var cand Unmet
		if Check(r, g, now, &cand) {
			ok = true
		}
		if c := cand.cost(); bestCost < 0 || c < bestCost {
			best, bestCost = cand, c
		}
	}
	u.granted = g.GrantedScopes()
	u.Merge(&best)
	return ok
}
