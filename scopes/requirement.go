package scopes

import (
	"errors"
	"fmt"
	"strings"
)

// Requirement is a condition on the scopes granted to an access token, such as
// "orders:read, and admin or orders:write". Build one with [AllOf], [AnyOf],
// [All] and [Any]; they nest freely.
//
// Implementations must be immutable and safe for concurrent use: a route's
// requirement is evaluated by every request to it.
type Requirement interface {
	// Satisfied reports whether the granted scopes satisfy the requirement.
	// Matching is exact and case-sensitive (RFC 6749 §3.3).
	Satisfied(granted Set) bool
	// Satisfying returns one set of scopes that satisfies the requirement, for
	// the "scope" attribute of an insufficient_scope challenge (RFC 6750 §3):
	// the scopes a client should ask for. Where the requirement offers
	// alternatives, it picks, deterministically, the one with the fewest scopes
	// missing from granted (ties: the first declared). The list has no
	// duplicates; the caller may modify it.
	Satisfying(granted Set) []string
}

// ErrEmptyRequirement is returned (wrapped) for a requirement without any scope
// or sub-requirement, which would be satisfied by anything (all-of) or by
// nothing (any-of): almost certainly a mistake in a route table.
var ErrEmptyRequirement = errors.New("scopes: empty requirement")

// AllOf returns the requirement that every one of names be granted.
//
// AllOf is meant for route tables written in code, like [regexp.MustCompile]:
// it panics if names is empty or a name is not an RFC 6749 §3.3 scope-token.
// Use [NewAllOf] for names that come from configuration.
func AllOf(names ...string) Requirement {
	return must(NewAllOf(names...))
}

// AnyOf returns the requirement that at least one of names be granted. Its
// [Requirement.Satisfying] is a granted name if there is one, else the first
// name.
//
// AnyOf panics if names is empty or a name is not an RFC 6749 §3.3
// scope-token; use [NewAnyOf] for names that come from configuration.
func AnyOf(names ...string) Requirement {
	return must(NewAnyOf(names...))
}

// NewAllOf is like [AllOf] but returns an error (matching [ErrSyntax] or
// [ErrEmptyRequirement]) instead of panicking.
func NewAllOf(names ...string) (Requirement, error) {
	list, err := names2list(names)
	if err != nil {
		return nil, err
	}
	return allOf(list), nil
}

// NewAnyOf is like [AnyOf] but returns an error (matching [ErrSyntax] or
// [ErrEmptyRequirement]) instead of panicking.
func NewAnyOf(names ...string) (Requirement, error) {
	list, err := names2list(names)
	if err != nil {
		return nil, err
	}
	return anyOf(list), nil
}

// All returns the requirement that every one of reqs be satisfied, for
// example All(AllOf("orders:read"), AnyOf("admin", "orders:write")). Its
// [Requirement.Satisfying] is the union of the parts' (each part chooses its
// own alternative independently).
//
// All panics if reqs is empty or holds a nil requirement.
func All(reqs ...Requirement) Requirement {
	return all(checkReqs("All", reqs))
}

// Any returns the requirement that at least one of reqs be satisfied. Its
// [Requirement.Satisfying] is that of the part with the fewest scopes missing
// from the granted set (ties: the first declared).
//
// Any panics if reqs is empty or holds a nil requirement.
func Any(reqs ...Requirement) Requirement {
	return anyReq(checkReqs("Any", reqs))
}

func must(r Requirement, err error) Requirement {
	if err != nil {
		panic(err)
	}
	return r
}

// names2list validates names and drops duplicates, keeping declared order.
func names2list(names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, ErrEmptyRequirement
	}
	list := make([]string, 0, len(names))
	for _, name := range names {
		if !ValidToken(name) {
			return nil, fmt.Errorf("%w: %q", ErrSyntax, name)
		}
		if !contains(list, name) {
			list = append(list, name)
		}
	}
	return list, nil
}

func checkReqs(fn string, reqs []Requirement) []Requirement {
	if len(reqs) == 0 {
		panic("scopes: " + fn + "() without requirements: " + ErrEmptyRequirement.Error())
	}
	for _, r := range reqs {
		if r == nil {
			panic("scopes: " + fn + "() with a nil requirement")
		}
	}
	return append([]Requirement(nil), reqs...)
}

type (
	allOf  []string
	anyOf  []string
	all    []Requirement
	anyReq []Requirement
)

func (a allOf) Satisfied(granted Set) bool {
	for _, name := range a {
		if !granted.Has(name) {
			return false
		}
	}
	return true
}

func (a allOf) Satisfying(Set) []string { return append([]string(nil), a...) }

func (a anyOf) Satisfied(granted Set) bool {
	for _, name := range a {
		if granted.Has(name) {
			return true
		}
	}
	return false
}

func (a anyOf) Satisfying(granted Set) []string {
	for _, name := range a {
		if granted.Has(name) {
			return []string{name}
		}
	}
	return []string{a[0]}
}

func (a all) Satisfied(granted Set) bool {
	for _, r := range a {
		if !r.Satisfied(granted) {
			return false
		}
	}
	return true
}

func (a all) Satisfying(granted Set) []string {
	var out []string
	for _, r := range a {
		for _, name := range r.Satisfying(granted) {
			if !contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

func (a anyReq) Satisfied(granted Set) bool {
	for _, r := range a {
		if r.Satisfied(granted) {
			return true
		}
	}
	return false
}

func (a anyReq) Satisfying(granted Set) []string {
	var best []string
	bestMissing := -1
	for _, r := range a {
		cand := r.Satisfying(granted)
		missing := 0
		for _, name := range cand {
			if !granted.Has(name) {
				missing++
			}
		}
		if bestMissing < 0 || missing < bestMissing {
			best, bestMissing = cand, missing
		}
	}
	return best
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// String returns the requirement in a readable form, e.g. "a AND b".
func (a allOf) String() string { return join(a, " AND ") }

// String returns the requirement in a readable form, e.g. "a OR b".
func (a anyOf) String() string { return join(a, " OR ") }

// String returns the requirement in a readable form.
func (a all) String() string { return joinReqs(a, " AND ") }

// String returns the requirement in a readable form.
func (a anyReq) String() string { return joinReqs(a, " OR ") }

func join(names []string, sep string) string {
	if len(names) == 1 {
		return names[0]
	}
	return "(" + strings.Join(names, sep) + ")"
}

func joinReqs(reqs []Requirement, sep string) string {
	parts := make([]string, len(reqs))
	for i, r := range reqs {
		if s, ok := r.(interface{ String() string }); ok {
			parts[i] = s.String()
		} else {
			parts[i] = "(custom requirement)"
		}
	}
	return join(parts, sep)
}
