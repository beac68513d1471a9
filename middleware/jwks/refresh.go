package jwks

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rsguard/rsguard/internal/discovery"
	"github.com/rsguard/rsguard/internal/httpx"
)

// startLocked starts a fetch in its own goroutine and makes it the fetch in
// flight. The caller holds rk.mu and has checked that none is in flight and
// that rk is not closed.
func (rk *Remote) startLocked(reason string) *fetchCall {
	ctx, cancel := context.WithTimeout(context.Background(), rk.cfg.Timeout)
	call := &fetchCall{done: make(chan struct{}), cancel: cancel}
	rk.inflight = call
	rk.wg.Add(1)
	go func() {
		defer rk.wg.Done()
		defer cancel()
		call.err = rk.fetch(ctx, reason)
		rk.mu.Lock()
		rk.inflight = nil
		rk.mu.Unlock()
		close(call.done)
		rk.poke()
	}()
	return call
}

// poke wakes the loop so that it re-reads the schedule.
func (rk *Remote) poke() {
	select {
	case rk.wake <- struct{}{}:
	default:
	}
}

// loop runs the scheduled refreshes and retries until Close.
func (rk *Remote) loop() {
	defer rk.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		timer.Stop()
		var fire <-chan time.Time
		if d, ok := rk.untilDue(); ok {
			timer.Reset(d)
			fire = timer.C
		}
		select {
		case <-rk.done:
			return
		case <-rk.wake:
		case <-fire:
			rk.refreshIfDue()
		}
	}
}

// untilDue returns the time until the next scheduled fetch, and false when
// none is scheduled (Lazy mode before the first fetch).
func (rk *Remote) untilDue() (time.Duration, bool) {
	rk.mu.Lock()
	defer rk.mu.Unlock()
	if rk.next.IsZero() {
		return 0, false
	}
	return max(rk.next.Sub(rk.cfg.Now()), 0), true
}

// refreshIfDue runs the scheduled fetch (or retry) if it is due by the
// configured clock, and waits for it.
func (rk *Remote) refreshIfDue() {
	rk.mu.Lock()
	call := rk.inflight
	if call == nil {
		if rk.closed || rk.next.IsZero() || rk.cfg.Now().Before(rk.next) {
			rk.mu.Unlock()
			return
		}
		reason := "scheduled"
		if rk.failures > 0 {
			reason = "retry"
		}
		call = rk.startLocked(reason)
	}
	rk.mu.Unlock()
	select {
	case <-call.done:
	case <-rk.done:
	}
}

// fetch discovers the JWKS URL if needed, downloads and parses the set, then
// records the outcome and reports it to the hook.
func (rk *Remote) fetch(ctx context.Context, reason string) error {
	start := time.Now()
	ctx = rk.cfg.Hooks.startFetch(ctx)
	u, err := rk.jwksURL(ctx)
	var keys []*Key
	var skipped []error
	var fresh time.Duration
	if err == nil {
		keys, skipped, fresh, err = rk.download(ctx, u)
	}
	rk.record(keys, fresh, err)
	rk.cfg.Hooks.fetched(ctx, FetchEvent{
		URL: u, Keys: len(keys), Skipped: len(skipped), Err: err,
		Duration: time.Since(start), Reason: reason,
	})
	return err
}

// jwksURL returns the configured or discovered JWKS URL. Fetches never
// overlap, so discovery runs at most once at a time.
func (rk *Remote) jwksURL(ctx context.Context) (string, error) {
	rk.mu.Lock()
	u := rk.url
	rk.mu.Unlock()
	if u != "" {
		return u, nil
	}
	md, err := rk.cfg.Hooks.discover(ctx, rk.discover, rk.issuer)
	if err != nil {
		return "", err
	}
	if md.JWKSURI == "" {
		return "", fmt.Errorf("%w: metadata of %q has no jwks_uri", ErrDiscovery, rk.issuer)
	}
	if _, err := httpx.CheckURL(md.JWKSURI, rk.cfg.AllowInsecureHTTP); err != nil {
		return "", fmt.Errorf("%w: jwks_uri: %w", ErrDiscovery, err)
	}
	rk.mu.Lock()
	rk.url = md.JWKSURI
	rk.mu.Unlock()
	return md.JWKSURI, nil
}

func (rk *Remote) discover(ctx context.Context) (*discovery.Metadata, error) {
	return discovery.Discover(ctx, rk.client, rk.issuer, rk.cfg.AllowInsecureHTTP)
}

// download fetches and parses the set at u. It returns the usable keys, the
// skipped ones, and the freshness lifetime the response headers give (or
// RefreshInterval).
func (rk *Remote) download(ctx context.Context, u string) ([]*Key, []error, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := rk.client.Do(req)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, 0, fmt.Errorf("%w: %s: status %d", ErrFetch, u, resp.StatusCode)
	}
	limit := rk.cfg.MaxResponseSize
	if resp.ContentLength > limit {
		return nil, nil, 0, fmt.Errorf("%w: %s: %w (over %d bytes)", ErrFetch, u, ErrTooLarge, limit)
	}
	body, err := httpx.ReadBody(resp.Body, limit)
	if errors.Is(err, httpx.ErrTooLarge) {
		return nil, nil, 0, fmt.Errorf("%w: %s: %w (over %d bytes)", ErrFetch, u, ErrTooLarge, limit)
	} else if err != nil {
		return nil, nil, 0, fmt.Errorf("%w: %s: %w", ErrFetch, u, err)
	}
	keys, skipped, err := rk.parse(body)
	if err != nil {
		return nil, skipped, 0, fmt.Errorf("%w: %s: %w", ErrFetch, u, err)
	}
	return keys, skipped, rk.freshness(resp.Header), nil
}

// parse converts a JWKS document into keys, refusing a set that is too large
// or has no usable key.
func (rk *Remote) parse(body []byte) ([]*Key, []error, error) {
	keys, skipped, err := ParseSet(body)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if n := len(keys) + len(skipped); n > rk.cfg.MaxKeys {
		return nil, skipped, fmt.Errorf("%w: %d keys, more than the limit of %d", ErrInvalid, n, rk.cfg.MaxKeys)
	}
	if len(keys) == 0 {
		if len(skipped) > 0 {
			return nil, skipped, fmt.Errorf("%w: no usable key (%d skipped; first: %w)", ErrInvalid, len(skipped), skipped[0])
		}
		return nil, nil, fmt.Errorf("%w: no keys", ErrInvalid)
	}
	return keys, skipped, nil
}

// record publishes a fetched set, or records a failure, and schedules the
// next fetch: after a success when 90% of the freshness lifetime has passed
// (clamped to [MinRefreshInterval, MaxRefreshInterval]); after a failure with
// exponential backoff. A failure never touches the current set.
func (rk *Remote) record(keys []*Key, fresh time.Duration, err error) {
	now := rk.cfg.Now()
	rk.mu.Lock()
	defer rk.mu.Unlock()
	rk.lastTry, rk.lastErr = now, err
	if err != nil {
		rk.failures++
		rk.next = now.Add(rk.backoff(rk.failures))
		return
	}
	rk.failures = 0
	rk.next = now.Add(min(max(fresh-fresh/10, rk.cfg.MinRefreshInterval), rk.cfg.MaxRefreshInterval))
	rk.snap.Store(replaceSnapshot(rk.snap.Load(), keys, now))
}

// backoff returns the delay before retry n (n >= 1): RetryInterval doubled
// n-1 times, capped at MaxRetryInterval, plus up to 10% jitter so that a fleet
// of APIs does not retry in step.
func (rk *Remote) backoff(n int) time.Duration {
	d, limit := rk.cfg.RetryInterval, rk.cfg.MaxRetryInterval
	for i := 1; i < n && d < limit; i++ {
		if d > limit/2 {
			d = limit
		} else {
			d *= 2
		}
	}
	if j := int64(d / 10); j > 0 {
		d += time.Duration(rand.Int64N(j + 1))
	}
	return d
}

// replaceSnapshot builds the snapshot for a fetched set. A key that is still
// published unchanged keeps its *Key, so that tokens verified with it stay
// cached; a key that is gone or changed is retired.
func replaceSnapshot(old *keySnapshot, keys []*Key, now time.Time) *keySnapshot {
	s := &keySnapshot{byID: make(map[string]*Key, len(keys)), fetched: now}
	for _, k := range keys {
		if o := old.lookupID(k.id); o != nil && sameKey(o, k) {
			k = o
		}
		s.byID[k.id] = k
		s.keys = append(s.keys, k)
	}
	if len(s.keys) == 1 {
		s.only = s.keys[0]
	}
	if old != nil {
		for _, o := range old.keys {
			if s.byID[o.id] != o {
				o.Retire()
			}
		}
	}
	return s
}

func (s *keySnapshot) lookupID(kid string) *Key {
	if s == nil {
		return nil
	}
	return s.byID[kid]
}

// sameKey reports whether a and b are the same key material under the same
// restrictions.
func sameKey(a, b *Key) bool {
	if a.id != b.id || a.alg != b.alg || a.family != b.family {
		return false
	}
	pub, ok := a.public.(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(b.public)
}

// freshness returns the freshness lifetime of a response (RFC 9111 §4.2.1):
// Cache-Control max-age minus Age, else Expires minus Date, else
// RefreshInterval. "no-cache" or "no-store", or an invalid Expires, mean
// zero: the next refresh comes after MinRefreshInterval.
func (rk *Remote) freshness(h http.Header) time.Duration {
	if cc := h.Values("Cache-Control"); len(cc) > 0 {
		maxAge, noCache := parseCacheControl(strings.Join(cc, ","))
		if noCache {
			return 0
		}
		if maxAge >= 0 {
			age, _ := strconv.ParseInt(strings.TrimSpace(h.Get("Age")), 10, 64)
			return max(time.Duration(maxAge-max(age, 0))*time.Second, 0)
		}
	}
	if e := h.Get("Expires"); e != "" {
		exp, err := http.ParseTime(e)
		if err != nil {
			return 0
		}
		base := rk.cfg.Now()
		if d, err := http.ParseTime(h.Get("Date")); err == nil {
			base = d
		}
		return max(exp.Sub(base), 0)
	}
	return rk.cfg.RefreshInterval
}

// maxCacheSeconds caps max-age so that the conversion to a Duration cannot
// overflow (RFC 9111 §1.2.2 allows any non-negative integer).
const maxCacheSeconds = 1 << 31

// parseCacheControl returns the max-age directive (-1 when absent or invalid)
// and whether no-cache or no-store is present (RFC 9111 §5.2.2).
func parseCacheControl(v string) (maxAge int64, noCache bool) {
	maxAge = -1
	for _, dir := range strings.Split(v, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "no-cache", "no-store":
			noCache = true
		case "max-age":
			n, err := strconv.ParseUint(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
			if errors.Is(err, strconv.ErrRange) || (err == nil && n > maxCacheSeconds) {
				maxAge = maxCacheSeconds // RFC 9111 §1.2.2
			} else if err == nil {
				maxAge = int64(n)
			}
		}
	}
	return maxAge, noCache
}
