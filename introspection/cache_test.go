package introspection_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
)

// introspectAt introspects token at the clock's time and returns the
// endpoint's call count afterwards.
func introspectAt(t *testing.T, in *introspection.Introspector, e *endpoint, token string) (*middleware.Claims, int64, error) {
	t.Helper()
	c, err := in.Introspect(context.Background(), token)
	return c, e.calls.Load(), err
}

func TestCacheLifetime(t *testing.T) {
	clk := newClock()
	exp := func(d time.Duration) string {
		return fmt.Sprintf(`{"active":true,"sub":"u","exp":%d}`, clk.Now().Add(d).Unix())
	}
	tests := []struct {
		name     string
		body     string
		ttl      time.Duration
		lifetime time.Duration // how long the result is reused
	}{
		{"exp caps the TTL", exp(30 * time.Second), time.Minute, 30 * time.Second},
		{"TTL caps exp", exp(time.Hour), time.Minute, time.Minute},
		{"no exp: TTL", `{"active":true,"sub":"u"}`, 2 * time.Minute, 2 * time.Minute},
		{"default TTL", exp(time.Hour), 0, introspection.DefaultCacheTTL},
		{"already expired: not cached", exp(-time.Second), time.Minute, 0},
		{"cache off", exp(time.Hour), -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := guardtest.ClockAt(clk.Now())
			e := newEndpoint(t)
			e.set(testToken, tt.body)
			in := newIntrospector(t, e, &introspection.Config{Now: clk.Now, CacheTTL: tt.ttl})
			if _, n, err := introspectAt(t, in, e, testToken); err != nil || n != 1 {
				t.Fatalf("first Introspect = %v, calls %d; want nil, 1", err, n)
			}
			if tt.lifetime > 0 {
				clk.Advance(tt.lifetime - time.Nanosecond)
				if c, n, err := introspectAt(t, in, e, testToken); err != nil || n != 1 || c.Subject != "u" {
					t.Errorf("Introspect just before %v = %v, %v, calls %d; want cached claims, 1 call", tt.lifetime, c, err, n)
				}
			}
			clk.Advance(time.Nanosecond)
			if _, n, _ := introspectAt(t, in, e, testToken); n != 2 {
				t.Errorf("Introspect at %v: calls = %d, want 2 (entry expired)", tt.lifetime, n)
			}
		})
	}
}

func TestNegativeCache(t *testing.T) {
	tests := []struct {
		name     string
		ttl      time.Duration
		lifetime time.Duration
	}{
		{"default", 0, introspection.DefaultNegativeCacheTTL},
		{"configured", 3 * time.Second, 3 * time.Second},
		{"off", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			e := newEndpoint(t) // unknown tokens are inactive
			in := newIntrospector(t, e, &introspection.Config{Now: clk.Now, NegativeCacheTTL: tt.ttl})
			_, n, err := introspectAt(t, in, e, "revoked")
			checkInactive(t, err)
			if n != 1 {
				t.Fatalf("calls = %d, want 1", n)
			}
			if tt.lifetime > 0 {
				clk.Advance(tt.lifetime - time.Nanosecond)
				_, n, err := introspectAt(t, in, e, "revoked")
				checkInactive(t, err)
				if n != 1 {
					t.Errorf("Introspect just before %v: calls = %d, want 1 (negative cache)", tt.lifetime, n)
				}
			}
			clk.Advance(time.Nanosecond)
			_, n, err = introspectAt(t, in, e, "revoked")
			checkInactive(t, err)
			if n != 2 {
				t.Errorf("Introspect at %v: calls = %d, want 2", tt.lifetime, n)
			}
		})
	}
}

// The cache holds results, keyed by token: a different token is a different
// entry, and an inactive answer for one never hides another's.
func TestCacheKeyedByToken(t *testing.T) {
	e := newEndpoint(t)
	e.set("tok-a", `{"active":true,"sub":"a"}`)
	e.set("tok-b", `{"active":true,"sub":"b"}`)
	in := newIntrospector(t, e, nil)
	for i := range 3 {
		for _, tok := range []string{"tok-a", "tok-b"} {
			c, err := in.Introspect(context.Background(), tok)
			if err != nil || c.Subject != tok[len(tok)-1:] {
				t.Fatalf("round %d: Introspect(%q) = %v, %v", i, tok, c, err)
			}
		}
		checkInactive(t, func() error { _, err := in.Introspect(context.Background(), "tok-c"); return err }())
	}
	if n := e.calls.Load(); n != 3 {
		t.Errorf("calls = %d, want 3 (one per token)", n)
	}
}

// Failures are never cached: the next request tries again.
func TestOutageNotCached(t *testing.T) {
	e := newEndpoint(t)
	e.set(testToken, `{"active":true,"sub":"u"}`)
	in := newIntrospector(t, e, nil)
	e.fail(http.StatusServiceUnavailable, nil)
	for i := 1; i <= 3; i++ {
		_, n, err := introspectAt(t, in, e, testToken)
		checkUnavailable(t, err, testToken)
		if n != int64(i) {
			t.Errorf("attempt %d: calls = %d, want %d", i, n, i)
		}
	}
	e.fail(0, nil)
	if c, err := in.Introspect(context.Background(), testToken); err != nil || c.Subject != "u" {
		t.Errorf("Introspect after recovery = %v, %v; want claims", c, err)
	}
}

func TestOutageServesCachedTokens(t *testing.T) {
	clk := newClock()
	e := newEndpoint(t)
	e.set("cached", `{"active":true,"sub":"u"}`)
	e.set("uncached", `{"active":true,"sub":"v"}`)
	in := newIntrospector(t, e, &introspection.Config{Now: clk.Now, CacheTTL: time.Minute})
	if _, err := in.Introspect(context.Background(), "cached"); err != nil {
		t.Fatal(err)
	}
	checkInactive(t, func() error { _, err := in.Introspect(context.Background(), "inactive"); return err }())

	outages := []struct {
		name  string
		start func()
	}{
		{"status 500", func() { e.fail(http.StatusInternalServerError, []byte("boom")) }},
		{"garbage", func() { e.fail(0, []byte("not json")) }},
		{"closed", func() { e.Close() }}, // last: the server does not come back
	}
	for _, o := range outages {
		t.Run(o.name, func(t *testing.T) {
			o.start()
			if c, err := in.Introspect(context.Background(), "cached"); err != nil || c.Subject != "u" {
				t.Errorf("Introspect(cached) during outage = %v, %v; want the cached claims", c, err)
			}
			checkInactive(t, func() error { _, err := in.Introspect(context.Background(), "inactive"); return err }())
			_, err := in.Introspect(context.Background(), "uncached")
			checkUnavailable(t, err, "uncached")
		})
	}
	clk.Advance(time.Minute)
	_, err := in.Introspect(context.Background(), "cached")
	checkUnavailable(t, err, "cached")
}

func TestCacheBoundUnderFlood(t *testing.T) {
	const size, flood = 64, 2_000
	clk := newClock()
	e := newEndpoint(t)
	e.set("good", `{"active":true,"sub":"good"}`)
	in := newIntrospector(t, e, &introspection.Config{Now: clk.Now, CacheSize: size})
	if _, err := in.Introspect(context.Background(), "good"); err != nil {
		t.Fatal(err)
	}
	for i := range flood {
		_, err := in.Introspect(context.Background(), fmt.Sprintf("random-%d", i))
		checkInactive(t, err)
	}
	calls := e.calls.Load()
	if calls != flood+1 {
		t.Errorf("calls = %d, want %d", calls, flood+1)
	}
	// The flood of inactive tokens did not evict the active entry.
	if c, err := in.Introspect(context.Background(), "good"); err != nil || c.Subject != "good" || e.calls.Load() != calls {
		t.Errorf("Introspect(good) after flood = %v, %v, calls %d; want cached claims, %d calls", c, err, e.calls.Load(), calls)
	}
	// The most recent inactive tokens are cached, the oldest evicted.
	_, _ = in.Introspect(context.Background(), fmt.Sprintf("random-%d", flood-1))
	if e.calls.Load() != calls {
		t.Errorf("most recent inactive token was not cached")
	}
	_, _ = in.Introspect(context.Background(), "random-0")
	if e.calls.Load() != calls+1 {
		t.Errorf("oldest inactive token still cached after %d newer ones with CacheSize %d", flood, size)
	}
}
