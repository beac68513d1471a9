package middleware

import (
	"context"
	"time"

	"github.com/rsguard/rsguard/scopes"
)

// decide is the core's single decision point: every front door's request
// comes through here (by [Validator.Admit], [Validator.Authenticate] or a
// [Guard]), and every outcome leaves through here to [Hooks].Decided. A new
// check of the request (sender constraints, roles, step-up) belongs in admit,
// so that its refusals are reported like the others.
//
// pre is a refusal the front door found before the core (a malformed form
// body): it is the outcome. With optional, a request presenting no token is
// let through anonymously: decide returns no claims and no error.
func (v *Validator) decide(ctx context.Context, cred *Credentials, req scopes.Requirement, pre error, optional bool) (*Claims, error) {
	if v == nil || v.hooks == nil {
		c, _, _, err := v.admit(ctx, cred, req, pre, optional, time.Time{})
		return c, err
	}
	return v.decideHooked(ctx, cred, req, pre, optional)
}

func (v *Validator) decideHooked(ctx context.Context, cred *Credentials, req scopes.Requirement, pre error, optional bool) (*Claims, error) {
	h := v.hooks
	if h.Decided == nil {
		c, _, _, err := v.admit(ctx, cred, req, pre, optional, time.Time{})
		return c, err
	}
	// One clock reading for the start of the decision and, with the system
	// clock, the time of its checks: clock readings are a good part of a
	// cached decision's cost.
	start := time.Now()
	now := time.Time{}
	if v.sysNow {
		now = start
	}
	ctx = h.start(ctx, OpDecision)
	c, is, cu, err := v.admit(ctx, cred, req, pre, optional, now)
	ev := DecisionEvent{CacheLookup: cu != cacheUnused, CacheHit: cu == cacheHit, Anonymous: c == nil && err == nil, Err: err}
	if cred != nil {
		ev.Route = cred.Route
	}
	if c != nil {
		ev.Issuer = c.Issuer
	} else if is != nil {
		ev.Issuer = is.URL
	}
	ev.Duration = time.Since(start)
	h.Decided(ctx, ev)
	return c, err
}

// cacheUse is what a decision did with the verified-token cache.
type cacheUse uint8

const (
	cacheUnused cacheUse = iota // no token reached the cache
	cacheMiss
	cacheHit
)

// admit finds the credentials' token, validates it at now (zero: the
// validator's clock), checks its binding against the credentials (DPoP
// proof, certificate) and checks req.
func (v *Validator) admit(ctx context.Context, cred *Credentials, req scopes.Requirement, pre error, optional bool, now time.Time) (*Claims, *issuer, cacheUse, error) {
	if pre != nil {
		return nil, nil, cacheUnused, pre
	}
	p, err := presented(cred)
	if err != nil {
		if optional && err == errMissing {
			return nil, nil, cacheUnused, nil
		}
		return nil, nil, cacheUnused, err
	}
	c, is, hit, err := v.run(ctx, p, cred, now)
	cu := cacheUnused
	switch {
	case hit:
		cu = cacheHit
	case err == errUnbuilt: // nothing looked up
	case v.cache != nil && len(p.token) <= v.maxSize: // see validate
		cu = cacheMiss
	}
	if err != nil {
		return nil, is, cu, err
	}
	if now.IsZero() {
		now = v.now()
	}
	if err := check(c, req, now); err != nil {
		return nil, is, cu, err
	}
	return c, is, cu, nil
}

// recheck checks req against claims c that an outer guard with this
// validator verified, as a decision of its own. A non-nil err is the refusal
// the inner guard found instead (the outer guard's presentation does not meet
// its DPoP mode, see [Guard.verified]): it is the outcome.
func (v *Validator) recheck(ctx context.Context, route string, c *Claims, err error, req scopes.Requirement) error {
	if v.hooks == nil || v.hooks.Decided == nil {
		if err != nil {
			return err
		}
		return check(c, req, v.now())
	}
	start := time.Now()
	ctx = v.hooks.start(ctx, OpDecision)
	ev := DecisionEvent{Route: route, CacheHit: true}
	if c != nil {
		ev.Issuer = c.Issuer
	}
	if err == nil {
		err = check(c, req, v.now())
	}
	ev.Err, ev.Duration = err, time.Since(start)
	v.hooks.Decided(ctx, ev)
	return err
}
