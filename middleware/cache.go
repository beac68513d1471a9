package middleware

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
)

// tokenCache holds successfully verified JWTs, keyed by a seeded hash of the
// token. A hit needs the whole token to match (compared in constant time), the
// verifying key to be still in its set, and the time claims to hold again; an
// entry never outlives the token's "exp". The cache is bounded: a full shard
// evicts an expired, retired or arbitrary entry.
type tokenCache struct {
	seed     maphash.Seed
	perShard int
	shards   [cacheShards]cacheShard
}

const cacheShards = 16

type cacheShard struct {
	mu sync.RWMutex
	m  map[uint64]*cacheEntry
}

type cacheEntry struct {
	token    string
	claims   *Claims
	key      *Key
	notAfter int64 // exp + skew, Unix ns
	notFrom  int64 // nbf - skew, Unix ns
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{seed: maphash.MakeSeed(), perShard: max(1, (size+cacheShards-1)/cacheShards)}
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]*cacheEntry)
	}
	return c
}

// get returns the cached claims of token if they are still valid at now.
func (c *tokenCache) get(token string, now int64) *Claims {
	h := maphash.String(c.seed, token)
	sh := &c.shards[h%cacheShards]
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

func (c *tokenCache) put(token string, claims *Claims, key *Key, notAfter, notFrom, now int64) {
	h := maphash.String(c.seed, token)
	sh := &c.shards[h%cacheShards]
	e := &cacheEntry{token: token, claims: claims, key: key, notAfter: notAfter, notFrom: notFrom}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.m[h]; !ok && len(sh.m) >= c.perShard {
		sh.evict(now)
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
