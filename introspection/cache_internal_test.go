package introspection

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
)

// A flood of 100,000 random tokens, active and inactive, never grows either
// cache past its bound.
func TestCacheFloodBound(t *testing.T) {
	for _, size := range []int{1, 255, 256, DefaultCacheSize} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			c := newResultCache(size, time.Hour, time.Hour)
			now := time.Unix(1_750_000_000, 0)
			claims := &middleware.Claims{Subject: "u"}
			var tok [24]byte
			for i := range 100_000 {
				_, _ = rand.Read(tok[:])
				key := hashKey("https://as.example.test/introspect", string(tok[:]))
				if i%2 == 0 {
					c.putActive(key, claims, now)
				} else {
					c.putInactive(key, now)
				}
				if i%10_000 == 0 && (c.active.len() > size || c.inactive.len() > size) {
					t.Fatalf("after %d tokens: sizes %d, %d; want at most %d each", i, c.active.len(), c.inactive.len(), size)
				}
			}
			if a, n := c.active.len(), c.inactive.len(); a > size || n > size || a < size-lruShards || n < size-lruShards {
				t.Errorf("after the flood: sizes %d, %d; want within (%d, %d]", a, n, size-lruShards, size)
			}
		})
	}
}

func TestLRUEvictsLeastRecentlyUsed(t *testing.T) {
	l := newLRU(3)
	key := func(i int) cacheKey { return hashKey("e", fmt.Sprint(i)) }
	for i := range 3 {
		l.put(key(i), nil, 100)
	}
	if _, ok := l.get(key(0), 0); !ok { // 0 becomes the most recent
		t.Fatal("get(0) missed")
	}
	l.put(key(3), nil, 100) // evicts 1
	for i, want := range []bool{true, false, true, true} {
		if _, ok := l.get(key(i), 0); ok != want {
			t.Errorf("get(%d) hit = %v, want %v", i, ok, want)
		}
	}
	if _, ok := l.get(key(0), 100); ok {
		t.Error("get at expiry hit, want miss")
	}
	if n := l.len(); n != 2 {
		t.Errorf("len after expiry = %d, want 2", n)
	}
}

func TestHashKeySeparatesEndpoints(t *testing.T) {
	long := string(make([]byte, 1000))
	pairs := [][2][2]string{
		{{"https://a/x", "tok"}, {"https://b/x", "tok"}},
		{{"https://a/x", "tok"}, {"https://a/x", "tok2"}},
		{{"https://a/x", "tok"}, {"https://a/xt", "ok"}},
		{{"e", long}, {"e", long + "x"}},
	}
	for _, p := range pairs {
		if hashKey(p[0][0], p[0][1]) == hashKey(p[1][0], p[1][1]) {
			t.Errorf("hashKey(%.20q) == hashKey(%.20q)", p[0], p[1])
		}
	}
	if a, b := hashKey("e", long), hashKey("e", strings.Clone(long)); a != b {
		t.Error("hashKey is not deterministic")
	}
}
