package jwks

import (
	"errors"

	"github.com/rsguard/rsguard/internal/discovery"
)

// Errors of key sources. A [Source]'s LookupKey returns an error matching
// [ErrUnknownKey] for a key it does not hold, and one matching
// [ErrUnavailable] when it cannot tell: a validator refuses the token for
// the first (401, invalid_token) and answers the second as undecided (503).
var (
	// ErrUnknownKey: the source holds no key with the token's "kid" (RFC
	// 7515 §4.1.4), or no single key for a token without one.
	// middleware.ErrUnknownKey is this same value.
	ErrUnknownKey = errors.New("jwks: unknown signing key")
	// ErrUnavailable: the keys could not be obtained (the JWK Set was never
	// fetched, is older than Config.MaxStaleness, the source is closed, or
	// an unknown kid arrived while the last fetch failed). The cause is
	// wrapped too: ErrFetch, ErrStale, ErrClosed …
	ErrUnavailable = errors.New("jwks: signing keys unavailable")
)

// Errors of a [Remote]'s fetches. A failed fetch matches ErrFetch, and also
// ErrTooLarge or ErrInvalid when the document is to blame; a failed
// discovery of the JWKS URL matches ErrDiscovery. LookupKey wraps them in
// an error matching [ErrUnavailable].
var (
	// ErrFetch: a JWKS fetch failed (transport error, timeout, status other
	// than 200, or a document refused below).
	ErrFetch = errors.New("jwks: fetch failed")
	// ErrTooLarge: the response exceeded Config.MaxResponseSize.
	ErrTooLarge = errors.New("jwks: response too large")
	// ErrInvalid: the document is not a JWK Set (RFC 7517 §5), has no
	// usable key, or has more than Config.MaxKeys keys.
	ErrInvalid = errors.New("jwks: not a usable JWK Set")
	// ErrStale: no fetch has succeeded for longer than Config.MaxStaleness.
	ErrStale = errors.New("jwks: key set older than the maximum staleness")
	// ErrClosed: the key source was closed and fetches no more.
	ErrClosed = errors.New("jwks: key source closed")
	// ErrDiscovery: the issuer's metadata (RFC 8414 §3, OpenID Connect
	// Discovery 1.0 §4) could not be fetched, or names no usable
	// "jwks_uri". Introspection's discovery (introspection.NewFromIssuer)
	// returns errors matching it too.
	ErrDiscovery = discovery.ErrDiscovery
)
