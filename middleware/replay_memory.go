package middleware

import (
	"context"
	"errors"
	"hash/maphash"
	"strings"
	"sync"
	"time"
)

// Defaults for [MemoryReplayConfig] fields left zero.
const (
	// DefaultReplayCapacity bounds a [MemoryReplayStore]: at about 150 bytes
	// an entry (see [MemoryReplayStore]), 200,000 entries take about 30 MB.
	DefaultReplayCapacity = 200_000
	// DefaultReplayQuota is how many unexpired proofs one DPoP key may have
	// in a [MemoryReplayStore]: with the default 90-second lifetime of an
	// entry (window and skew), over 100 requests a second per key.
	DefaultReplayQuota = 10_000
)

// ErrReplayStoreFull is returned (as the cause of an ErrUnavailable refusal)
// when a [MemoryReplayStore] holds its capacity of unexpired proofs.
var ErrReplayStoreFull = errors.New("middleware: replay store full")

// MemoryReplayConfig holds the settings of a [MemoryReplayStore]. The zero
// value is the default.
type MemoryReplayConfig struct {
	// Capacity bounds the entries held. Default [DefaultReplayCapacity].
	Capacity int
	// Quota bounds the entries of one client, the part of a key before its
	// first ':' (the validator's keys are "jkt:digest", so a client is a DPoP
	// key). A client over its quota loses its own oldest entries, never
	// another client's: only the holder of a private key can make proofs
	// that reach the store (they are recorded after every other check), so
	// only it can give up its own replay protection. Default
	// [DefaultReplayQuota].
	Quota int
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// MemoryReplayStore is the default [ReplayStore]: an in-process, bounded map
// of the proofs used until their expiry. It protects one replica only.
// Memory: about 150 bytes per entry (a 64-byte key, its expiry, map and
// queue slots), measured by TestMemoryReplayStoreMemory. When it holds
// Capacity unexpired entries it refuses new ones with [ErrReplayStoreFull]
// (the validator fails closed, 503) rather than forget a proof early. It is
// safe for concurrent use.
type MemoryReplayStore struct {
	seed   maphash.Seed
	quota  int
	cap    int // per shard
	now    func() time.Time
	shards [replayShards]replayShard
}

const replayShards = 32

type replayShard struct {
	mu      sync.Mutex
	n       int // entries in the shard
	clients map[string]*replayClient
}

// replayClient holds one client's entries, and their keys in insertion
// order, which is also (up to the clock skew) expiry order.
type replayClient struct {
	used  map[string]int64 // key → expiry, Unix ns
	order []replayEntry
	head  int
}

type replayEntry struct {
	key   string
	until int64
}

// NewMemoryReplayStore returns an in-memory replay store; cfg may be nil.
func NewMemoryReplayStore(cfg *MemoryReplayConfig) *MemoryReplayStore {
	if cfg == nil {
		cfg = &MemoryReplayConfig{}
	}
	s := &MemoryReplayStore{seed: maphash.MakeSeed(), quota: cfg.Quota, now: cfg.Now}
	capacity := cfg.Capacity
	if capacity <= 0 {
		capacity = DefaultReplayCapacity
	}
	s.cap = max(1, capacity/replayShards)
	if s.quota <= 0 {
		s.quota = DefaultReplayQuota
	}
	if s.now == nil {
		s.now = time.Now
	}
	for i := range s.shards {
		s.shards[i].clients = map[string]*replayClient{}
	}
	return s
}

// Use implements [ReplayStore]: it records key until until and reports
// whether it was already recorded and unexpired.
func (s *MemoryReplayStore) Use(_ context.Context, key string, until time.Time) (bool, error) {
	client := key
	if i := strings.IndexByte(key, ':'); i >= 0 {
		client = key[:i]
	}
	now := s.now().UnixNano()
	sh := &s.shards[maphash.String(s.seed, client)%replayShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	c := sh.clients[client]
	if c == nil {
		c = &replayClient{used: map[string]int64{}}
		sh.clients[client] = c
	}
	sh.n -= c.expire(now)
	if exp, ok := c.used[key]; ok && exp > now {
		return true, nil
	}
	if len(c.used) >= s.quota {
		sh.n -= c.drop()
	}
	if sh.n >= s.cap && !sh.sweep(now, s.cap) {
		if len(c.used) == 0 {
			delete(sh.clients, client)
		}
		return false, ErrReplayStoreFull
	}
	if _, stale := c.used[key]; !stale {
		sh.n++
	}
	c.used[key] = unixNano(until)
	c.order = append(c.order, replayEntry{key, unixNano(until)})
	return false, nil
}

// expire drops the client's entries expired at now, returning how many.
func (c *replayClient) expire(now int64) int {
	n := 0
	for c.head < len(c.order) && c.order[c.head].until <= now {
		n += c.dropHead()
	}
	return n
}

// drop drops the client's oldest entry.
func (c *replayClient) drop() int {
	if c.head < len(c.order) {
		return c.dropHead()
	}
	return 0
}

func (c *replayClient) dropHead() int {
	e := c.order[c.head]
	c.order[c.head] = replayEntry{}
	c.head++
	if c.head > len(c.order)/2 && c.head > 16 {
		c.order = append(c.order[:0], c.order[c.head:]...)
		c.head = 0
	}
	if until, ok := c.used[e.key]; ok && until == e.until {
		delete(c.used, e.key)
		return 1
	}
	return 0
}

// sweep expires entries of every client of the shard and removes empty
// clients; it reports whether there is room afterwards.
func (sh *replayShard) sweep(now int64, capacity int) bool {
	for k, c := range sh.clients {
		sh.n -= c.expire(now)
		if len(c.used) == 0 {
			delete(sh.clients, k)
		}
	}
	return sh.n < capacity
}
