package main

import (
	"strings"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// listFlag is a repeatable flag whose values may also be comma-separated:
// --alg RS256 --alg ES256 is --alg RS256,ES256.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// repeatFlag is a repeatable flag taken verbatim (audiences may hold commas).
type repeatFlag []string

func (r *repeatFlag) String() string { return strings.Join(*r, " ") }

func (r *repeatFlag) Set(v string) error {
	*r = append(*r, v)
	return nil
}

// typesFlag is the accepted "typ" values: repeatable or comma-separated, where
// "compat" stands for middleware.CompatTypes() and "none" (or an empty value)
// accepts a token without "typ".
type typesFlag []string

func (t *typesFlag) String() string { return strings.Join(*t, ",") }

func (t *typesFlag) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		*t = append(*t, "")
		return nil
	}
	for _, s := range strings.Split(v, ",") {
		switch s = strings.TrimSpace(s); strings.ToLower(s) {
		case "compat":
			*t = append(*t, middleware.CompatTypes()...)
		case "none", "":
			*t = append(*t, "")
		default:
			*t = append(*t, s)
		}
	}
	return nil
}

// scopeFlag collects --scope values. Each value is a comma-separated list
// of terms that must all hold; a term is one scope, or alternatives joined
// with "|" of which one must be granted. Repeated flags must all hold too:
//
//	--scope orders:read,orders:write       both
//	--scope 'admin|orders:write'           either
//	--scope 'orders:read,admin|support'    orders:read, and admin or support
//
// Scope tokens containing "," or "|" (legal in RFC 6749 §3.3 but rare) cannot
// be expressed.
type scopeFlag []string

func (s *scopeFlag) String() string { return strings.Join(*s, " ") }

func (s *scopeFlag) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// requirement builds the scopes.Requirement, or nil when no --scope was given.
func (s scopeFlag) requirement() (scopes.Requirement, error) {
	var all []string
	var parts []scopes.Requirement
	for _, v := range s {
		for _, term := range strings.Split(v, ",") {
			term = strings.TrimSpace(term)
			if !strings.Contains(term, "|") {
				all = append(all, term)
				continue
			}
			r, err := scopes.NewAnyOf(strings.Split(term, "|")...)
			if err != nil {
				return nil, usageError("--scope %q: %v", v, err)
			}
			parts = append(parts, r)
		}
	}
	if len(all) > 0 {
		r, err := scopes.NewAllOf(all...)
		if err != nil {
			return nil, usageError("--scope: %v", err)
		}
		parts = append([]scopes.Requirement{r}, parts...)
	}
	switch len(parts) {
	case 0:
		return nil, nil
	case 1:
		return parts[0], nil
	}
	return scopes.All(parts...), nil
}
