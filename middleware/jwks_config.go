package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Defaults for [RemoteKeysConfig] fields left zero.
const (
	DefaultJWKSRefreshInterval    = 15 * time.Minute
	DefaultJWKSMinRefreshInterval = time.Minute
	DefaultJWKSMaxRefreshInterval = time.Hour
	DefaultJWKSUnknownKIDInterval = time.Minute
	DefaultJWKSMaxStaleness       = 24 * time.Hour
	DefaultJWKSRetryInterval      = 2 * time.Second
	DefaultJWKSMaxRetryInterval   = time.Minute
	DefaultJWKSMaxKeys            = 100
	DefaultJWKSMaxResponseSize    = 1 << 20 // bytes
	DefaultJWKSTimeout            = 10 * time.Second
)

// RemoteKeysConfig holds the optional settings of a [RemoteKeys]. The zero
// value is the safe default; negative durations or sizes are an error.
type RemoteKeysConfig struct {
	// JWKSURL is the JWK Set URL (RFC 7517 §5). Default: the "jwks_uri" of
	// the issuer's metadata, found with [Discover] (OpenID Connect Discovery,
	// then RFC 8414 §3).
	JWKSURL string
	// HTTPClient makes the requests. Default http.DefaultClient. Either way,
	// redirects to another host or from https to http are refused.
	HTTPClient *http.Client
	// Lazy defers discovery and the first fetch to the first LookupKey.
	// Default false: NewRemoteKeys fetches before returning and fails if it
	// cannot (fail fast at start-up).
	Lazy bool
	// RefreshInterval is how long a fetched set stays fresh when the response
	// carries no Cache-Control max-age or Expires (RFC 9111 §4.2.1). Default
	// [DefaultJWKSRefreshInterval] (15m). The scheduled refresh runs when 90%
	// of the freshness lifetime has passed, clamped to [MinRefreshInterval,
	// MaxRefreshInterval], so a new set arrives before the old one expires.
	RefreshInterval time.Duration
	// MinRefreshInterval is the shortest time between scheduled refreshes,
	// whatever the response headers say. Default
	// [DefaultJWKSMinRefreshInterval] (1m).
	MinRefreshInterval time.Duration
	// MaxRefreshInterval is the longest time between scheduled refreshes: a
	// key removed from the JWKS stops verifying at most this long after.
	// Default [DefaultJWKSMaxRefreshInterval] (1h).
	MaxRefreshInterval time.Duration
	// UnknownKIDInterval rate-limits the refreshes triggered by a token whose
	// "kid" is not in the set: at most one per interval; a request that finds
	// the limiter closed and no fetch in flight is answered at once — as an
	// unknown key after a successful fetch, as ErrUnavailable (503) while the
	// last fetch failed, since the set may hold the kid by then. Default
	// [DefaultJWKSUnknownKIDInterval] (1m).
	UnknownKIDInterval time.Duration
	// MaxStaleness bounds how long the last good set is used while fetches
	// fail; beyond it LookupKey answers ErrUnavailable (reason
	// ErrKeysUnavailable). It must exceed MaxRefreshInterval. Default
	// [DefaultJWKSMaxStaleness] (24h).
	MaxStaleness time.Duration
	// RetryInterval is the delay before retrying a failed fetch; it doubles
	// with each consecutive failure up to MaxRetryInterval, plus up to 10%
	// random jitter. Default [DefaultJWKSRetryInterval] (2s).
	RetryInterval time.Duration
	// MaxRetryInterval caps the retry delay. Default
	// [DefaultJWKSMaxRetryInterval] (1m).
	MaxRetryInterval time.Duration
	// MaxKeys is the largest number of keys a JWKS may hold; a larger set is
	// refused. Default [DefaultJWKSMaxKeys] (100).
	MaxKeys int
	// MaxResponseSize is the largest JWKS response accepted, in bytes.
	// Default [DefaultJWKSMaxResponseSize] (1 MiB).
	MaxResponseSize int64
	// Timeout bounds each fetch, discovery included. Default
	// [DefaultJWKSTimeout] (10s).
	Timeout time.Duration
	// AllowInsecureHTTP permits http URLs on hosts that are not loopback
	// addresses. Default false: https is required except on loopback.
	AllowInsecureHTTP bool
	// Hooks, when set, receives a [KeyFetchEvent] after every fetch attempt
	// and a [DiscoveryEvent] after every metadata lookup (see [Hooks]).
	Hooks *Hooks
	// Now returns the current time; refresh schedules, rate limits and
	// staleness follow it. Default time.Now.
	Now func() time.Time
}

// remoteKeysDefaults returns cfg with defaults applied, or an error for a
// setting out of range.
func remoteKeysDefaults(cfg *RemoteKeysConfig) (RemoteKeysConfig, error) {
	var c RemoteKeysConfig
	if cfg != nil {
		c = *cfg
	}
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"RefreshInterval", &c.RefreshInterval, DefaultJWKSRefreshInterval},
		{"MinRefreshInterval", &c.MinRefreshInterval, DefaultJWKSMinRefreshInterval},
		{"MaxRefreshInterval", &c.MaxRefreshInterval, DefaultJWKSMaxRefreshInterval},
		{"UnknownKIDInterval", &c.UnknownKIDInterval, DefaultJWKSUnknownKIDInterval},
		{"MaxStaleness", &c.MaxStaleness, DefaultJWKSMaxStaleness},
		{"RetryInterval", &c.RetryInterval, DefaultJWKSRetryInterval},
		{"MaxRetryInterval", &c.MaxRetryInterval, DefaultJWKSMaxRetryInterval},
		{"Timeout", &c.Timeout, DefaultJWKSTimeout},
	}
	for _, d := range durations {
		if *d.v < 0 {
			return c, fmt.Errorf("middleware: remote keys: negative %s", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if c.MaxKeys < 0 || c.MaxResponseSize < 0 {
		return c, errors.New("middleware: remote keys: negative MaxKeys or MaxResponseSize")
	}
	if c.MaxKeys == 0 {
		c.MaxKeys = DefaultJWKSMaxKeys
	}
	if c.MaxResponseSize == 0 {
		c.MaxResponseSize = DefaultJWKSMaxResponseSize
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.MinRefreshInterval > c.MaxRefreshInterval:
		return c, errors.New("middleware: remote keys: MinRefreshInterval exceeds MaxRefreshInterval")
	case c.RetryInterval > c.MaxRetryInterval:
		return c, errors.New("middleware: remote keys: RetryInterval exceeds MaxRetryInterval")
	case c.MaxStaleness <= c.MaxRefreshInterval:
		return c, errors.New("middleware: remote keys: MaxStaleness must exceed MaxRefreshInterval")
	}
	return c, nil
}
