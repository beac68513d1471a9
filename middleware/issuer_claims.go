package middleware

import (
	"context"
	"errors"
	"fmt"

	"github.com/rsguard/rsguard/internal/jsonscan"
	"github.com/rsguard/rsguard/scopes"
)

// The claims an issuer's settings read beyond the registered ones: roles
// (Issuer.RoleClaims), the scope claim of introspection answers
// (Issuer.ScopeClaim), the RFC 9068 profile (Issuer.StrictProfile) and the
// issuer's own checks (Issuer.Validators).

func (is *issuer) parseRoleClaims() error {
	if len(is.RoleClaims) > maxClaimPaths {
		return fmt.Errorf("middleware: issuer %q: more than %d RoleClaims", is.URL, maxClaimPaths)
	}
	for _, s := range is.RoleClaims {
		p, err := ParseClaimPath(s)
		if err != nil {
			return fmt.Errorf("middleware: issuer %q: RoleClaims %q: %w", is.URL, s, err)
		}
		is.roles = append(is.roles, p)
	}
	return nil
}

var errRoleClaim = InvalidToken(ErrMalformed, errors.New("role claim is not a string or an array of strings")).at(RuleRoleClaim)

// readRoles sets c.Roles from the issuer's role claims, in one pass over
// the claims' JSON.
func (is *issuer) readRoles(c *Claims) error {
	if len(is.roles) == 0 || c.raw == nil {
		return nil
	}
	var roles []string
	var bad bool
	err := readPaths(c.raw, is.roles, func(_ int, v jsonscan.Span) {
		if stringValues(c.raw[v.Start:v.End], func(r string) {
			for _, have := range roles {
				if have == r {
					return
				}
			}
			roles = append(roles, r)
		}) != nil {
			bad = true
		}
	})
	if err != nil || bad {
		return errRoleClaim
	}
	c.Roles = roles[:len(roles):len(roles)]
	return nil
}

// derive returns the claims of an introspection answer as the issuer reads
// them: with the scopes of Issuer.ScopeClaim when the introspector read
// another member (one setting for JWTs and introspection alike) and with the
// roles of Issuer.RoleClaims. It copies c when it changes anything: the
// introspector may share c between requests. Claims built by hand (without
// JSON) are returned as they are.
func (is *issuer) derive(c *Claims) (*Claims, error) {
	rescope := is.ScopeClaim != "" && is.ScopeClaim != c.scopeFrom
	if c.raw == nil || (!rescope && len(is.roles) == 0) {
		return c, nil
	}
	cc := *c
	if rescope {
		v, dup := findMember(c.raw, is.ScopeClaim)
		cc.Scopes = scopes.Set{}
		if dup {
			return nil, errScopeClaim
		}
		if v.End != 0 {
			set, err := scopeValue(c.raw[v.Start:v.End])
			if err != nil {
				return nil, errScopeClaim
			}
			cc.Scopes = set
		}
		cc.scopeFrom = is.ScopeClaim
	}
	if err := is.readRoles(&cc); err != nil {
		return nil, err
	}
	return &cc, nil
}

// strictProfile checks the RFC 9068 §2.2 claims that Issuer.StrictProfile
// requires: "sub", "client_id" and "jti" non-empty, "iat" present.
func strictProfile(c *Claims) error {
	for _, m := range [...]struct {
		ok   bool
		name string
	}{
		{c.Subject != "", "sub"},
		{c.ClientID != "" && c.has(seenClientID, false), "client_id"},
		{c.has(seenIat, false), "iat"},
		{c.ID != "", "jti"},
	} {
		if !m.ok {
			return newError(ErrInvalidToken, ErrMissingClaim,
				errors.New("no \""+m.name+"\" claim (RFC 9068 §2.2)")).at(RuleProfile)
		}
	}
	return nil
}

// RejectClaims returns the refusal an [Issuer.Validators] check returns to
// refuse a token with a description the client sees (RFC 6750 §3
// error_description): 401 invalid_token, reason [ErrClaimRejected].
// description must not hold token content.
func RejectClaims(description string) *Error {
	e := newError(ErrInvalidToken, ErrClaimRejected, nil)
	e.Description = description
	return e
}

// runValidators runs the checks of c's issuer (is, or on a cache hit the
// issuer whose settings apply to c's "iss": of that URL, or the template it
// is a tenant of). Its caller skips it unless some issuer has checks
// (v.validators).
func (v *Validator) runValidators(ctx context.Context, c *Claims, is *issuer) error {
	if is == nil {
		is = v.configOf(c.Issuer)
		if is == nil && v.introspector != nil {
			is = v.introspector
		}
	}
	if is == nil {
		return nil
	}
	for _, check := range is.Validators {
		if err := check(ctx, c); err != nil {
			var e *Error
			if errors.As(err, &e) {
				cp := *e // the check's own, perhaps shared
				cp.Rule = RuleValidators
				return &cp
			}
			return newError(ErrInvalidToken, ErrClaimRejected, err).at(RuleValidators)
		}
	}
	return nil
}
