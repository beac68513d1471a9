package introspection

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/rsguard/rsguard/middleware"
)

// sharedFetch resolves token through the shared cache: a fresh record there
// answers; otherwise the replica holding the token's lock asks the endpoint
// and stores the result, while the others wait for it. A store failure
// leads to the endpoint, never to an error of its own, and ends the store's
// part in this lookup, so that a slow store delays it once at most.
func (in *Introspector) sharedFetch(ctx context.Context, token string, key cacheKey) (*middleware.Claims, error) {
	s := in.shared
	name := s.name(in.endpoint, token)
	start := time.Now()
	c, hit, down, err := in.sharedGet(ctx, name, key)
	owner := ""
	if !hit && !down && s.locker != nil {
		owner, c, hit, down, err = in.await(ctx, name, key)
	}
	if hit {
		in.introspected(ctx, middleware.IntrospectionEvent{
			Endpoint: in.endpoint, CacheHit: true, Active: err == nil, Err: err, Duration: time.Since(start),
		})
		return c, err
	}
	c, err = in.ask(ctx, token, key)
	if !down {
		s.put(ctx, name, c, err, in.now())
	}
	if owner != "" {
		// Even when every caller has given up: the others are waiting.
		_ = s.locker.Unlock(context.WithoutCancel(ctx), name, owner)
	}
	return c, err
}

// Poll intervals of a replica waiting for another's result.
const (
	pollFirst = time.Millisecond
	pollMax   = 32 * time.Millisecond
)

// await takes the lock of name, returning its owner string, or waits (at
// most s.wait) for the result of the replica that holds it, returning that
// result with hit true. It returns neither when the wait ends, or when the
// store fails (down): the caller then asks the endpoint unlocked. Having
// taken the lock it looks once more, since the previous holder may have
// stored its result and unlocked after this replica's first look.
func (in *Introspector) await(ctx context.Context, name string, key cacheKey) (owner string, c *middleware.Claims, hit, down bool, err error) {
	s := in.shared
	owner = rand.Text()
	deadline := time.Now().Add(s.wait)
	for delay := pollFirst; ; delay = min(2*delay, pollMax) {
		ok, lerr := s.locker.TryLock(ctx, name, owner, s.wait)
		switch {
		case lerr != nil:
			return "", nil, false, true, nil
		case ok:
			if c, hit, down, err = in.sharedGet(ctx, name, key); hit || down {
				_ = s.locker.Unlock(context.WithoutCancel(ctx), name, owner)
				return "", c, hit, down, err
			}
			return owner, nil, false, false, nil
		}
		if !sleep(ctx, min(delay, time.Until(deadline))) {
			return "", nil, false, false, nil
		}
		if c, hit, down, err = in.sharedGet(ctx, name, key); hit || down {
			return "", c, hit, down, err
		}
	}
}

// sleep waits for d, reporting false at once if d is not positive or when
// ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// sharedGet returns the result stored under name if it is authentic and
// fresh, caching it in memory until it stops being reusable; down reports
// that the store failed.
func (in *Introspector) sharedGet(ctx context.Context, name string, key cacheKey) (c *middleware.Claims, hit, down bool, err error) {
	v, gerr := in.shared.cache.Get(ctx, name)
	if gerr != nil || v == nil {
		return nil, false, gerr != nil, nil
	}
	kind, until, body, ok := in.shared.decode(name, v)
	now := in.now()
	if !ok || !until.After(now) {
		return nil, false, false, nil
	}
	switch kind {
	case kindInactive:
		in.cache.putUntil(key, nil, until, now)
		return nil, true, false, errInactive
	case kindActive:
		if c, err := parseResponse(body, in.scopeClaim); err == nil {
			in.cache.putUntil(key, c, until, now)
			return c, true, false, nil
		}
	}
	return nil, false, false, nil
}

// put stores the endpoint's answer (c, err) under name: an active result
// until the earlier of now + activeTTL and its "exp", an inactive one for
// negativeTTL, nothing else.
func (s *shared) put(ctx context.Context, name string, c *middleware.Claims, err error, now time.Time) {
	var kind byte
	var until time.Time
	var body []byte
	switch {
	case err == nil && s.activeTTL > 0:
		kind, until, body = kindActive, now.Add(s.activeTTL), c.Raw()
		if !c.ExpiresAt.IsZero() && c.ExpiresAt.Before(until) {
			until = c.ExpiresAt
		}
	case errors.Is(err, middleware.ErrInactive) && s.negativeTTL > 0:
		kind, until = kindInactive, now.Add(s.negativeTTL)
	default:
		return
	}
	if ttl := until.Sub(now).Truncate(time.Millisecond); ttl >= time.Millisecond {
		_ = s.cache.Set(ctx, name, s.encode(name, kind, until, body), ttl)
	}
}

// putUntil caches a result read from the shared cache (claims nil: inactive)
// until the instant the record stops being reusable, never longer than this
// replica's own TTL from now.
func (c *resultCache) putUntil(key cacheKey, claims *middleware.Claims, until, now time.Time) {
	if c == nil {
		return
	}
	l, ttl := c.active, c.activeTTL
	if claims == nil {
		l, ttl = c.inactive, c.negativeTTL
	}
	if l == nil {
		return
	}
	if limit := now.Add(ttl); until.After(limit) {
		until = limit
	}
	l.put(key, claims, until.UnixNano())
}
