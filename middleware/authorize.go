package middleware

import (
	"context"
	"strings"
	"time"

	"github.com/rsguard/rsguard/scopes"
)

// Authorize checks, inside a handler, that the claims in ctx (put there by a
// [Guard] or [NewContext]) satisfy req, for decisions that depend on the
// request itself, such as its body:
//
//	if order.Total > 10_000 {
//		if err := middleware.Authorize(r.Context(), scopes.AllOf("orders:approve")); err != nil {
//			middleware.WriteError(w, r, err) // 403 insufficient_scope, scope="orders:approve"
//			return
//		}
//	}
//
// It returns nil when they do (a nil req asks only for claims), an [*Error]
// matching ErrInsufficientScope naming the scopes that would satisfy req
// (RFC 6750 §3), or one matching ErrMissingToken when ctx holds no claims
// (an anonymous request on a [Guard.Optional] route).
//
// Inside a guard whose validator has [Hooks], the outcome reaches
// Hooks.Decided as a decision of its own (without a route).
func Authorize(ctx context.Context, req scopes.Requirement) error {
	c, _ := FromContext(ctx)
	a, ok := ctx.Value(guardKey{}).(*authContext)
	if ok && c != nil && a.claims == c {
		return a.guard.v.recheck(ctx, "", c, nil, req)
	}
	now := time.Now
	if ok && a.guard != nil {
		now = a.guard.v.now
	}
	return check(c, req, now())
}

// check checks req against c at now: a nil req asks only for claims. A
// refusal names what would satisfy req (see [refusal]).
func check(c *Claims, req scopes.Requirement, now time.Time) error {
	if c == nil {
		return errMissing
	}
	if req == nil {
		return nil
	}
	gr, rich := req.(scopes.GrantRequirement)
	if !rich {
		if req.Satisfied(c.Scopes) {
			return nil
		}
		return InsufficientScope(strings.Join(req.Satisfying(c.Scopes), " "))
	}
	if gr.Check(c, now, nil) {
		return nil
	}
	var u scopes.Unmet
	gr.Check(c, now, &u)
	return refusal(&u)
}

// refusal is the answer to a token that does not meet a requirement:
// insufficient_user_authentication (401, RFC 9470 §3) when only the user's
// authentication falls short — stepping up cannot grant missing scopes or
// roles, so those are named first — else insufficient_scope (403, RFC 6750
// §3.1) with the requirement's scopes and, in the description, its other
// needs.
func refusal(u *scopes.Unmet) *Error {
	if u.StepUp() {
		return InsufficientUserAuthentication(u.ACRValues, u.MaxAge)
	}
	e := InsufficientScope(strings.Join(u.Scopes, " "))
	if len(u.Needs) > 0 {
		e.Reason = ErrRequirementUnmet
		e.Description = "the route requires " + u.String()
	}
	return e
}

// Check checks that claims verified by v satisfy req (nil: any claims), at
// v's clock, as [Validator.Admit] does after authenticating: for front
// doors that decide a further requirement on claims they already hold (an
// MCP tool call within an admitted request). It returns nil, or the
// refusal Admit would return (see [refusal]); ErrMissingToken for nil
// claims.
func (v *Validator) Check(claims *Claims, req scopes.Requirement) error {
	if !v.built() {
		return errUnbuilt
	}
	return check(claims, req, v.now())
}
