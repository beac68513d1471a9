// Package methodtable is the fail-closed table of RPC methods that the gRPC
// and Connect adapters (adapters/grpcguard, adapters/connectguard) share:
// which methods are public and which scopes the others require.
//
// A key is a full method name, "/pkg.Service/Method" (gRPC's
// info.FullMethod, Connect's Spec.Procedure), or a service default,
// "/pkg.Service/*", which applies to the methods of the service that have no
// entry of their own. A method that no key matches has no rule: the adapters
// deny it, token or not, so that a method added to a server is never served
// unprotected by accident.
package methodtable

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/rsguard/rsguard/scopes"
)

// Rule is what the table says of a method.
type Rule struct {
	// Public methods are called without looking at any token.
	Public bool
	// Requirement is the scope requirement of a protected method; nil
	// requires a valid token, whatever its scopes.
	Requirement scopes.Requirement
}

// Table maps full method names and service prefixes to rules. It is
// immutable once built, so safe for concurrent use.
type Table struct {
	rules map[string]Rule // full method names, and service prefixes "/pkg.Service/"
}

// Builder collects a table's entries, and the errors of those it refuses. Its zero value
// is not usable: see [NewBuilder].
type Builder struct {
	rules  map[string]Rule
	errTab error
	err    error
}

// NewBuilder returns an empty builder whose errors wrap errTable, the
// adapter's own sentinel (grpcguard.ErrTable …).
func NewBuilder(errTable error) *Builder {
	return &Builder{rules: map[string]Rule{}, errTab: errTable}
}

// Add adds the entry name (see the package documentation) with rule r. A
// malformed name, or one added twice, makes [Builder.Build] fail.
func (b *Builder) Add(name string, r Rule) {
	key, err := b.key(name)
	if err == nil {
		if _, dup := b.rules[key]; dup {
			err = fmt.Errorf("%w: %q listed twice", b.errTab, name)
		}
	}
	if err != nil {
		b.err = errors.Join(b.err, err)
		return
	}
	b.rules[key] = r
}

// AddRequirements adds every entry of reqs as a protected method or service.
func (b *Builder) AddRequirements(reqs map[string]scopes.Requirement) {
	for name, req := range reqs {
		b.Add(name, Rule{Requirement: req})
	}
}

// AddPublic adds every name as a public method or service.
func (b *Builder) AddPublic(names ...string) {
	for _, name := range names {
		b.Add(name, Rule{Public: true})
	}
}

// Build returns the table, or the errors of the entries that were refused.
func (b *Builder) Build() (*Table, error) {
	if b.err != nil {
		return nil, b.err
	}
	return &Table{rules: b.rules}, nil
}

// key checks a method name or service pattern and returns its key: the full
// method name, or for "/pkg.Service/*" the prefix "/pkg.Service/".
func (b *Builder) key(name string) (string, error) {
	service, method, ok := strings.Cut(strings.TrimPrefix(name, "/"), "/")
	if !ok || !strings.HasPrefix(name, "/") || service == "" || method == "" ||
		strings.ContainsAny(method, "/") || strings.ContainsAny(service, "*") ||
		(method != "*" && strings.Contains(method, "*")) {
		return "", fmt.Errorf("%w: %q is not \"/pkg.Service/Method\" nor \"/pkg.Service/*\"", b.errTab, name)
	}
	if method == "*" {
		return name[:len(name)-1], nil
	}
	return name, nil
}

// Keys returns the table's keys, sorted: full method names, and service
// prefixes "/pkg.Service/" for service patterns.
func (t *Table) Keys() []string {
	if t == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(t.rules))
}

// Lookup returns the rule of fullMethod: its own entry, else its service's,
// else false (deny). A nil table denies every method.
func (t *Table) Lookup(fullMethod string) (Rule, bool) {
	if t == nil {
		return Rule{}, false
	}
	if r, ok := t.rules[fullMethod]; ok {
		return r, true
	}
	i := strings.LastIndexByte(fullMethod, '/')
	if i <= 0 {
		return Rule{}, false
	}
	r, ok := t.rules[fullMethod[:i+1]]
	return r, ok
}
