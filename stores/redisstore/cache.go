package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rsguard/rsguard/introspection"
)

// IntrospectionCache is an [introspection.SharedCache] and
// [introspection.SharedLocker] on Redis, for [introspection.SharedConfig]:
// replicas sharing it introspect each token once between them. It is safe
// for concurrent use.
type IntrospectionCache struct {
	store
}

var (
	_ introspection.SharedCache  = (*IntrospectionCache)(nil)
	_ introspection.SharedLocker = (*IntrospectionCache)(nil)
)

// NewIntrospectionCache returns an introspection cache on client. It does
// no I/O.
func NewIntrospectionCache(client redis.UniversalClient, cfg *Config) (*IntrospectionCache, error) {
	s, err := newStore(client, cfg)
	if err != nil {
		return nil, err
	}
	return &IntrospectionCache{store: s}, nil
}

// Get returns the value under key, at most [Config.MaxValueSize] bytes of
// it (GETRANGE), or nil when there is none.
func (c *IntrospectionCache) Get(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	v, err := c.client.GetRange(ctx, c.key("intro:", key), 0, int64(c.maxVal)-1).Bytes()
	if err != nil {
		return nil, fmt.Errorf("redisstore: cache get: %w", err)
	}
	if len(v) == 0 { // GETRANGE answers "" for a missing key
		return nil, nil
	}
	return v, nil
}

// Set stores value under key for ttl (SET PX).
func (c *IntrospectionCache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	if err := c.client.Set(ctx, c.key("intro:", key), value, max(ttl, time.Millisecond)).Err(); err != nil {
		return fmt.Errorf("redisstore: cache set: %w", err)
	}
	return nil
}

// TryLock takes the lock key for owner for ttl if no one holds it (SET NX
// PX).
func (c *IntrospectionCache) TryLock(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	err := c.client.SetArgs(ctx, c.key("lock:", key), owner, redis.SetArgs{Mode: "NX", TTL: max(ttl, time.Millisecond)}).Err()
	switch {
	case errors.Is(err, redis.Nil):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("redisstore: lock: %w", err)
	}
	return true, nil
}

// unlock deletes KEYS[1] if it holds ARGV[1], atomically.
var unlock = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// Unlock releases the lock key if owner still holds it.
func (c *IntrospectionCache) Unlock(ctx context.Context, key, owner string) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	if err := unlock.Run(ctx, c.client, []string{c.key("lock:", key)}, owner).Err(); err != nil {
		return fmt.Errorf("redisstore: unlock: %w", err)
	}
	return nil
}
