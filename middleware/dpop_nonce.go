package middleware

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"sync/atomic"
	"time"
)

// NonceKey makes and checks stateless DPoP server nonces (RFC 9449 §9): a
// nonce is base64url(HMAC-SHA-256(secret, step)[:18]) for the current time
// step, so replicas that share the secret agree on it without a shared
// store. The nonce of the previous step is still accepted, so a client that
// fetched one just before a step ends is not refused. It is safe for
// concurrent use, and never prints its secret.
type NonceKey struct {
	secret []byte
	step   time.Duration
	cached atomic.Pointer[nonceSteps]
}

// nonceSteps caches the nonces of one step and of the one before.
type nonceSteps struct {
	step      int64
	cur, prev string
}

// NewNonceKey returns a nonce key for secret (at least 32 bytes, which it
// copies) and the step (0: [DefaultDPoPNonceStep]; at least a second).
func NewNonceKey(secret []byte, step time.Duration) (*NonceKey, error) {
	if len(secret) < 32 {
		return nil, errors.New("middleware: DPoP nonce secret shorter than 32 bytes")
	}
	if step == 0 {
		step = DefaultDPoPNonceStep
	}
	if step < time.Second {
		return nil, errors.New("middleware: DPoP nonce step under a second")
	}
	return &NonceKey{secret: append([]byte(nil), secret...), step: step}, nil
}

// String hides the secret from %v and %s.
func (k *NonceKey) String() string { return "middleware.NonceKey{secret:REDACTED}" }

// GoString hides the secret from %#v.
func (k *NonceKey) GoString() string { return k.String() }

// Nonce returns the nonce current at t.
func (k *NonceKey) Nonce(t time.Time) string { return k.current(t) }

func (k *NonceKey) steps(t time.Time) *nonceSteps {
	step := t.UnixNano() / int64(k.step)
	if t.UnixNano() < 0 {
		step-- // floor
	}
	if c := k.cached.Load(); c != nil && c.step == step {
		return c
	}
	c := &nonceSteps{step: step, cur: k.make(step), prev: k.make(step - 1)}
	k.cached.Store(c)
	return c
}

func (k *NonceKey) current(t time.Time) string { return k.steps(t).cur }

// valid reports whether nonce is the current or the previous step's, in
// constant time.
func (k *NonceKey) valid(nonce string, t time.Time) bool {
	c := k.steps(t)
	cur := equalConstantTime(nonce, c.cur)
	prev := equalConstantTime(nonce, c.prev)
	return cur || prev
}

func (k *NonceKey) make(step int64) string {
	m := hmac.New(sha256.New, k.secret)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(step))
	m.Write([]byte("rsguard dpop nonce"))
	m.Write(b[:])
	return b64.EncodeToString(m.Sum(nil)[:18])
}
