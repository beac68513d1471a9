package middleware

import (
	"context"
	"strings"

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
	if a, ok := ctx.Value(guardKey{}).(*authContext); ok && c != nil && a.claims == c {
		return a.guard.v.recheck(ctx, "", c, nil, req)
	}
	return check(c, req)
}

func check(c *Claims, req scopes.Requirement) error {
	if c == nil {
		return errMissing
	}
	if req == nil || req.Satisfied(c.Scopes) {
		return nil
	}
	return InsufficientScope(strings.Join(req.Satisfying(c.Scopes), " "))
}
