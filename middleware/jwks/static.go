package jwks

import (
	"context"
	"errors"
	"fmt"
)

// Source supplies verification keys to a validator (middleware.Issuer.Keys).
// Implementations must be safe for concurrent use; LookupKey is on every
// uncached request's path and must not block on I/O when it already knows
// the key.
type Source interface {
	// LookupKey returns the key whose "kid" (RFC 7515 §4.1.4) is kid. When
	// kid is empty it returns the set's only key, if the set has exactly
	// one. A key it does not know is an error matching [ErrUnknownKey] (the
	// validator refuses the token, 401); keys that cannot be obtained at all
	// are any other error, conventionally matching [ErrUnavailable] (the
	// validator answers 503: the token is neither accepted nor refused).
	LookupKey(ctx context.Context, kid string) (*Key, error)
}

// Static is a fixed [Source], for tests and air-gapped deployments.
type Static struct {
	byID map[string]*Key
	only *Key // the single key, when the set has exactly one
}

// NewStatic returns a key source holding keys. Key IDs must be unique.
func NewStatic(keys ...*Key) (*Static, error) {
	s := &Static{byID: make(map[string]*Key, len(keys))}
	for _, k := range keys {
		if k == nil {
			return nil, fmt.Errorf("%w: nil key", ErrUnusableKey)
		}
		if _, dup := s.byID[k.id]; dup {
			return nil, fmt.Errorf("jwks: duplicate key id %q", k.id)
		}
		s.byID[k.id] = k
	}
	if len(keys) == 1 {
		s.only = keys[0]
	}
	return s, nil
}

// LookupKey implements [Source].
func (s *Static) LookupKey(_ context.Context, kid string) (*Key, error) {
	if kid == "" {
		if s.only != nil {
			return s.only, nil
		}
		return nil, ErrUnknownKey
	}
	if k, ok := s.byID[kid]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// Keys returns the keys in the set.
func (s *Static) Keys() []*Key {
	out := make([]*Key, 0, len(s.byID))
	for _, k := range s.byID {
		out = append(out, k)
	}
	return out
}

// ParseStatic returns a static key source holding the usable keys of a JWK
// Set document (RFC 7517 §5, read by [ParseSet]); a set without a usable key
// is an error.
func ParseStatic(data []byte) (*Static, error) {
	keys, _, err := ParseSet(data)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("jwks: JWKS has no usable key")
	}
	return NewStatic(keys...)
}
