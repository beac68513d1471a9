package middleware

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rsguard/rsguard/internal/jsonscan"
	"github.com/rsguard/rsguard/scopes"
)

// Requirements beyond scopes. Each is a [scopes.GrantRequirement]: it nests
// in [scopes.All] and [scopes.Any] beside [scopes.AllOf] and [scopes.AnyOf],
// and every front door takes it where it takes a scope requirement
// ([Guard.Require], the Echo, Gin, gRPC and Connect adapters), since all of
// them decide through [Validator.Admit]. Used alone with [scopes.Set] (its
// Satisfied method) it is never satisfied: scopes alone cannot meet it.
//
// A token that does not meet a role, claim, actor or authorization-detail
// requirement is refused with 403 insufficient_scope (RFC 6750 §3.1: "the
// request requires higher privileges than provided by the access token"),
// its description naming what the route requires and its "scope" attribute
// the route's scopes, if any. A token that meets them but not a step-up
// requirement ([ACR], [MaxAge]) is refused with 401
// insufficient_user_authentication (RFC 9470 §3).

// claimsOf returns the claims of a grant the validator checks.
func claimsOf(g scopes.Grant) *Claims {
	c, _ := g.(*Claims)
	return c
}

// claimReq is a requirement decided by a predicate over the claims; need
// describes it in a refusal.
type claimReq struct {
	need string
	ok   func(c *Claims, now time.Time) bool
	// stepUp, when set, is what a failure asks of the user's
	// authentication instead of need.
	stepUp *scopes.Unmet
}

func (r *claimReq) Satisfied(scopes.Set) bool      { return false }
func (r *claimReq) Satisfying(scopes.Set) []string { return nil }
func (r *claimReq) String() string                 { return r.need }

func (r *claimReq) Check(g scopes.Grant, now time.Time, u *scopes.Unmet) bool {
	c := claimsOf(g)
	if c != nil && r.ok(c, now) {
		return true
	}
	switch {
	case u == nil:
	case r.stepUp != nil:
		u.Merge(r.stepUp)
	default:
		u.Merge(&scopes.Unmet{Needs: []string{r.need}})
	}
	return false
}

func mustNames(fn string, names []string) []string {
	if len(names) == 0 || slices.Contains(names, "") {
		panic("middleware: " + fn + "() needs non-empty names")
	}
	return slices.Clone(names)
}

// quoted returns names in single quotes, joined by sep, for a description
// (which a challenge's quoted-string carries without escapes).
func quoted(names []string, sep string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, sep)
}

// Role returns the requirement that the token's roles ([Claims.Roles], read
// from [Issuer.RoleClaims]) include every one of names. Matching is exact.
// It panics if names is empty or holds "".
func Role(names ...string) scopes.GrantRequirement {
	names = mustNames("Role", names)
	return &claimReq{need: "role " + quoted(names, " and "), ok: func(c *Claims, _ time.Time) bool {
		for _, n := range names {
			if !slices.Contains(c.Roles, n) {
				return false
			}
		}
		return true
	}}
}

// AnyRole returns the requirement that the token's roles include at least
// one of names. It panics if names is empty or holds "".
func AnyRole(names ...string) scopes.GrantRequirement {
	names = mustNames("AnyRole", names)
	return &claimReq{need: "role " + quoted(names, " or "), ok: func(c *Claims, _ time.Time) bool {
		for _, n := range names {
			if slices.Contains(c.Roles, n) {
				return true
			}
		}
		return false
	}}
}

// ClaimEquals returns the requirement that the claim at path (see
// [ParseClaimPath]) equal want: a string, a bool or a number (int, int64 or
// float64), compared with the JSON value of the same type; a claim of
// another type, or absent, does not. For example ClaimEquals("tenant",
// "acme"), ClaimEquals("email_verified", true). It panics on an invalid path
// or another type of want. The claim is read from the token's JSON on each
// request; prefer [Issuer.Validators] for checks every route makes.
func ClaimEquals(path string, want any) scopes.GrantRequirement {
	p := mustPath(path)
	match := literalMatcher(want)
	return &claimReq{need: fmt.Sprintf("claim %s = %v", p, want), ok: func(c *Claims, _ time.Time) bool {
		v, ok, err := lookupPath(c.raw, p)
		return err == nil && ok && match(c.raw[v.Start:v.End])
	}}
}

// ClaimIn returns the requirement that the claim at path be a string equal
// to one of values (membership of the claim in a set).
func ClaimIn(path string, values ...string) scopes.GrantRequirement {
	p := mustPath(path)
	values = mustNames("ClaimIn", values)
	return &claimReq{need: fmt.Sprintf("claim %s in %s", p, quoted(values, ", ")), ok: func(c *Claims, _ time.Time) bool {
		v, ok, err := lookupPath(c.raw, p)
		if err != nil || !ok || c.raw[v.Start] != '"' {
			return false
		}
		s := jsonscan.Scanner{B: c.raw[v.Start:v.End]}
		str, err := s.Str()
		return err == nil && slices.Contains(values, str)
	}}
}

// ClaimContains returns the requirement that the claim at path — an array
// of strings or a space-delimited string, as for [Issuer.RoleClaims] —
// contain every one of values (membership of values in the claim).
func ClaimContains(path string, values ...string) scopes.GrantRequirement {
	p := mustPath(path)
	values = mustNames("ClaimContains", values)
	if len(values) > 63 {
		panic("middleware: ClaimContains() with more than 63 values")
	}
	return &claimReq{need: fmt.Sprintf("claim %s containing %s", p, quoted(values, " and ")), ok: func(c *Claims, _ time.Time) bool {
		v, ok, err := lookupPath(c.raw, p)
		if err != nil || !ok {
			return false
		}
		return containsAll(c.raw[v.Start:v.End], values)
	}}
}

// containsAll reports whether the string values of b (see stringValues)
// include every one of values (at most 64).
func containsAll(b []byte, values []string) bool {
	var have uint64
	err := stringValues(b, func(s string) {
		if i := slices.Index(values, s); i >= 0 && i < 64 {
			have |= 1 << i
		}
	})
	return err == nil && have == uint64(1)<<len(values)-1
}

func mustPath(path string) ClaimPath {
	p, err := ParseClaimPath(path)
	if err != nil {
		panic(err)
	}
	return p
}

// literalMatcher returns a function that reports whether a JSON value
// equals want.
func literalMatcher(want any) func([]byte) bool {
	switch w := want.(type) {
	case string:
		return func(b []byte) bool {
			s := jsonscan.Scanner{B: b}
			got, err := s.Str()
			return len(b) > 0 && b[0] == '"' && err == nil && got == w
		}
	case bool:
		lit := strconv.FormatBool(w)
		return func(b []byte) bool { return string(b) == lit }
	case int:
		return numberMatcher(float64(w))
	case int64:
		return numberMatcher(float64(w))
	case float64:
		return numberMatcher(w)
	}
	panic(fmt.Sprintf("middleware: ClaimEquals with a %T; want a string, bool or number", want))
}

func numberMatcher(w float64) func([]byte) bool {
	return func(b []byte) bool {
		s := jsonscan.Scanner{B: b}
		f, err := s.Number()
		return err == nil && s.I == len(b) && f == w
	}
}
