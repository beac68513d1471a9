package introspection_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsguard/rsguard/introspection"
)

// memShared is a SharedCache and SharedLocker in memory, recording what it
// is given. (The real store, Redis, is tested in stores/redisstore.)
type memShared struct {
	mu    sync.Mutex
	vals  map[string][]byte
	ttls  map[string]time.Duration
	locks map[string]memLock
	fail  atomic.Bool  // every call fails
	fails atomic.Int64 // calls failed
	sets  atomic.Int64
}

type memLock struct {
	owner string
	until time.Time
}

func newMemShared() *memShared {
	return &memShared{vals: map[string][]byte{}, ttls: map[string]time.Duration{}, locks: map[string]memLock{}}
}

var errStoreDown = errors.New("store down")

func (m *memShared) Get(_ context.Context, key string) ([]byte, error) {
	if m.fail.Load() {
		m.fails.Add(1)
		return nil, errStoreDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.vals[key]), nil
}

func (m *memShared) Set(_ context.Context, key string, v []byte, ttl time.Duration) error {
	if m.fail.Load() {
		m.fails.Add(1)
		return errStoreDown
	}
	m.sets.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.vals[key], m.ttls[key] = bytes.Clone(v), ttl
	return nil
}

func (m *memShared) TryLock(_ context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if m.fail.Load() {
		m.fails.Add(1)
		return false, errStoreDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.locks[key]; ok && time.Now().Before(l.until) {
		return false, nil
	}
	m.locks[key] = memLock{owner, time.Now().Add(ttl)}
	return true, nil
}

func (m *memShared) Unlock(ctx context.Context, key, owner string) error {
	if err := ctx.Err(); err != nil { // as a network store would
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locks[key].owner == owner {
		delete(m.locks, key)
	}
	return nil
}

// only returns the one stored key and value.
func (m *memShared) only(t *testing.T) (string, []byte, time.Duration) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.vals) != 1 {
		t.Fatalf("store holds %d values, want 1", len(m.vals))
	}
	for k, v := range m.vals {
		return k, v, m.ttls[k]
	}
	return "", nil, 0
}

var sharedKey = []byte("k3y-for-the-shared-cache-32bytes!")

// replica returns an introspector of e that shares store, as one replica of
// a resource server would.
func replica(t *testing.T, e *endpoint, store introspection.SharedCache, cfg introspection.Config) *introspection.Introspector {
	t.Helper()
	if cfg.Shared == nil {
		cfg.Shared = &introspection.SharedConfig{Cache: store, Key: sharedKey}
	}
	return newIntrospector(t, e, &cfg)
}

func TestSharedLifetime(t *testing.T) {
	clk := newClock()
	exp := func(d time.Duration) string {
		return fmt.Sprintf(`{"active":true,"sub":"u","exp":%d}`, clk.Now().Add(d).Unix())
	}
	tests := []struct {
		name       string
		body       string
		cfg        introspection.Config
		wantTTL    time.Duration // 0: nothing shared
		wantActive bool
	}{
		{"exp caps the TTL", exp(30 * time.Second), introspection.Config{CacheTTL: time.Minute}, 30 * time.Second, true},
		{"TTL caps exp", exp(time.Hour), introspection.Config{CacheTTL: time.Minute}, time.Minute, true},
		{"no exp: default TTL", `{"active":true,"sub":"u"}`, introspection.Config{}, introspection.DefaultCacheTTL, true},
		{"inactive: negative TTL", `{"active":false}`, introspection.Config{NegativeCacheTTL: 7 * time.Second}, 7 * time.Second, false},
		{"already expired: not shared", exp(-time.Second), introspection.Config{}, 0, true},
		{"active cache off: not shared", exp(time.Hour), introspection.Config{CacheTTL: -1}, 0, true},
		{"negative cache off: not shared", `{"active":false}`, introspection.Config{NegativeCacheTTL: -1}, 0, false},
		{"memory cache off: still shared", exp(time.Hour), introspection.Config{CacheSize: -1}, introspection.DefaultCacheTTL, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t)
			e.set(testToken, tt.body)
			store := newMemShared()
			tt.cfg.Now = clk.Now
			a, b := replica(t, e, store, tt.cfg), replica(t, e, store, tt.cfg)
			_, errA := a.Introspect(context.Background(), testToken)
			_, errB := b.Introspect(context.Background(), testToken)
			if (errA == nil) != tt.wantActive || (errB == nil) != (errA == nil) {
				t.Fatalf("Introspect at A, B = %v, %v; want active %v at both", errA, errB, tt.wantActive)
			}
			if tt.wantTTL == 0 {
				if n := store.sets.Load(); n != 0 {
					t.Errorf("store Set %d times, want 0", n)
				}
				if n := e.calls.Load(); n != 2 {
					t.Errorf("endpoint calls = %d, want 2 (nothing shared)", n)
				}
				return
			}
			if _, _, ttl := store.only(t); ttl != tt.wantTTL {
				t.Errorf("stored TTL = %v, want %v", ttl, tt.wantTTL)
			}
			if n := e.calls.Load(); n != 1 {
				t.Errorf("endpoint calls = %d, want 1 (B read A's result)", n)
			}
		})
	}
}

// TestSharedReuseEnds checks that a replica reading a shared result reuses it
// only until it stops being reusable where it was stored, not for a TTL of
// its own from the read.
func TestSharedReuseEnds(t *testing.T) {
	clk := newClock()
	e := newEndpoint(t)
	e.set(testToken, `{"active":true,"sub":"u"}`)
	store := newMemShared()
	cfg := introspection.Config{Now: clk.Now, CacheTTL: time.Minute}
	a, b := replica(t, e, store, cfg), replica(t, e, store, cfg)
	if _, err := a.Introspect(context.Background(), testToken); err != nil {
		t.Fatal(err)
	}
	clk.Advance(40 * time.Second)
	if c, err := b.Introspect(context.Background(), testToken); err != nil || c.Subject != "u" || e.calls.Load() != 1 {
		t.Fatalf("B after 40s = %v, %v, calls %d; want the shared result, 1 call", c, err, e.calls.Load())
	}
	clk.Advance(20 * time.Second) // 60s after A's request: past the record, though B read it 20s ago
	if _, err := b.Introspect(context.Background(), testToken); err != nil || e.calls.Load() != 2 {
		t.Errorf("B after 60s: %v, calls %d; want a new request (2 calls)", err, e.calls.Load())
	}
}

// TestSharedStoresNoToken checks what the store holds: never the token, and
// with a SealKey no claim in clear either.
func TestSharedStoresNoToken(t *testing.T) {
	for _, seal := range []bool{false, true} {
		t.Run(fmt.Sprintf("sealed=%v", seal), func(t *testing.T) {
			e := newEndpoint(t)
			e.set(testToken, `{"active":true,"sub":"subject-Q7","scope":"orders:read"}`)
			store := newMemShared()
			sc := &introspection.SharedConfig{Cache: store, Key: sharedKey}
			if seal {
				sc.SealKey = bytes.Repeat([]byte{7}, 32)
			}
			in := replica(t, e, store, introspection.Config{Shared: sc})
			if _, err := in.Introspect(context.Background(), testToken); err != nil {
				t.Fatal(err)
			}
			k, v, _ := store.only(t)
			if strings.Contains(k, testToken) || bytes.Contains(v, []byte(testToken)) {
				t.Errorf("store holds the token: key %q, value %q", k, v)
			}
			if len(k) != 43 {
				t.Errorf("key %q: length %d, want 43 (base64url of an HMAC-SHA256)", k, len(k))
			}
			if got := bytes.Contains(v, []byte("subject-Q7")); got == seal {
				t.Errorf("value %q holds the claims in clear: %v, want %v", v, got, !seal)
			}
		})
	}
}

// TestSharedForgery checks that a record changed in the store, moved to
// another token's key, or written under another Key is ignored: the
// endpoint is asked and its answer wins.
func TestSharedForgery(t *testing.T) {
	const other = "opaque-other-token"
	tests := []struct {
		name   string
		seal   bool
		tamper func(m *memShared, victim, forged string)
	}{
		{"flipped byte", false, func(m *memShared, victim, _ string) { m.vals[victim][len(m.vals[victim])/2] ^= 1 }},
		{"flipped byte, sealed", true, func(m *memShared, victim, _ string) { m.vals[victim][len(m.vals[victim])/2] ^= 1 }},
		{"truncated", false, func(m *memShared, victim, _ string) { m.vals[victim] = m.vals[victim][:5] }},
		{"moved to another key", false, func(m *memShared, victim, forged string) { m.vals[victim] = m.vals[forged] }},
		{"moved to another key, sealed", true, func(m *memShared, victim, forged string) { m.vals[victim] = m.vals[forged] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t)
			e.set(testToken, `{"active":true,"sub":"admin","scope":"admin"}`)
			e.set(other, `{"active":false}`)
			store := newMemShared()
			sc := &introspection.SharedConfig{Cache: store, Key: sharedKey}
			if tt.seal {
				sc.SealKey = bytes.Repeat([]byte{9}, 16)
			}
			a := replica(t, e, store, introspection.Config{Shared: sc})
			b := replica(t, e, store, introspection.Config{Shared: sc})
			_, _ = a.Introspect(context.Background(), testToken)
			_, _ = a.Introspect(context.Background(), other)
			keys := storedKeys(store)
			// The forged record is the admin token's; the victim the other's.
			store.mu.Lock()
			var victim, forged string
			for _, k := range keys {
				if store.ttls[k] == introspection.DefaultNegativeCacheTTL {
					victim = k
				} else {
					forged = k
				}
			}
			tt.tamper(store, victim, forged)
			store.mu.Unlock()
			_, err := b.Introspect(context.Background(), other)
			checkInactive(t, err)
			if n := e.calls.Load(); n != 3 {
				t.Errorf("endpoint calls = %d, want 3 (the tampered record ignored)", n)
			}
		})
	}
	t.Run("another Key", func(t *testing.T) {
		e := newEndpoint(t)
		e.set(testToken, `{"active":true,"sub":"u"}`)
		store := newMemShared()
		a := replica(t, e, store, introspection.Config{})
		b := replica(t, e, store, introspection.Config{Shared: &introspection.SharedConfig{
			Cache: store, Key: bytes.Repeat([]byte("x"), 32)}})
		_, _ = a.Introspect(context.Background(), testToken)
		if _, err := b.Introspect(context.Background(), testToken); err != nil || e.calls.Load() != 2 {
			t.Errorf("B with another Key: %v, calls %d; want its own request (2)", err, e.calls.Load())
		}
	})
}

func storedKeys(m *memShared) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.vals {
		keys = append(keys, k)
	}
	return keys
}

// TestSharedStoreDown checks that a failing store is skipped: the endpoint
// answers, never an error of the store's, and the store is tried once per
// lookup, so that a slow store delays a request by one timeout at most.
func TestSharedStoreDown(t *testing.T) {
	e := newEndpoint(t)
	e.set(testToken, `{"active":true,"sub":"u"}`)
	store := newMemShared()
	store.fail.Store(true)
	a, b := replica(t, e, store, introspection.Config{}), replica(t, e, store, introspection.Config{})
	for i, in := range []*introspection.Introspector{a, b} {
		if c, err := in.Introspect(context.Background(), testToken); err != nil || c.Subject != "u" {
			t.Errorf("replica %d with the store down = %v, %v; want the endpoint's claims", i, c, err)
		}
	}
	if n := e.calls.Load(); n != 2 {
		t.Errorf("endpoint calls = %d, want 2 (one per replica)", n)
	}
	if n := store.fails.Load(); n != 2 {
		t.Errorf("store calls = %d, want 2 (one per lookup)", n)
	}
}
