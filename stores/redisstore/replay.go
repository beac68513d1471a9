package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rsguard/rsguard/middleware"
)

// ReplayStore is a [middleware.ReplayStore] on Redis: the replicas sharing
// it refuse a DPoP proof (RFC 9449 §11.1) that any of them has accepted. It
// is safe for concurrent use.
type ReplayStore struct {
	store
	id    [8]byte // random: tells this store's marks from other replicas'
	count atomic.Uint64
}

var _ middleware.ReplayStore = (*ReplayStore)(nil)

// NewReplayStore returns a replay store on client. It does no I/O.
func NewReplayStore(client redis.UniversalClient, cfg *Config) (*ReplayStore, error) {
	s, err := newStore(client, cfg)
	if err != nil {
		return nil, err
	}
	r := &ReplayStore{store: s}
	_, _ = rand.Read(r.id[:]) // crypto/rand.Read never fails
	return r, nil
}

// Use records key as used until the instant until and reports whether it
// was already recorded, in one atomic command: SET k mark NX GET PX ttl,
// with ttl rounded up to the millisecond so that the record outlives the
// proof. The mark is unique to this call, so that a SET the client retried
// after a lost reply, finding its own mark, is not taken for a replay. An
// error (Redis down, slower than [Config.Timeout]) means no answer: the
// validator refuses the proof as unavailable, never as replayed.
func (r *ReplayStore) Use(ctx context.Context, key string, until time.Time) (bool, error) {
	ttl := until.Sub(r.now())
	ttl = max(time.Millisecond, (ttl + time.Millisecond - 1).Truncate(time.Millisecond))
	var mark [16]byte
	copy(mark[:8], r.id[:])
	binary.BigEndian.PutUint64(mark[8:], r.count.Add(1))
	ctx, cancel := r.bound(ctx)
	defer cancel()
	old, err := r.client.SetArgs(ctx, r.key("dpop:", key), mark[:], redis.SetArgs{Mode: "NX", Get: true, TTL: ttl}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("redisstore: replay check: %w", err)
	}
	return old != string(mark[:]), nil
}
