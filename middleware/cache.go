package middleware

import (
	"encoding/binary"
	"hash/maphash"
	"math"
	"sync"
	"time"

	"github.com/rsguard/rsguard/middleware/jwks"
)

// tokenCache holds successfully verified JWTs, keyed by a seeded hash of the
// token. A hit needs the whole token to match (compared in constant time), the
// verifying key to be still in its set, and the time claims to hold again; an
// entry never outlives the token's "exp". The cache holds at most its size: a
// full shard evicts an expired, retired or arbitrary entry.
type tokenCache struct {
	seed   maphash.Seed
	n      uint64 // shards in use: min(cacheShards, size)
	shards [cacheShards]cacheShard
}

const cacheShards = 16

type cacheShard struct {
	mu  sync.RWMutex
	m   map[uint64]*cacheEntry
	cap int // entries this shard may hold; the caps add up to the size
}

type cacheEntry struct {
	token    string
	claims   *Claims
	key      *jwks.Key
	notAfter int64 // exp + skew, Unix ns
	notFrom  int64 // max(nbf, iat) - skew, Unix ns
}

// newTokenCache returns a cache of at most size (> 0) entries.
func newTokenCache(size int) *tokenCache {
	c := &tokenCache{seed: maphash.MakeSeed(), n: uint64(min(cacheShards, size))}
	for i := range c.n {
		sh := &c.shards[i]
		sh.cap = size / int(c.n)
		if int(i) < size%int(c.n) {
			sh.cap++
		}
		sh.m = make(map[uint64]*cacheEntry)
	}
	return c
}

func (c *tokenCache) shard(h uint64) *cacheShard { return &c.shards[h%c.n] }

// unixNano is t in Unix nanoseconds, clamped to the int64 range (t.UnixNano
// is undefined before 1678 and after 2262: a zero NotBefore, an "exp" in 9999).
func unixNano(t time.Time) int64 {
	const maxSec = math.MaxInt64/int64(time.Second) - 1
	switch s := t.Unix(); {
	case s > maxSec:
		return math.MaxInt64
	case s < -maxSec:
		return math.MinInt64
	}
	return t.UnixNano()
}

// get returns the cached claims of token if they are still valid at now.
func (c *tokenCache) get(token string, now int64) *Claims {
	h := maphash.String(c.seed, token)
	sh := c.shard(h)
	sh.mu.RLock()
	e := sh.m[h]
	sh.mu.RUnlock()
	if e == nil || !equalConstantTime(e.token, token) {
		return nil
	}
	if e.key.Retired() || now >= e.notAfter {
		sh.mu.Lock()
		if sh.m[h] == e {
			delete(sh.m, h)
		}
		sh.mu.Unlock()
		return nil
	}
	if now < e.notFrom {
		return nil
	}
	return e.claims
}

// put caches the claims of token, verified by key, for use from notFrom until
// before notAfter.
func (c *tokenCache) put(token string, claims *Claims, key *jwks.Key, notFrom, notAfter, now time.Time) {
	h := maphash.String(c.seed, token)
	sh := c.shard(h)
	e := &cacheEntry{token: token, claims: claims, key: key, notAfter: unixNano(notAfter), notFrom: unixNano(notFrom)}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.m[h]; !ok && len(sh.m) >= sh.cap {
		sh.evict(now.UnixNano())
	}
	sh.m[h] = e
}

// evict removes one entry: an expired or retired one among the first few the
// map yields (in random order), else the first. Caller holds the lock.
func (sh *cacheShard) evict(now int64) {
	var victim uint64
	n := 0
	for h, e := range sh.m {
		if n == 0 {
			victim = h
		}
		if e.key.Retired() || now >= e.notAfter {
			victim = h
			break
		}
		if n++; n == 8 {
			break
		}
	}
	delete(sh.m, victim)
}

// len returns the number of entries, for tests.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		c.shards[i].mu.RLock()
		n += len(c.shards[i].m)
		c.shards[i].mu.RUnlock()
	}
	return n
}

// equalConstantTime compares a and b in time that depends on their length
// only, eight bytes at a time.
func equalConstantTime(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var diff uint64
	i := 0
	for ; i+8 <= len(a); i += 8 {
		diff |= binary.LittleEndian.Uint64(bytesOf(a[i:])) ^ binary.LittleEndian.Uint64(bytesOf(b[i:]))
	}
	for ; i < len(a); i++ {
		diff |= uint64(a[i] ^ b[i])
	}
	return diff == 0
}
