package jwks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rsguard/rsguard/internal/httpx"
)

// Why not jwx's jwk.Cache (httprc v3)? It parses with jwx, caps the body and
// honours Cache-Control/Expires within [min, max], but it misses rules this
// key source must keep: it reads time.Now (no injectable clock), so staleness
// and rate limits cannot be tested to the second; a failed fetch keeps the
// old set forever (no maximum staleness) and is retried after a fixed
// interval, not with backoff; a well-formed but empty set replaces a good
// one; Refresh calls queue on one controller goroutine, with no coalescing and
// no rate limit for unknown-kid refreshes, so a kid flood becomes a fetch
// flood; and it stores jwk.Set values, so keys would be converted per request
// or need a second cache, and the keys a refresh drops could not be retired.
// The fetch loop is therefore built here, with jwx (through ParseSet) for
// the parsing, the part of jwk.Cache that fits.

// Remote is a [Source] that fetches a JWK Set (RFC 7517 §5) over
// HTTP(S), from a URL given or discovered (RFC 8414 §2 "jwks_uri"), and keeps
// it fresh in the background. Keys are converted to Go keys once per fetch;
// LookupKey of a known key reads an immutable snapshot and never waits on a
// fetch. A token whose "kid" is unknown triggers one coalesced, rate-limited
// refresh. When fetches fail, the last good set keeps serving for up to
// MaxStaleness. A key dropped by a refresh is retired ([Key.Retire]).
//
// Remote is safe for concurrent use. Call Close to stop its background
// goroutine.
type Remote struct {
	issuer string
	cfg    Config // defaults applied
	client *http.Client

	snap atomic.Pointer[keySnapshot] // nil until the first successful fetch

	mu          sync.Mutex
	url         string     // JWKS URL; "" until discovered
	inflight    *fetchCall // the fetch in progress, if any
	next        time.Time  // next scheduled fetch; zero when none yet
	unknownNext time.Time  // when the unknown-kid limiter opens again
	failures    int        // consecutive failed fetches
	lastErr     error
	lastTry     time.Time
	closed      bool

	wake      chan struct{} // pokes the loop to re-read next
	done      chan struct{} // closed by Close
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// keySnapshot is one fetched set; it is never modified once published.
type keySnapshot struct {
	byID    map[string]*Key
	only    *Key // the single key, when the set has exactly one
	keys    []*Key
	fetched time.Time
}

func (s *keySnapshot) lookup(kid string) *Key {
	if s == nil {
		return nil
	}
	if kid == "" {
		return s.only
	}
	return s.byID[kid]
}

// fetchCall is one fetch, shared by everyone who waits for it.
type fetchCall struct {
	done   chan struct{}
	err    error
	cancel context.CancelFunc
}

// wait waits for the fetch or for ctx, whichever ends first.
func (c *fetchCall) wait(ctx context.Context) error {
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NewRemote returns a key source for issuer's JWK Set. The set's URL is
// cfg.URL or, when that is empty, discovered from issuer (which may be
// empty only when URL is set). Unless cfg.Lazy is set, it fetches the set
// before returning and returns an error matching [ErrDiscovery] or
// [ErrFetch] if it cannot. cfg may be nil. Call Close when done.
func NewRemote(ctx context.Context, issuer string, cfg *Config) (*Remote, error) {
	c, err := configDefaults(cfg)
	if err != nil {
		return nil, err
	}
	if c.URL == "" {
		if issuer == "" {
			return nil, errors.New("jwks: neither issuer nor Config.URL set")
		}
		if _, err := httpx.CheckURL(issuer, c.AllowInsecureHTTP); err != nil {
			return nil, fmt.Errorf("jwks: issuer: %w", err)
		}
	} else if _, err := httpx.CheckURL(c.URL, c.AllowInsecureHTTP); err != nil {
		return nil, fmt.Errorf("jwks: Config.URL: %w", err)
	}
	rk := &Remote{
		issuer: issuer,
		cfg:    c,
		client: fetchClient(c),
		url:    c.URL,
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	if !c.Lazy {
		fctx, cancel := context.WithTimeout(ctx, c.Timeout)
		err := rk.fetch(fctx, "initial")
		cancel()
		if err != nil {
			return nil, err
		}
	}
	rk.wg.Add(1)
	go rk.loop()
	return rk, nil
}

// fetchClient returns the client for fetches: cfg.HTTPClient (or
// http.DefaultClient) with the rules of httpx.Client, and cfg.Timeout when the
// client sets no timeout of its own.
func fetchClient(cfg Config) *http.Client {
	base := http.DefaultClient
	if cfg.HTTPClient != nil {
		base = cfg.HTTPClient
	}
	c := *base
	if c.Timeout == 0 {
		c.Timeout = cfg.Timeout
	}
	return httpx.Client(&c)
}

// unavailable is LookupKey's error when the keys cannot be obtained.
func unavailable(cause error) error {
	if cause == nil {
		return ErrUnavailable
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, cause)
}

// LookupKey implements [Source]. A known key is returned from the current
// set without waiting. An unknown kid (or an empty kid when the set does not
// hold exactly one key) triggers a refresh if the unknown-kid limiter is open,
// or joins the fetch in flight; otherwise it is refused at once with an error
// matching ErrUnknownKey — unless the last fetch failed: then the kid may be
// a new key the set could not be fetched to show, and the error matches
// ErrUnavailable until a fetch succeeds (the limiter still bounds fetches).
// When the set is older than MaxStaleness, or was never fetched, the error
// matches ErrUnavailable.
func (rk *Remote) LookupKey(ctx context.Context, kid string) (*Key, error) {
	s := rk.snap.Load()
	if s == nil {
		return rk.lookupFirst(ctx, kid)
	}
	now := rk.cfg.Now()
	if now.Sub(s.fetched) > rk.cfg.MaxStaleness {
		return nil, unavailable(rk.staleCause())
	}
	if k := s.lookup(kid); k != nil {
		return k, nil
	}
	return rk.lookupUnknown(ctx, kid, now)
}

// lookupUnknown handles a kid missing from the current set.
func (rk *Remote) lookupUnknown(ctx context.Context, kid string, now time.Time) (*Key, error) {
	rk.mu.Lock()
	if k := rk.snap.Load().lookup(kid); k != nil { // a fetch just ended
		rk.mu.Unlock()
		return k, nil
	}
	call := rk.inflight
	if call == nil {
		if rk.closed || now.Before(rk.unknownNext) {
			err := rk.lastErr
			failing := rk.failures > 0 && !rk.closed
			rk.mu.Unlock()
			if failing {
				// The set may well hold the kid by now: while the last
				// fetch failed, an unknown kid is undecided, not invalid.
				return nil, unavailable(err)
			}
			return nil, ErrUnknownKey
		}
		rk.unknownNext = now.Add(rk.cfg.UnknownKIDInterval)
		call = rk.startLocked("unknown-kid")
	}
	rk.mu.Unlock()
	if err := call.wait(ctx); err != nil {
		return nil, unavailable(err)
	}
	if k := rk.snap.Load().lookup(kid); k != nil {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// lookupFirst handles a lookup before any fetch has succeeded (Lazy mode, or
// after failed lazy fetches): it starts or joins a fetch, unless the last one
// failed and its retry is not yet due.
func (rk *Remote) lookupFirst(ctx context.Context, kid string) (*Key, error) {
	rk.mu.Lock()
	call := rk.inflight
	if call == nil {
		switch {
		case rk.closed:
			rk.mu.Unlock()
			return nil, unavailable(ErrClosed)
		case rk.failures > 0 && rk.cfg.Now().Before(rk.next):
			err := rk.lastErr
			rk.mu.Unlock()
			return nil, unavailable(err)
		}
		call = rk.startLocked("initial")
	}
	rk.mu.Unlock()
	if err := call.wait(ctx); err != nil {
		return nil, unavailable(err)
	}
	s := rk.snap.Load()
	if s == nil {
		return nil, unavailable(rk.LastError())
	}
	if k := s.lookup(kid); k != nil {
		return k, nil
	}
	return nil, ErrUnknownKey
}

func (rk *Remote) staleCause() error {
	if err := rk.LastError(); err != nil {
		return fmt.Errorf("%w: %w", ErrStale, err)
	}
	return ErrStale
}

// Keys returns the keys of the current set (nil before the first successful
// fetch).
func (rk *Remote) Keys() []*Key {
	if s := rk.snap.Load(); s != nil {
		return append([]*Key(nil), s.keys...)
	}
	return nil
}

// LastError returns the error of the last fetch, or nil if it succeeded (or
// none was made yet).
func (rk *Remote) LastError() error {
	rk.mu.Lock()
	defer rk.mu.Unlock()
	return rk.lastErr
}

// Status is a health report of a [Remote], for readiness probes
// and metrics.
type Status struct {
	URL         string    // the JWKS URL, once known
	Keys        int       // usable keys in the current set
	FetchedAt   time.Time // last successful fetch; zero if none
	LastAttempt time.Time // last fetch attempt; zero if none
	LastError   error     // error of the last attempt; nil if it succeeded
	Failures    int       // consecutive failed attempts
	NextRefresh time.Time // next scheduled fetch; zero if none is scheduled
	Stale       bool      // no fetch succeeded within MaxStaleness: lookups fail
}

// Status returns the key source's health.
func (rk *Remote) Status() Status {
	s := rk.snap.Load()
	rk.mu.Lock()
	st := Status{
		URL: rk.url, LastAttempt: rk.lastTry, LastError: rk.lastErr,
		Failures: rk.failures, NextRefresh: rk.next,
	}
	rk.mu.Unlock()
	if s != nil {
		st.Keys, st.FetchedAt = len(s.keys), s.fetched
	}
	st.Stale = s == nil || rk.cfg.Now().Sub(s.fetched) > rk.cfg.MaxStaleness
	return st
}

// Refresh fetches the set now, or joins the fetch in flight, and returns its
// error. It is not rate-limited. A failed refresh keeps the current set.
func (rk *Remote) Refresh(ctx context.Context) error {
	rk.mu.Lock()
	call := rk.inflight
	if call == nil {
		if rk.closed {
			rk.mu.Unlock()
			return ErrClosed
		}
		call = rk.startLocked("manual")
	}
	rk.mu.Unlock()
	return call.wait(ctx)
}

// Close stops the background refresh, cancels a fetch in flight and waits for
// them to end. Lookups of known keys keep working on the last set. Close is
// idempotent.
func (rk *Remote) Close() error {
	rk.closeOnce.Do(func() {
		rk.mu.Lock()
		rk.closed = true
		if rk.inflight != nil {
			rk.inflight.cancel()
		}
		rk.mu.Unlock()
		close(rk.done)
		rk.wg.Wait()
	})
	return nil
}
