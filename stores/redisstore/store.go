package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults for [Config] fields left zero.
const (
	DefaultPrefix       = "rsguard:"
	DefaultTimeout      = 100 * time.Millisecond
	DefaultMaxValueSize = 256 << 10 // bytes
	maxPrefix           = 64        // bytes
)

// Config holds the optional settings of a [ReplayStore] or an
// [IntrospectionCache]. The zero value is the safe default.
type Config struct {
	// Prefix begins every key, so that several applications (or
	// environments) can share one Redis. Default [DefaultPrefix]
	// ("rsguard:"); at most 64 bytes.
	Prefix string
	// Timeout bounds every call to Redis, retries included. Default
	// [DefaultTimeout] (100ms). A call that takes longer fails: the DPoP
	// check then answers 503 (unless the validator fails open) and the
	// introspector asks the authorization server.
	Timeout time.Duration
	// MaxValueSize bounds how much of a cached value is read, in bytes, so
	// that whoever can write to Redis cannot make a replica read a huge
	// value; a longer value reads as truncated, fails authentication and is
	// ignored. Default [DefaultMaxValueSize] (256 KiB). Keep it above the
	// introspector's MaxResponseSize plus 60 bytes.
	MaxValueSize int
	// Now returns the current time, for expiry. Default time.Now.
	Now func() time.Time
}

// store holds what both stores share: the client, the key layout and the
// timeout.
type store struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
	maxVal  int
	now     func() time.Time
}

func newStore(client redis.UniversalClient, cfg *Config) (store, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if err := checkClient(client); err != nil {
		return store{}, err
	}
	s := store{client: client, prefix: cfg.Prefix, timeout: cfg.Timeout, maxVal: cfg.MaxValueSize, now: cfg.Now}
	if len(s.prefix) > maxPrefix {
		return store{}, errors.New("redisstore: Prefix longer than 64 bytes")
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.maxVal <= 0 {
		s.maxVal = DefaultMaxValueSize
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// errNoContextTimeout is returned for a client that ignores contexts'
// deadlines: the store could not bound its calls.
var errNoContextTimeout = errors.New("redisstore: the client must have ContextTimeoutEnabled set, " +
	"or Config.Timeout cannot bound its calls")

// checkClient refuses a nil client, and one of go-redis's own that does not
// honour context deadlines. Other implementations are trusted to.
func checkClient(client redis.UniversalClient) error {
	var enabled bool
	switch c := client.(type) {
	case nil:
		return errors.New("redisstore: no client given")
	case *redis.Client:
		enabled = c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		enabled = c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		enabled = c.Options().ContextTimeoutEnabled
	default:
		return nil
	}
	if !enabled {
		return errNoContextTimeout
	}
	return nil
}

// key returns prefix + kind + base64url(SHA-256(name)): bounded, whatever
// name is.
func (s *store) key(kind, name string) string {
	sum := sha256.Sum256([]byte(name))
	var b [maxPrefix + 8 + 43]byte
	k := append(b[:0], s.prefix...)
	k = append(k, kind...)
	k = base64.RawURLEncoding.AppendEncode(k, sum[:])
	return string(k)
}

// bound returns ctx limited to the store's timeout.
func (s *store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}
