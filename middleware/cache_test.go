package middleware

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware/jwks"
)

// testClock is a settable Config.Now.
type testClock struct{ ns atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.Set(t)
	return c
}

func (c *testClock) Now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// hits records whether each validation was a cache hit, through Hooks.
type hits struct {
	mu  sync.Mutex
	log []bool
}

func (h *hits) hooks() *Hooks {
	return &Hooks{Validated: func(_ context.Context, ev ValidationEvent) {
		h.mu.Lock()
		h.log = append(h.log, ev.CacheHit)
		h.mu.Unlock()
	}}
}

// last reports whether the last validation was a cache hit.
func (h *hits) last() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.log) > 0 && h.log[len(h.log)-1]
}

// swapKeys is a key source whose key set can be replaced, as a JWKS refresh
// does.
type swapKeys struct{ cur atomic.Pointer[jwks.Static] }

func (s *swapKeys) LookupKey(ctx context.Context, kid string) (*jwks.Key, error) {
	return s.cur.Load().LookupKey(ctx, kid)
}

func (s *swapKeys) set(tb testing.TB, keys ...*jwks.Key) {
	tb.Helper()
	sk, err := jwks.NewStatic(keys...)
	if err != nil {
		tb.Fatal(err)
	}
	s.cur.Store(sk)
}

// mustValidate validates tok, which must be accepted.
func mustValidate(tb testing.TB, v *Validator, tok, what string) *Claims {
	tb.Helper()
	c, err := validate(v, tok)
	if err != nil {
		tb.Fatalf("Validate(%s) = %v, want nil", what, err)
	}
	return c
}

func TestCacheOnlySuccesses(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "EdDSA")
	h := &hits{}
	v := newTestValidator(t, []*testKey{k}, nil, &Config{Hooks: h.hooks()})
	bad := []string{
		resign(k.token(), make([]byte, 64)),
		k.mint(nil, map[string]any{"exp": testNow.Add(-time.Hour).Unix()}),
		k.mint(nil, map[string]any{"aud": "other"}),
		k.mint(map[string]any{"typ": "JWT"}, nil),
	}
	for _, tok := range bad {
		for range 2 {
			if _, err := validate(v, tok); err == nil || h.last() {
				t.Fatalf("Validate(bad token) = %v, hit %v; want an error, no hit", err, h.last())
			}
		}
	}
	if n := v.cache.len(); n != 0 {
		t.Fatalf("cache holds %d entries after refusals, want 0", n)
	}
	tok := k.token()
	first := mustValidate(t, v, tok, "valid token")
	if h.last() || v.cache.len() != 1 {
		t.Fatalf("first Validate: hit %v, cache len %d; want no hit, 1", h.last(), v.cache.len())
	}
	second := mustValidate(t, v, tok, "valid token again")
	if !h.last() || second != first {
		t.Fatalf("second Validate: hit %v, same claims %v; want a hit with the same claims", h.last(), second == first)
	}
	// The same header and payload with another signature is not the cached token.
	forged := resign(tok, append(sigOf(t, tok)[:63:63], sigOf(t, tok)[63]^1))
	_, err := validate(v, forged)
	wantRefused(t, forged, err, ErrBadSignature)
	if h.last() {
		t.Fatal("a forged signature was answered from the cache")
	}
}

func TestCacheExpiry(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "EdDSA")
	exp := testNow.Add(time.Hour)
	nbf := testNow.Add(-time.Minute)
	iat := testNow.Add(-time.Second)
	skew := DefaultClockSkew
	const ns = time.Nanosecond
	type step struct {
		now    time.Time
		reason error // nil: accepted
		hit    bool
	}
	tests := []struct {
		name   string
		claims map[string]any
		steps  []step
	}{
		{"exp and nbf", map[string]any{"exp": exp.Unix(), "nbf": nbf.Unix(), "iat": nil}, []step{
			{testNow, nil, false},
			{testNow, nil, true},
			{exp.Add(skew - ns), nil, true},
			{nbf.Add(-skew), nil, true},
			{nbf.Add(-skew - ns), ErrNotYetValid, false}, // nbf re-checked on the hit
			{testNow, nil, true},
			{exp.Add(skew), ErrExpired, false},
			{testNow, nil, false}, // the expired entry was dropped
			{testNow, nil, true},
		}},
		{"iat", map[string]any{"exp": exp.Unix(), "iat": iat.Unix()}, []step{
			{testNow, nil, false},
			{iat.Add(-skew), nil, true},
			{iat.Add(-skew - ns), ErrNotYetValid, false}, // iat re-checked on the hit
			{testNow, nil, true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := k.mint(nil, tc.claims)
			clock := newTestClock(testNow)
			h := &hits{}
			v := newTestValidator(t, []*testKey{k}, nil, &Config{Now: clock.Now, Hooks: h.hooks()})
			for i, s := range tc.steps {
				clock.Set(s.now)
				_, err := validate(v, tok)
				if s.reason == nil && err != nil {
					t.Fatalf("step %d: Validate at %v = %v, want nil", i, s.now, err)
				}
				if s.reason != nil {
					wantRefused(t, tok, err, s.reason)
				}
				if h.last() != s.hit {
					t.Fatalf("step %d: Validate at %v hit = %v, want %v", i, s.now, h.last(), s.hit)
				}
			}
		})
	}
}

// TestCacheFarExpiry caches a token whose "exp" is in year 9999, beyond
// time.Time.UnixNano's range, and a token without "nbf" or "iat".
func TestCacheFarExpiry(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "EdDSA")
	h := &hits{}
	v := newTestValidator(t, []*testKey{k}, nil, &Config{Hooks: h.hooks()})
	tok := k.mint(nil, map[string]any{"exp": int64(253402300799), "iat": nil})
	for i := range 3 {
		mustValidate(t, v, tok, "token expiring in 9999")
		if h.last() != (i > 0) {
			t.Fatalf("Validate #%d: hit = %v, want %v", i, h.last(), i > 0)
		}
	}
}

func TestCacheRetiredKey(t *testing.T) {
	t.Parallel()
	a := newTestKey(t, "a", "ES256", "ES256")
	b := newTestKey(t, "b", "ES256", "ES256")
	src := &swapKeys{}
	src.set(t, a.key, b.key)
	h := &hits{}
	v := newTestValidator(t, nil, func(is *Issuer) { is.Keys = src }, &Config{Hooks: h.hooks()})
	ta, tb := a.token(), b.token()
	mustValidate(t, v, ta, "a's token")
	mustValidate(t, v, tb, "b's token")
	mustValidate(t, v, ta, "a's token again")
	if !h.last() {
		t.Fatal("a's token again: not a cache hit")
	}
	// The key set drops a, as a JWKS refresh would, and retires it.
	src.set(t, b.key)
	a.key.Retire()
	_, err := validate(v, ta)
	wantRefused(t, ta, err, ErrUnknownKey)
	mustValidate(t, v, tb, "b's token after a left")
	if !h.last() {
		t.Fatal("b's token after a left: not a cache hit")
	}
	if n := v.cache.len(); n != 1 {
		t.Fatalf("cache holds %d entries, want 1 (b's token)", n)
	}
}

// TestCacheRetiredKeyStillServed: a retired key that its source still serves
// verifies the token again, every time.
func TestCacheRetiredKeyStillServed(t *testing.T) {
	t.Parallel()
	a := newTestKey(t, "a", "EdDSA", "")
	h := &hits{}
	v := newTestValidator(t, []*testKey{a}, nil, &Config{Hooks: h.hooks()})
	tok := a.token()
	mustValidate(t, v, tok, "token")
	mustValidate(t, v, tok, "token again")
	if !h.last() {
		t.Fatal("token again: not a cache hit")
	}
	a.key.Retire()
	for range 2 {
		mustValidate(t, v, tok, "token after retirement")
		if h.last() {
			t.Fatal("token after its key retired: cache hit, want a new verification")
		}
	}
}

func TestCacheBounded(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "EdDSA")
	for _, size := range []int{1, 2, 10, 16, 17, 40} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			t.Parallel()
			v := newTestValidator(t, []*testKey{k}, nil, &Config{CacheSize: size})
			for i := range 3*size + 50 {
				tok := k.mint(nil, map[string]any{"jti": fmt.Sprint("flood-", i)})
				if _, err := validate(v, tok); err != nil {
					t.Fatalf("Validate(token %d) = %v, want nil", i, err)
				}
				if n := v.cache.len(); n > size {
					t.Fatalf("after %d tokens the cache holds %d entries, want at most %d", i+1, n, size)
				}
			}
			if n := v.cache.len(); n < size/2 {
				t.Errorf("after the flood the cache holds %d entries, want about %d", n, size)
			}
		})
	}
}

func TestCacheOff(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "EdDSA")
	h := &hits{}
	v := newTestValidator(t, []*testKey{k}, nil, &Config{CacheSize: -1, Hooks: h.hooks()})
	if v.cache != nil {
		t.Fatal("CacheSize -1: the validator has a cache")
	}
	tok := k.token()
	for range 3 {
		mustValidate(t, v, tok, "token")
		if h.last() {
			t.Fatal("CacheSize -1: a cache hit")
		}
	}
	def := newTestValidator(t, []*testKey{k}, nil, nil)
	if def.cache == nil {
		t.Fatal("CacheSize 0: no cache, want the default")
	}
	if n := sumCaps(def.cache); n != DefaultCacheSize {
		t.Fatalf("CacheSize 0: capacity %d, want %d", n, DefaultCacheSize)
	}
}

func sumCaps(c *tokenCache) int {
	n := 0
	for i := range c.shards {
		n += c.shards[i].cap
	}
	return n
}

// TestCacheConcurrent validates valid, invalid and cached tokens from many
// goroutines at once, through a small cache that keeps evicting, while keys
// retire; run it with -race.
func TestCacheConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines, iterations = 64, 40
	a := newTestKey(t, "a", "EdDSA", "")
	b := newTestKey(t, "b", "ES256", "")
	clock := newTestClock(testNow)
	v := newTestValidator(t, []*testKey{a, b}, nil, &Config{CacheSize: 8, Now: clock.Now})
	valid := make([]string, 12)
	for i := range valid {
		valid[i] = []*testKey{a, b}[i%2].mint(nil, map[string]any{"jti": fmt.Sprint("c-", i)})
	}
	invalid := []string{
		resign(valid[0], make([]byte, 64)),
		a.mint(nil, map[string]any{"aud": "other"}),
		a.mint(nil, map[string]any{"exp": testNow.Add(-time.Hour).Unix()}),
		"not-a-token",
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range iterations {
				if g == 0 && i == iterations/2 {
					a.key.Retire() // its source still serves it: tokens verify again
				}
				tok, ok := valid[(g+i)%len(valid)], true
				if i%3 == 2 {
					tok, ok = invalid[(g+i)%len(invalid)], false
				}
				c, err := validate(v, tok)
				if ok && (err != nil || c.Issuer != testIssuer) {
					errs <- fmt.Errorf("Validate(valid token) = %v, %v", c, err)
					return
				}
				if !ok && err == nil {
					errs <- fmt.Errorf("Validate(invalid token %q…) = nil error", tok[:10])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := v.cache.len(); n > 8 {
		t.Errorf("cache holds %d entries, want at most 8", n)
	}
}
