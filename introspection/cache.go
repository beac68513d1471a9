package introspection

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/rsguard/rsguard/middleware"
)

// cacheKey is SHA-256(endpoint || 0x00 || token): the raw token is never a
// key, and the same token at two endpoints has two keys.
type cacheKey [sha256.Size]byte

func hashKey(endpoint, token string) cacheKey {
	var buf [256]byte // enough for most tokens; append moves longer ones to the heap
	b := append(buf[:0], endpoint...)
	b = append(b, 0)
	b = append(b, token...)
	return sha256.Sum256(b)
}

// resultCache holds introspection results: the claims of active tokens until
// the earlier of their "exp" and the TTL, and inactive tokens for the
// negative TTL, each in its own bounded LRU so that unknown tokens never evict
// active ones. It holds results, not decisions: the validator and the caller
// check the claims on every hit.
type resultCache struct {
	activeTTL, negativeTTL time.Duration
	active, inactive       *lru // nil when that TTL is off
}

func newResultCache(size int, activeTTL, negativeTTL time.Duration) *resultCache {
	c := &resultCache{activeTTL: activeTTL, negativeTTL: negativeTTL}
	if activeTTL > 0 {
		c.active = newLRU(size)
	}
	if negativeTTL > 0 {
		c.inactive = newLRU(size)
	}
	return c
}

// get returns the cached result for key at now (Unix ns): the claims and true
// for an active token, nil and false for an inactive one; hit is false when
// nothing fresh is cached.
func (c *resultCache) get(key cacheKey, now int64) (claims *middleware.Claims, active, hit bool) {
	if c.active != nil {
		if e, ok := c.active.get(key, now); ok {
			return e, true, true
		}
	}
	if c.inactive != nil {
		if _, ok := c.inactive.get(key, now); ok {
			return nil, false, true
		}
	}
	return nil, false, false
}

// putActive caches the claims of an active token until the earlier of now +
// TTL and its "exp"; a token already past "exp" is not cached.
func (c *resultCache) putActive(key cacheKey, claims *middleware.Claims, now time.Time) {
	if c.active == nil {
		return
	}
	until := now.Add(c.activeTTL)
	if !claims.ExpiresAt.IsZero() && claims.ExpiresAt.Before(until) {
		until = claims.ExpiresAt
	}
	if until.After(now) {
		c.active.put(key, claims, until.UnixNano())
	}
}

// putInactive caches an inactive result for the negative TTL.
func (c *resultCache) putInactive(key cacheKey, now time.Time) {
	if c.inactive != nil {
		c.inactive.put(key, nil, now.Add(c.negativeTTL).UnixNano())
	}
}

// lru is a sharded, bounded least-recently-used map. Its total size never
// exceeds the size it was made with.
type lru struct {
	shards   []lruShard
	perShard int
}

type lruShard struct {
	mu   sync.Mutex
	m    map[cacheKey]*lruEntry
	head lruEntry // sentinel: head.next is the most recently used entry
}

type lruEntry struct {
	key        cacheKey
	claims     *middleware.Claims
	expires    int64 // Unix ns
	prev, next *lruEntry
}

// lruShards is the shard count of caches of at least 16 × lruShards entries;
// smaller caches have one shard, so that the bound stays exact.
const lruShards = 16

func newLRU(size int) *lru {
	n := 1
	if size >= 16*lruShards {
		n = lruShards
	}
	l := &lru{shards: make([]lruShard, n), perShard: max(1, size/n)}
	for i := range l.shards {
		sh := &l.shards[i]
		sh.m = make(map[cacheKey]*lruEntry)
		sh.head.next, sh.head.prev = &sh.head, &sh.head
	}
	return l
}

func (l *lru) shard(key cacheKey) *lruShard {
	return &l.shards[int(key[0])%len(l.shards)]
}

// get returns the entry's claims if key is cached and fresh at now, making it
// the most recently used; a stale entry is removed.
func (l *lru) get(key cacheKey, now int64) (*middleware.Claims, bool) {
	sh := l.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[key]
	if e == nil {
		return nil, false
	}
	if now >= e.expires {
		sh.remove(e)
		return nil, false
	}
	sh.unlink(e)
	sh.pushFront(e)
	return e.claims, true
}

// put stores or replaces key, evicting the least recently used entry of a
// full shard.
func (l *lru) put(key cacheKey, claims *middleware.Claims, expires int64) {
	sh := l.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e := sh.m[key]; e != nil {
		sh.remove(e)
	} else if len(sh.m) >= l.perShard {
		sh.remove(sh.head.prev)
	}
	e := &lruEntry{key: key, claims: claims, expires: expires}
	sh.m[key] = e
	sh.pushFront(e)
}

func (l *lru) len() int {
	n := 0
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

func (sh *lruShard) remove(e *lruEntry) {
	sh.unlink(e)
	delete(sh.m, e.key)
}

func (sh *lruShard) unlink(e *lruEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (sh *lruShard) pushFront(e *lruEntry) {
	e.prev, e.next = &sh.head, sh.head.next
	sh.head.next.prev = e
	sh.head.next = e
}
