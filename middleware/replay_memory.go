package middleware

import (
	"context"
	"errors"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
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
	// Capacity bounds the entries held, counted over the whole store (not
	// per shard); at least 2. Default [DefaultReplayCapacity].
	Capacity int
	// Quota bounds the entries of one client, the part of a key before its
	// first ':' (the validator's keys are "jkt:digest", so a client is a DPoP
	// key); at most Capacity/2, so that no client alone fills the store. A
	// client over its quota loses its own oldest entries, never another
	// client's: only the holder of a private key can make proofs that reach
	// the store (they are recorded after every other check), so only it can
	// give up its own replay protection. Default [DefaultReplayQuota].
	Quota int
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// MemoryReplayStore is the default [ReplayStore]: an in-process, bounded map
// of the proofs used until their expiry. It protects one replica only.
// Memory: about 150 bytes per entry (a 64-byte key, its expiry, map and
// queue slots), measured by TestMemoryReplayStoreMemory.
//
// Its guarantees, for every configuration:
//   - A proof recorded is reported replayed until its expiry unless its own
//     client has since recorded Quota newer ones.
//   - No client's traffic evicts another client's entries or makes another
//     client's proofs refused: one client holds at most Quota ≤ Capacity/2
//     entries, and the capacity is one count over the whole store.
//   - It refuses a new proof with [ErrReplayStoreFull] (the validator fails
//     closed, 503) rather than forget one early, and only when it holds
//     Capacity entries, each unexpired at its last full sweep (at most a
//     second before): at least Capacity/Quota clients (20 by default) at
//     their quota, or more clients below it.
//
// Use takes one lock, its client's shard's, and updates one atomic counter;
// only a refusal sweeps the other shards (at most once a second). It is safe
// for concurrent use.
type MemoryReplayStore struct {
	seed   maphash.Seed
	quota  int
	cap    int64
	now    func() time.Time
	n      atomic.Int64 // entries held, over every shard
	swept  atomic.Int64 // when the last full sweep began, Unix ns
	shards [replayShards]replayShard
}

const replayShards = 32

// replaySweepInterval is the least time between two full sweeps: they take
// every shard's lock in turn, so a store kept full pays for one a second.
const replaySweepInterval = time.Second

type replayShard struct {
	mu      sync.Mutex
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
	s := &MemoryReplayStore{seed: maphash.MakeSeed(), now: cfg.Now}
	capacity := cfg.Capacity
	if capacity <= 0 {
		capacity = DefaultReplayCapacity
	}
	capacity = max(2, capacity)
	s.cap = int64(capacity)
	s.quota = cfg.Quota
	if s.quota <= 0 {
		s.quota = DefaultReplayQuota
	}
	s.quota = min(s.quota, capacity/2)
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
	replayed, err := s.use(sh, client, key, unixNano(until), now)
	if err == ErrReplayStoreFull && s.sweep(now) {
		replayed, err = s.use(sh, client, key, unixNano(until), now)
	}
	return replayed, err
}

// use is Use within the client's shard.
func (s *MemoryReplayStore) use(sh *replayShard, client, key string, until, now int64) (bool, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	c := sh.clients[client]
	if c == nil {
		c = &replayClient{used: map[string]int64{}}
		sh.clients[client] = c
	}
	dropped := int64(c.expire(now))
	if exp, ok := c.used[key]; (ok && exp > now) || until <= now {
		// replayed, or expired already: it could never be reported replayed
		s.release(sh, client, c, dropped)
		return ok && exp > now, nil
	}
	for len(c.used) >= s.quota && c.head < len(c.order) {
		dropped += int64(c.dropHead())
	}
	if _, stale := c.used[key]; stale { // expired, out of order: reuse its slot
		s.release(sh, client, c, dropped)
	} else if s.n.Add(1-dropped) > s.cap {
		s.release(sh, client, c, 1)
		return false, ErrReplayStoreFull
	}
	c.used[key] = until
	c.order = append(c.order, replayEntry{key, until})
	return false, nil
}

// release gives back n entries dropped from client c of shard sh, and
// removes c if it holds none.
func (s *MemoryReplayStore) release(sh *replayShard, client string, c *replayClient, n int64) {
	if n != 0 {
		s.n.Add(-n)
	}
	if len(c.used) == 0 {
		delete(sh.clients, client)
	}
}

// expire drops the client's entries expired at now, returning how many.
func (c *replayClient) expire(now int64) int {
	n := 0
	for c.head < len(c.order) && c.order[c.head].until <= now {
		n += c.dropHead()
	}
	return n
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

// sweep expires the entries of every shard and removes empty clients,
// unless another sweep began less than [replaySweepInterval] before now; it
// reports whether it swept. It takes one shard's lock at a time.
func (s *MemoryReplayStore) sweep(now int64) bool {
	last := s.swept.Load()
	if now-last < int64(replaySweepInterval) || !s.swept.CompareAndSwap(last, now) {
		return false
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n := 0
		for k, c := range sh.clients {
			n += c.expire(now)
			if len(c.used) == 0 {
				delete(sh.clients, k)
			}
		}
		sh.mu.Unlock()
		s.n.Add(-int64(n))
	}
	return true
}
