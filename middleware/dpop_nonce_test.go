package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDPoPNonce checks each nonce path (RFC 9449 §9): no nonce, a wrong
// one, the current one, the previous step's, one two steps old, one made
// with another secret.
func TestDPoPNonce(t *testing.T) {
	tk := keyFor(t, "ES256")
	c := newDPoPClient(t, "ES256")
	token := c.boundToken(tk)
	secret := []byte("0123456789abcdef0123456789abcdef")
	key, err := NewNonceKey(secret, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := NewNonceKey([]byte("another secret, also 32 bytes ok"), time.Minute)
	v := dpopValidator(t, "ES256", DPoPAllowed, &Config{DPoP: DPoPConfig{Nonce: key}})
	cur := v.DPoPNonce()
	if cur == "" || cur != key.Nonce(testNow) {
		t.Fatalf("DPoPNonce() = %q, want the key's nonce at testNow %q", cur, key.Nonce(testNow))
	}
	prev, old := key.Nonce(testNow.Add(-time.Minute)), key.Nonce(testNow.Add(-2*time.Minute))
	if prev == cur || old == prev || old == cur || otherKey.Nonce(testNow) == cur {
		t.Fatal("nonces of different steps or secrets are equal")
	}
	tests := []struct {
		name   string
		nonce  any
		reason error
	}{
		{"current", cur, nil},
		{"previous_step", prev, nil},
		{"missing", nil, ErrUseDPoPNonce},
		{"two_steps_old", old, ErrUseDPoPNonce},
		{"other_secret", otherKey.Nonce(testNow), ErrUseDPoPNonce},
		{"truncated", cur[:len(cur)-1], ErrUseDPoPNonce},
		{"not_a_string", 42, ErrDPoPMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Authenticate(context.Background(), dpopCred(token, c.proof(token, nil, map[string]any{"nonce": tt.nonce})))
			if tt.reason == nil {
				if err != nil {
					t.Fatalf("Authenticate = %v, want accepted", err)
				}
				return
			}
			if !errors.Is(err, tt.reason) {
				t.Fatalf("Authenticate = %v, want %v", err, tt.reason)
			}
			if tt.reason == ErrUseDPoPNonce && AsError(err).Code() != CodeUseDPoPNonce {
				t.Errorf("Code() = %q, want %q", AsError(err).Code(), CodeUseDPoPNonce)
			}
		})
	}
	if s := fmt.Sprintf("%v %+v %#v %+v %#v %v %+v %#v", key, key, key, DPoPConfig{Nonce: key}, &Config{DPoP: DPoPConfig{Nonce: key}}, v, v, v); strings.Contains(s, string(secret)) || strings.Contains(s, fmt.Sprint([]byte(secret))) || strings.Contains(s, fmt.Sprintf("%#v", []byte(secret))) {
		t.Errorf("the nonce key prints its secret: %s", s)
	}
	if _, err := NewNonceKey(secret[:31], 0); err == nil {
		t.Error("NewNonceKey accepted a 31-byte secret")
	}
}

// TestNormalizeHTU checks the RFC 3986 §6.2.2–6.2.3 normalizations, and that
// different resources stay different.
func TestNormalizeHTU(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.example.test/orders", "https://api.example.test/orders"},
		{"HTTPS://API.Example.Test/orders", "https://api.example.test/orders"},
		{"https://api.example.test:443/orders", "https://api.example.test/orders"},
		{"http://api.example.test:80/orders", "http://api.example.test/orders"},
		{"http://api.example.test:443/orders", "http://api.example.test:443/orders"},
		{"https://api.example.test:/orders", "https://api.example.test/orders"},
		{"https://api.example.test:08443/orders", "https://api.example.test:8443/orders"},
		{"https://api.example.test", "https://api.example.test/"},
		{"https://api.example.test/a/./b/../c", "https://api.example.test/a/c"},
		{"https://api.example.test/a/%2e%2E/c", "https://api.example.test/c"},
		{"https://api.example.test/%7euser/%41", "https://api.example.test/~user/A"},
		{"https://api.example.test/a%2fb", "https://api.example.test/a%2Fb"},
		{"https://api.example.test/a%2Fb?x#y", "https://api.example.test/a%2Fb"},
		{"https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"},
		{"https://api.example.test/Orders", "https://api.example.test/Orders"},
		{"https://api.example.test/../..", "https://api.example.test/"},
	}
	for _, tt := range tests {
		got, err := NormalizeHTU(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeHTU(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if again, _ := NormalizeHTU(got); again != got {
			t.Errorf("NormalizeHTU(%q) = %q, not idempotent", got, again)
		}
	}
	for _, bad := range []string{
		"", "/orders", "ftp://api.example.test/", "https://", "https:///x", "https://user@api.example.test/",
		"https://api.example.test/a b", "https://api.example.test/%zz", "https://api.example.test/%4",
		"https://api.example.test:99999/", "https://api.example.test:x/", "https://[::1/", "https://[fe80::1%25eth0]/",
		"https://api.example.test/\u00e9",
	} {
		if got, err := NormalizeHTU(bad); err == nil {
			t.Errorf("NormalizeHTU(%q) = %q, want an error", bad, got)
		}
		if SameHTU(bad, bad) {
			t.Errorf("SameHTU(%q, itself) = true, want false for an invalid URI", bad)
		}
	}
	if SameHTU("https://a.example.test/x", "https://a.example.test/X") {
		t.Error("paths differing in case compare equal")
	}
	if _, err := url.Parse("https://api.example.test/a%2Fb"); err != nil {
		t.Fatal(err)
	}
}

// TestMemoryReplayStore checks the in-memory store: replay detection,
// expiry, a client's quota evicting only its own entries, and the capacity
// failing closed.
func TestMemoryReplayStore(t *testing.T) {
	ctx := context.Background()
	now := testNow
	clock := func() time.Time { return now }
	s := NewMemoryReplayStore(&MemoryReplayConfig{Quota: 3, Capacity: 32 * 4, Now: clock})
	use := func(key string) bool {
		t.Helper()
		r, err := s.Use(ctx, key, now.Add(time.Minute))
		if err != nil {
			t.Fatalf("Use(%q): %v", key, err)
		}
		return r
	}
	if use("victim:1") || !use("victim:1") {
		t.Fatal("first use reported replayed, or second not")
	}
	for i := range 10 {
		use(fmt.Sprintf("attacker:%d", i))
	}
	if !use("victim:1") {
		t.Fatal("another client's flood evicted the victim's entry")
	}
	if use("attacker:0") {
		t.Fatal("the flooding client's oldest entry survived its quota")
	}
	now = now.Add(time.Minute)
	if use("victim:1") {
		t.Fatal("an expired entry is still reported")
	}

	full := NewMemoryReplayStore(&MemoryReplayConfig{Capacity: 1, Now: clock})
	var failed int
	for i := range 200 {
		if _, err := full.Use(ctx, fmt.Sprintf("c%d:x", i), now.Add(time.Minute)); errors.Is(err, ErrReplayStoreFull) {
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("a full store accepted every entry")
	}
	now = now.Add(2 * time.Minute)
	if _, err := full.Use(ctx, "late:x", now.Add(time.Minute)); err != nil {
		t.Fatalf("after expiry, Use = %v, want room", err)
	}
}

// TestMemoryReplayStoreConcurrent uses one key from many goroutines, many
// times: exactly one use per key reports not replayed.
func TestMemoryReplayStoreConcurrent(t *testing.T) {
	s := NewMemoryReplayStore(nil)
	until := time.Now().Add(time.Hour)
	const keys, goroutines = 50, 40
	fresh := make([]int, keys)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range keys {
				r, err := s.Use(context.Background(), fmt.Sprintf("client%d:%d", k%7, k), until)
				if err != nil {
					t.Error(err)
					return
				}
				if !r {
					mu.Lock()
					fresh[k]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for k, n := range fresh {
		if n != 1 {
			t.Errorf("key %d reported fresh %d times, want 1", k, n)
		}
	}
}

// TestMemoryReplayStoreMemory measures the memory per entry that
// MemoryReplayStore documents (about 150 bytes).
func TestMemoryReplayStoreMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates")
	}
	const n = 50_000
	var key [replayKeyLen]byte
	clients := make([]string, 500)
	for i := range clients {
		clients[i] = fmt.Sprintf("%043d", i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := NewMemoryReplayStore(&MemoryReplayConfig{Capacity: n * 2})
	until := time.Now().Add(time.Hour)
	for i := range n {
		s.Use(context.Background(), replayKey(&key, clients[i%len(clients)], fmt.Sprint(i)), until)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("memory per entry: %.0f bytes (keys included)", per)
	if per > 250 {
		t.Errorf("memory per entry = %.0f bytes, documented about 150", per)
	}
	runtime.KeepAlive(s)
}
