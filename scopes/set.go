// Package scopes parses OAuth 2.0 scope strings (RFC 6749 §3.3) and expresses
// the scope requirements of handlers and gRPC methods.
//
// The happy path:
//
//	write := scopes.AllOf("orders:write")               // every one of them
//	read := scopes.AnyOf("orders:read", "orders:admin") // at least one
//	mux.Handle("DELETE /orders/{id}", guard.Require(write, cancel))
//	granted, err := scopes.Parse("orders:read profile") // a Set
//	ok := read.Satisfied(granted)                       // true
package scopes

import (
	"errors"
	"slices"
	"strings"
)

// ErrSyntax is returned (wrapped) for a scope string outside RFC 6749 §3.3.
var ErrSyntax = errors.New("scopes: invalid scope syntax")

// Set is an immutable set of scope tokens. The zero Set is empty and ready to
// use. Matching is exact and case-sensitive (RFC 6749 §3.3).
type Set struct {
	list []string // unique, in first-seen order
}

// Parse parses a space-delimited scope string (RFC 6749 §3.3:
// scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces).
// An empty string is the empty set. Duplicates are kept once.
func Parse(s string) (Set, error) {
	if s == "" {
		return Set{}, nil
	}
	d := dedup{list: make([]string, 0, strings.Count(s, " ")+1)}
	for tok := range strings.SplitSeq(s, " ") {
		if !ValidToken(tok) {
			return Set{}, ErrSyntax
		}
		d.add(tok)
	}
	return Set{list: d.list}, nil
}

// ParseFields is [Parse] for scope strings received in tokens and
// introspection answers: the space-separated scope-tokens of s, where runs
// of spaces and leading or trailing spaces separate nothing (" a  b " is
// {a, b}), as Spring Security and Envoy read them. The tokens themselves
// are checked as Parse checks them: a tab, a quote or non-ASCII is
// [ErrSyntax]. Reading "a  b" as {a, b} is unambiguous — no scope-token
// holds a space — so refusing the whole token for it would only lock out
// the users of an authorization server that pads its scope strings.
func ParseFields(s string) (Set, error) {
	if s == "" {
		return Set{}, nil
	}
	d := dedup{list: make([]string, 0, strings.Count(s, " ")+1)}
	// One pass: this is every token's path.
	start := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			if i > start {
				d.add(s[start:i])
			}
			start = i + 1
		case !tokenChar(c):
			return Set{}, ErrSyntax
		}
	}
	if start < len(s) {
		d.add(s[start:])
	}
	return Set{list: d.list}, nil
}

// New returns the set of the given scope tokens, each of which must satisfy
// [ValidToken]. Duplicates are kept once.
func New(tokens ...string) (Set, error) {
	d := dedup{list: make([]string, 0, len(tokens))}
	for _, tok := range tokens {
		if !ValidToken(tok) {
			return Set{}, ErrSyntax
		}
		d.add(tok)
	}
	return Set{list: d.list}, nil
}

// linearDedup is the number of distinct tokens up to which [dedup] scans its
// list; beyond it, a map keeps deduplication linear in the input (a scope
// claim of a 64 KiB introspection response holds some 16,000 tokens).
const linearDedup = 16

// dedup collects distinct tokens in first-seen order.
type dedup struct {
	list []string
	seen map[string]struct{} // nil until list outgrows linearDedup
}

func (d *dedup) add(tok string) {
	if d.seen != nil || len(d.list) >= linearDedup {
		d.addMany(tok)
		return
	}
	if !slices.Contains(d.list, tok) {
		d.list = append(d.list, tok)
	}
}

// addMany is add once the list is long: through the map, which it makes at
// the first token beyond linearDedup distinct ones.
func (d *dedup) addMany(tok string) {
	if d.seen == nil {
		if slices.Contains(d.list, tok) {
			return
		}
		d.seen = make(map[string]struct{}, 2*(len(d.list)+1))
		for _, t := range d.list {
			d.seen[t] = struct{}{}
		}
	}
	if _, ok := d.seen[tok]; !ok {
		d.seen[tok] = struct{}{}
		d.list = append(d.list, tok)
	}
}

// ValidToken reports whether tok is a non-empty RFC 6749 §3.3 scope-token.
func ValidToken(tok string) bool {
	if tok == "" {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if !tokenChar(tok[i]) {
			return false
		}
	}
	return true
}

// tokenChar reports whether c may appear in a scope-token: NQCHAR, %x21 /
// %x23-5B / %x5D-7E (RFC 6749 §3.3).
func tokenChar(c byte) bool { return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\' }

// Has reports whether the set contains scope.
func (s Set) Has(scope string) bool { return slices.Contains(s.list, scope) }

// Len returns the number of scopes in the set.
func (s Set) Len() int { return len(s.list) }

// List returns the scopes in the order first seen. The caller may modify the
// returned slice.
func (s Set) List() []string { return slices.Clone(s.list) }

// String returns the scopes space-delimited, in the order first seen.
func (s Set) String() string { return strings.Join(s.list, " ") }
