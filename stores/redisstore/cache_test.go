package redisstore_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/stores/redisstore"
)

func newCache(t testing.TB, c redis.UniversalClient, cfg *redisstore.Config) *redisstore.IntrospectionCache {
	t.Helper()
	return newStore(t, "NewIntrospectionCache", redisstore.NewIntrospectionCache, c, cfg)
}

func TestCacheGetSet(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	cache := newCache(t, c, &redisstore.Config{MaxValueSize: 100, Timeout: testTimeout})
	ctx := context.Background()
	if v, err := cache.Get(ctx, "k"); v != nil || err != nil {
		t.Errorf("Get(missing) = %q, %v; want nil, nil", v, err)
	}
	if err := cache.Set(ctx, "k", []byte("value"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, err := cache.Get(ctx, "k"); string(v) != "value" || err != nil {
		t.Errorf("Get = %q, %v; want value", v, err)
	}
	keys := c.Keys(ctx, "*").Val()
	if len(keys) != 1 || !strings.HasPrefix(keys[0], "rsguard:intro:") || len(keys[0]) != len("rsguard:intro:")+43 {
		t.Errorf("keys = %q, want one rsguard:intro: key and 43 characters", keys)
	}
	if ttl := c.PTTL(ctx, keys[0]).Val(); ttl <= 59*time.Second || ttl > time.Minute {
		t.Errorf("PTTL = %v, want about 1m", ttl)
	}
	// A value beyond MaxValueSize, written by someone else, is read cut
	// short (and then fails authentication in the introspector).
	if err := cache.Set(ctx, "big", bytes.Repeat([]byte("x"), 10_000), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, err := cache.Get(ctx, "big"); len(v) != 100 || err != nil {
		t.Errorf("Get(big) = %d bytes, %v; want 100 (MaxValueSize)", len(v), err)
	}
	if err := cache.Set(ctx, "short", []byte("v"), 30*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)
	if v, err := cache.Get(ctx, "short"); v != nil || err != nil {
		t.Errorf("Get after the TTL = %q, %v; want nil", v, err)
	}
}

func TestCacheLock(t *testing.T) {
	srv := startRedis(t)
	a, b := newCache(t, srv.client(t), nil), newCache(t, srv.client(t), nil)
	ctx := context.Background()
	steps := []struct {
		name string
		do   func() (bool, error)
		want bool
	}{
		{"A locks", func() (bool, error) { return a.TryLock(ctx, "k", "owner-a", time.Minute) }, true},
		{"B cannot", func() (bool, error) { return b.TryLock(ctx, "k", "owner-b", time.Minute) }, false},
		{"B's unlock does nothing", func() (bool, error) { return true, b.Unlock(ctx, "k", "owner-b") }, true},
		{"B still cannot", func() (bool, error) { return b.TryLock(ctx, "k", "owner-b", time.Minute) }, false},
		{"the lock is not the value", func() (bool, error) { v, err := a.Get(ctx, "k"); return v == nil, err }, true},
		{"A unlocks", func() (bool, error) { return true, a.Unlock(ctx, "k", "owner-a") }, true},
		{"B locks", func() (bool, error) { return b.TryLock(ctx, "k", "owner-b", 30*time.Millisecond) }, true},
		{"expired: A locks", func() (bool, error) {
			time.Sleep(60 * time.Millisecond)
			return a.TryLock(ctx, "k", "owner-a", time.Minute)
		}, true},
	}
	for _, st := range steps {
		if got, err := st.do(); got != st.want || err != nil {
			t.Fatalf("%s: %v, %v; want %v", st.name, got, err, st.want)
		}
	}
}

// TestCacheConcurrentLock has many goroutines of several replicas take one
// lock at once: exactly one gets it.
func TestCacheConcurrentLock(t *testing.T) {
	const replicas, each = 4, 16
	srv := startRedis(t)
	var got atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range replicas {
		cache := newCache(t, srv.client(t), nil)
		for range each {
			wg.Go(func() {
				<-start
				ok, err := cache.TryLock(context.Background(), "k", "o", time.Minute)
				if err != nil {
					t.Error(err)
				}
				if ok {
					got.Add(1)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	if n := got.Load(); n != 1 {
		t.Errorf("%d callers got the lock, want 1", n)
	}
}

// TestStoredLayout introspects a token through the cache and checks what
// Redis holds, and how much memory each kind of entry takes (MEMORY USAGE),
// the figures of the README.
func TestStoredLayout(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	ctx := context.Background()
	as := oauthtest.NewServer(&oauthtest.Config{Clients: []oauthtest.Client{{ID: rsClientID, Secret: rsClientSecret}}})
	t.Cleanup(as.Close)
	token := as.OpaqueToken(oauthtest.TokenOptions{Subject: "subject-Q7", Scopes: []string{"orders:read", "orders:write"}})
	for _, seal := range []bool{false, true} {
		_ = c.FlushAll(ctx)
		sc := &introspection.SharedConfig{Cache: newCache(t, c, nil), Key: bytes.Repeat([]byte("k"), 32)}
		if seal {
			sc.SealKey = bytes.Repeat([]byte("s"), 32)
		}
		in, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic(rsClientID, rsClientSecret),
			&introspection.Config{Shared: sc})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := in.Introspect(ctx, token); err != nil {
			t.Fatal(err)
		}
		keys := c.Keys(ctx, "*").Val()
		if len(keys) != 1 || !strings.HasPrefix(keys[0], "rsguard:intro:") {
			t.Fatalf("keys = %q, want one rsguard:intro: key (the lock released)", keys)
		}
		v := c.Get(ctx, keys[0]).Val()
		if strings.Contains(keys[0]+v, token) {
			t.Errorf("Redis holds the token")
		}
		if got := strings.Contains(v, "subject-Q7"); got == seal {
			t.Errorf("sealed %v: claims in clear %v", seal, got)
		}
		t.Logf("introspection entry, sealed %v: %d-byte value, MEMORY USAGE %d bytes",
			seal, len(v), c.MemoryUsage(ctx, keys[0]).Val())
	}
	_ = c.FlushAll(ctx)
	replay := newReplayStore(t, c, nil)
	if _, err := replay.Use(ctx, strings.Repeat("j", 64), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	key := c.Keys(ctx, "*").Val()[0]
	usage := c.MemoryUsage(ctx, key).Val()
	t.Logf("DPoP replay entry: key %d bytes, value %d bytes, MEMORY USAGE %d bytes", len(key), len(c.Get(ctx, key).Val()), usage)
	if usage > 160 {
		t.Errorf("DPoP replay entry: MEMORY USAGE %d bytes, want at most 160", usage)
	}
}

// TestClientKinds runs both stores through each kind of go-redis client
// that can talk to a single server: the plain client, the universal one and
// a one-shard Ring (Cluster and Sentinel need servers of their kind; their
// clients are the same UniversalClient to the stores).
func TestClientKinds(t *testing.T) {
	srv := startRedis(t)
	clients := []struct {
		name   string
		client redis.UniversalClient
	}{
		{"Client", redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: true})},
		{"UniversalClient", redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{srv.Addr}, ContextTimeoutEnabled: true})},
		{"Ring", redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"one": srv.Addr}, ContextTimeoutEnabled: true})},
	}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			t.Cleanup(func() { _ = c.client.Close() })
			ctx := context.Background()
			replay := newReplayStore(t, c.client, &redisstore.Config{Prefix: c.name + ":", Timeout: testTimeout})
			until := time.Now().Add(time.Minute)
			first, err1 := replay.Use(ctx, "k", until)
			again, err2 := replay.Use(ctx, "k", until)
			if first || !again || err1 != nil || err2 != nil {
				t.Errorf("Use twice = %v, %v then %v, %v; want false then true", first, err1, again, err2)
			}
			cache := newCache(t, c.client, &redisstore.Config{Prefix: c.name + ":", Timeout: testTimeout})
			ok1, err1 := cache.TryLock(ctx, "k", "o", time.Minute)
			err2 = cache.Unlock(ctx, "k", "o")
			ok2, err3 := cache.TryLock(ctx, "k", "o", time.Minute)
			if !ok1 || !ok2 || firstErr(err1, err2, err3) != nil {
				t.Errorf("TryLock, Unlock, TryLock = %v, %v, %v (%v)", ok1, err2, ok2, firstErr(err1, err2, err3))
			}
		})
	}
}
