package middleware

import "context"

type claimsKey struct{}

// NewContext returns a copy of ctx that carries claims.
func NewContext(ctx context.Context, claims *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, claims)
}

// FromContext returns the claims that [NewContext] stored in ctx, as the
// middleware and every adapter do for an authenticated request.
func FromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}
