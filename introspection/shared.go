package introspection

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"
	"time"
)

// SharedCache is a cache that replicas of one resource server share (Redis,
// for example: see the stores/redisstore module), consulted after the
// in-memory cache misses and before the introspection endpoint is asked, so
// that N replicas introspect a token once rather than N times.
//
// The introspector hands it opaque keys and values only: a key is an HMAC of
// the endpoint and the token under [SharedConfig.Key] (the store never holds
// a token, and a reader of the store cannot confirm a guess), a value is an
// authenticated, optionally sealed record (see [SharedConfig]). Its failures
// are never fatal: on an error the introspector asks the endpoint.
//
// Implementations must be safe for concurrent use and should bound the time
// of every call.
type SharedCache interface {
	// Get returns the value stored under key, or nil and no error when
	// there is none (or it has expired).
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key for ttl (at least one millisecond).
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
}

// SharedLocker is implemented by a [SharedCache] that can also hold short
// locks, so that replicas asked for one new token at once make one
// introspection request between them: the one that takes the lock asks the
// endpoint and stores the result, the others wait for it (at most
// [SharedConfig.Wait]). Locks live in a namespace of their own: TryLock(key)
// never touches the value Set under key.
type SharedLocker interface {
	// TryLock sets the lock key to owner, expiring after ttl, if it is not
	// held, and reports whether it did (Redis: one SET key owner NX PX ttl).
	TryLock(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
	// Unlock releases the lock key if owner still holds it.
	Unlock(ctx context.Context, key, owner string) error
}

// DefaultSharedWait is the default of [SharedConfig.Wait].
const DefaultSharedWait = 2 * time.Second

// SharedConfig sets up the second-level cache shared by replicas
// ([Config.Shared]). Every replica must use the same keys.
//
// What is stored, per token: under the key base64url(HMAC-SHA256(K1,
// endpoint || 0x00 || token)), a record of one version byte (1), one kind
// byte ('a' active, 'i' inactive), the instant it stops being reusable (Unix
// milliseconds, 8 bytes big-endian) and, for an active token only, the
// introspection response (RFC 7662 §2.2) as the endpoint sent it; then an
// HMAC-SHA256 tag under K2 of the key and the record. With a SealKey, the
// record is instead sealed with AES-GCM (a random 12-byte nonce, the key as
// additional data), so that the store holds no claim in clear. K1 and K2 are
// derived from Key with HKDF-SHA256. Records that fail authentication are
// ignored: a writer to the store without the keys cannot forge a result or
// move one to another token. Active results are stored for at most the
// earlier of [Config.CacheTTL] and the token's "exp", inactive ones for
// [Config.NegativeCacheTTL]; results, never decisions (the validator checks
// every claim on every request).
type SharedConfig struct {
	// Cache is the shared store. Required.
	Cache SharedCache
	// Key is the secret from which the key HMAC and the record tag keys are
	// derived: at least 32 random bytes. Required.
	Key []byte
	// SealKey, when not nil, is an AES key (16, 24 or 32 bytes; any other
	// length is an error) sealing every record with AES-GCM. Default nil:
	// records are authenticated but readable by whoever can read the store.
	SealKey []byte
	// Wait is the longest a replica waits for another that holds the lock
	// for the same token (when Cache implements [SharedLocker]) before it
	// asks the endpoint itself; it is also the lock's lifetime. Default
	// [DefaultSharedWait] (2s).
	Wait time.Duration
}

// Format prints the configuration without its keys, for %v, %+v and %#v.
func (c SharedConfig) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "introspection.SharedConfig{Cache: %T, Key: [redacted], SealKey: [redacted], Wait: %v}", c.Cache, c.Wait)
}

// shared is the introspector's view of its SharedConfig.
type shared struct {
	cache       SharedCache
	locker      SharedLocker // nil when cache cannot lock
	keyMAC      sync.Pool    // of hash.Hash: HMAC-SHA256 under K1
	tagKey      []byte       // K2
	aead        cipher.AEAD  // nil when records are not sealed
	wait        time.Duration
	activeTTL   time.Duration // 0: active results are not shared
	negativeTTL time.Duration // 0: inactive results are not shared
}

func newShared(cfg *SharedConfig, activeTTL, negativeTTL time.Duration) (*shared, error) {
	if cfg.Cache == nil {
		return nil, errors.New("introspection: shared cache: no Cache given")
	}
	if len(cfg.Key) < 32 {
		return nil, errors.New("introspection: shared cache: Key must be at least 32 bytes")
	}
	k1, err1 := hkdf.Key(sha256.New, cfg.Key, nil, "rsguard introspection shared key", 32)
	k2, err2 := hkdf.Key(sha256.New, cfg.Key, nil, "rsguard introspection shared tag", 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("introspection: shared cache: %w", err)
	}
	s := &shared{cache: cfg.Cache, tagKey: k2, wait: cfg.Wait, activeTTL: activeTTL, negativeTTL: negativeTTL}
	s.keyMAC.New = func() any { return hmac.New(sha256.New, k1) }
	s.locker, _ = cfg.Cache.(SharedLocker)
	if s.wait <= 0 {
		s.wait = DefaultSharedWait
	}
	if cfg.SealKey != nil {
		block, err := aes.NewCipher(cfg.SealKey)
		if err != nil {
			return nil, errors.New("introspection: shared cache: SealKey must be 16, 24 or 32 bytes")
		}
		if s.aead, err = cipher.NewGCM(block); err != nil {
			return nil, fmt.Errorf("introspection: shared cache: %w", err)
		}
	}
	return s, nil
}

// name returns the store key of token at endpoint.
func (s *shared) name(endpoint, token string) string {
	m := s.keyMAC.Get().(hash.Hash)
	defer s.keyMAC.Put(m)
	m.Reset()
	m.Write([]byte(endpoint))
	m.Write([]byte{0})
	m.Write([]byte(token))
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0]))
}

const (
	recordVersion = 1
	recordHeader  = 10 // version, kind, expiry
	kindActive    = 'a'
	kindInactive  = 'i'
)

// encode returns the stored form of a result of kind, reusable until until.
func (s *shared) encode(name string, kind byte, until time.Time, body []byte) []byte {
	rec := make([]byte, recordHeader, recordHeader+len(body)+sha256.Size)
	rec[0], rec[1] = recordVersion, kind
	binary.BigEndian.PutUint64(rec[2:], uint64(until.UnixMilli()))
	rec = append(rec, body...)
	if s.aead == nil {
		return append(rec, s.tag(name, rec)...)
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(rec)+s.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	return s.aead.Seal(nonce, nonce, rec, []byte(name))
}

// decode authenticates a stored value and returns its kind, expiry and body;
// ok is false for a value that is not an authentic record for name.
func (s *shared) decode(name string, v []byte) (kind byte, until time.Time, body []byte, ok bool) {
	rec, ok := s.open(name, v)
	if !ok || len(rec) < recordHeader || rec[0] != recordVersion {
		return 0, time.Time{}, nil, false
	}
	until = time.UnixMilli(int64(binary.BigEndian.Uint64(rec[2:])))
	return rec[1], until, rec[recordHeader:], true
}

func (s *shared) open(name string, v []byte) ([]byte, bool) {
	if s.aead == nil {
		if len(v) < sha256.Size {
			return nil, false
		}
		rec, tag := v[:len(v)-sha256.Size], v[len(v)-sha256.Size:]
		return rec, hmac.Equal(tag, s.tag(name, rec))
	}
	n := s.aead.NonceSize()
	if len(v) < n {
		return nil, false
	}
	rec, err := s.aead.Open(nil, v[:n], v[n:], []byte(name))
	return rec, err == nil
}

func (s *shared) tag(name string, rec []byte) []byte {
	m := hmac.New(sha256.New, s.tagKey)
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write(rec)
	return m.Sum(nil)
}
