package middleware

import (
	"context"
	"time"
)

// ReplayStore remembers which DPoP proofs (RFC 9449 §11.1) have been used, so
// that a proof replayed to this replica, or to another sharing the store, is
// refused. The validator gives it a key derived from the proof's key
// thumbprint and "jti" (at most 64 bytes, safe to store as is) and the
// instant until which the proof could be accepted.
//
// Implementations must be safe for concurrent use and atomic: of any number
// of concurrent Use calls with one key, exactly one reports replayed false
// (Redis: one SET key NX PXAT). An error means the store could not answer;
// the validator then refuses the request as unavailable (503) unless it is
// configured to fail open.
type ReplayStore interface {
	// Use records key as used until the instant until, and reports whether
	// it was already recorded (and not yet expired).
	Use(ctx context.Context, key string, until time.Time) (replayed bool, err error)
}
