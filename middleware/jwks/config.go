package jwks

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Defaults for [Config] fields left zero.
const (
	DefaultRefreshInterval    = 15 * time.Minute
	DefaultMinRefreshInterval = time.Minute
	DefaultMaxRefreshInterval = time.Hour
	DefaultUnknownKIDInterval = time.Minute
	DefaultMaxStaleness       = 24 * time.Hour
	DefaultRetryInterval      = 2 * time.Second
	DefaultMaxRetryInterval   = time.Minute
	DefaultMaxKeys            = 100
	DefaultMaxResponseSize    = 1 << 20 // bytes
	DefaultTimeout            = 10 * time.Second
)

// Config holds the optional settings of a [Remote]. The zero
// value is the safe default; negative durations or sizes are an error.
type Config struct {
	// URL is the JWK Set URL (RFC 7517 §5). Default: the "jwks_uri" of the
	// issuer's metadata, discovered (OpenID Connect Discovery 1.0 §4, then
	// RFC 8414 §3).
	URL string
	// HTTPClient makes the requests. Default http.DefaultClient. Either way,
	// redirects to another host or from https to http are refused.
	HTTPClient *http.Client
	// Lazy defers discovery and the first fetch to the first LookupKey.
	// Default false: [NewRemote] fetches before returning and fails if it
	// cannot (fail fast at start-up).
	Lazy bool
	// RefreshInterval is how long a fetched set stays fresh when the response
	// carries no Cache-Control max-age or Expires (RFC 9111 §4.2.1). Default
	// [DefaultRefreshInterval] (15m). The scheduled refresh runs when 90%
	// of the freshness lifetime has passed, clamped to [MinRefreshInterval,
	// MaxRefreshInterval], so a new set arrives before the old one expires.
	RefreshInterval time.Duration
	// MinRefreshInterval is the shortest time between scheduled refreshes,
	// whatever the response headers say. Default
	// [DefaultMinRefreshInterval] (1m).
	MinRefreshInterval time.Duration
	// MaxRefreshInterval is the longest time between scheduled refreshes: a
	// key removed from the JWKS stops verifying at most this long after.
	// Default [DefaultMaxRefreshInterval] (1h).
	MaxRefreshInterval time.Duration
	// UnknownKIDInterval rate-limits the refreshes triggered by a token whose
	// "kid" is not in the set: at most one per interval; a request that finds
	// the limiter closed and no fetch in flight is answered at once — as an
	// unknown key after a successful fetch, as [ErrUnavailable] (503) while the
	// last fetch failed, since the set may hold the kid by then. Default
	// [DefaultUnknownKIDInterval] (1m).
	UnknownKIDInterval time.Duration
	// MaxStaleness bounds how long the last good set is used while fetches
	// fail; beyond it LookupKey answers [ErrUnavailable] (wrapping
	// [ErrStale]). It must exceed MaxRefreshInterval. Default
	// [DefaultMaxStaleness] (24h).
	MaxStaleness time.Duration
	// RetryInterval is the delay before retrying a failed fetch; it doubles
	// with each consecutive failure up to MaxRetryInterval, plus up to 10%
	// random jitter. Default [DefaultRetryInterval] (2s).
	RetryInterval time.Duration
	// MaxRetryInterval caps the retry delay. Default
	// [DefaultMaxRetryInterval] (1m).
	MaxRetryInterval time.Duration
	// MaxKeys is the largest number of keys a JWKS may hold; a larger set is
	// refused. Default [DefaultMaxKeys] (100).
	MaxKeys int
	// MaxResponseSize is the largest JWKS response accepted, in bytes.
	// Default [DefaultMaxResponseSize] (1 MiB).
	MaxResponseSize int64
	// Timeout bounds each fetch, discovery included. Default
	// [DefaultTimeout] (10s).
	Timeout time.Duration
	// AllowInsecureHTTP permits http URLs on hosts that are not loopback
	// addresses. Default false: https is required except on loopback.
	AllowInsecureHTTP bool
	// Hooks, when set, observe every fetch attempt and metadata lookup (see
	// [Hooks]). Default none. middleware.Hooks.JWKS adapts a validator's
	// hooks; a validator that builds its own Remote
	// (middleware.NewIssuerValidator, issuer templates) sets them from its
	// Config.Hooks when this is nil.
	Hooks *Hooks
	// Now returns the current time; refresh schedules, rate limits and
	// staleness follow it. Default time.Now.
	Now func() time.Time
}

// configDefaults returns cfg with defaults applied, or an error for a
// setting out of range.
func configDefaults(cfg *Config) (Config, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"RefreshInterval", &c.RefreshInterval, DefaultRefreshInterval},
		{"MinRefreshInterval", &c.MinRefreshInterval, DefaultMinRefreshInterval},
		{"MaxRefreshInterval", &c.MaxRefreshInterval, DefaultMaxRefreshInterval},
		{"UnknownKIDInterval", &c.UnknownKIDInterval, DefaultUnknownKIDInterval},
		{"MaxStaleness", &c.MaxStaleness, DefaultMaxStaleness},
		{"RetryInterval", &c.RetryInterval, DefaultRetryInterval},
		{"MaxRetryInterval", &c.MaxRetryInterval, DefaultMaxRetryInterval},
		{"Timeout", &c.Timeout, DefaultTimeout},
	}
	for _, d := range durations {
		if *d.v < 0 {
			return c, fmt.Errorf("jwks: negative %s", d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if c.MaxKeys < 0 || c.MaxResponseSize < 0 {
		return c, errors.New("jwks: negative MaxKeys or MaxResponseSize")
	}
	if c.MaxKeys == 0 {
		c.MaxKeys = DefaultMaxKeys
	}
	if c.MaxResponseSize == 0 {
		c.MaxResponseSize = DefaultMaxResponseSize
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.MinRefreshInterval > c.MaxRefreshInterval:
		return c, errors.New("jwks: MinRefreshInterval exceeds MaxRefreshInterval")
	case c.RetryInterval > c.MaxRetryInterval:
		return c, errors.New("jwks: RetryInterval exceeds MaxRetryInterval")
	case c.MaxStaleness <= c.MaxRefreshInterval:
		return c, errors.New("jwks: MaxStaleness must exceed MaxRefreshInterval")
	}
	return c, nil
}
