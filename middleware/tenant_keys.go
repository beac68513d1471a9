package middleware

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rsguard/rsguard/middleware/jwks"
)

// tenantKeys holds the key sources of a template issuer's tenants: a
// least-recently-used list bounded by [Tenants.MaxTenants], whose evicted
// sources are closed, and a bound on the sources made per minute.
type tenantKeys struct {
	base   *tenantIssuer
	rkc    jwks.Config // the settings of every tenant's source, Lazy
	now    func() time.Time
	max    int
	perMin int

	mu       sync.Mutex
	lru      list.List // of *tenantEntry, most recently used first
	byTenant map[string]*list.Element
	draining map[*tenantSource]struct{} // evicted, closed when their last lookup ends
	window   time.Time                  // start of the minute that made counts
	made     int
	closed   bool
}

type tenantEntry struct {
	tenant string
	is     *issuer // the base issuer for one tenant: its URL and key source
	src    *tenantSource
}

// tenantSource is a tenant's [jwks.Remote] as its issuer's [jwks.Source]. An
// evicted source is closed when its last lookup in flight ends, so that a
// request that resolved the tenant before the eviction still gets its key;
// a lookup on a source already closed resolves the tenant again.
type tenantSource struct {
	k       *tenantKeys
	tenant  string
	iss     string
	rk      *jwks.Remote
	refs    int  // lookups in flight; guarded by k.mu
	evicted bool // out of the list; guarded by k.mu
	closed  bool // guarded by k.mu
}

// LookupKey implements [jwks.Source].
func (s *tenantSource) LookupKey(ctx context.Context, kid string) (*jwks.Key, error) {
	s.k.mu.Lock()
	if s.closed {
		s.k.mu.Unlock()
		is, err := s.k.issuer(s.tenant, s.iss)
		if err != nil {
			return nil, err
		}
		if is.Keys.(*tenantSource) == s {
			return nil, errTenantsClosed
		}
		return is.Keys.LookupKey(ctx, kid)
	}
	s.refs++
	s.k.mu.Unlock()
	key, err := s.rk.LookupKey(ctx, kid)
	s.k.mu.Lock()
	s.refs--
	closeNow := s.releaseLocked()
	s.k.mu.Unlock()
	if closeNow {
		s.rk.Close()
	}
	return key, err
}

// releaseLocked reports whether s is to be closed now: evicted, and no
// lookup in flight.
func (s *tenantSource) releaseLocked() bool {
	if s.evicted && s.refs == 0 && !s.closed {
		s.closed = true
		delete(s.k.draining, s)
		return true
	}
	return false
}

func newTenantKeys(ti *tenantIssuer, rkc *jwks.Config, now func() time.Time) *tenantKeys {
	k := &tenantKeys{base: ti, now: now, max: ti.Tenants.MaxTenants, perMin: ti.Tenants.NewTenantsPerMinute,
		byTenant: make(map[string]*list.Element), draining: make(map[*tenantSource]struct{})}
	if rkc != nil {
		k.rkc = *rkc
	}
	k.rkc.Lazy = true // no network call until a token of the tenant needs a key
	if k.max == 0 {
		k.max = DefaultMaxTenants
	}
	if k.perMin == 0 {
		k.perMin = DefaultNewTenantsPerMinute
	}
	return k
}

var errTenantsClosed = Unavailable(ErrKeysUnavailable, errors.New("middleware: validator closed"))

// issuer returns the issuer of tenant (whose issuer URL is iss), making its
// key source if it has none, within the rate bound, and evicting the least
// recently used tenant beyond MaxTenants.
func (k *tenantKeys) issuer(tenant, iss string) (*issuer, error) {
	k.mu.Lock()
	if el, ok := k.byTenant[tenant]; ok {
		k.lru.MoveToFront(el)
		is := el.Value.(*tenantEntry).is
		k.mu.Unlock()
		return is, nil
	}
	e, err := k.makeLocked(tenant, iss)
	var evicted *jwks.Remote
	if err == nil {
		k.byTenant[tenant] = k.lru.PushFront(e)
		if k.lru.Len() > k.max {
			old := k.lru.Remove(k.lru.Back()).(*tenantEntry)
			delete(k.byTenant, old.tenant)
			old.src.evicted = true
			if old.src.releaseLocked() {
				evicted = old.src.rk
			} else {
				k.draining[old.src] = struct{}{}
			}
		}
	}
	k.mu.Unlock()
	if evicted != nil {
		evicted.Close() // outside the lock: Close waits for the source's goroutine
	}
	if err != nil {
		return nil, err
	}
	return e.is, nil
}

// makeLocked makes tenant's key source, if the rate bound allows one more.
func (k *tenantKeys) makeLocked(tenant, iss string) (*tenantEntry, error) {
	if k.closed {
		return nil, errTenantsClosed
	}
	now := k.now()
	if now.Sub(k.window) >= time.Minute || now.Before(k.window) {
		k.window, k.made = now, 0
	}
	if k.made >= k.perMin {
		return nil, errTenantRate
	}
	cfg := k.rkc
	if k.base.jwks.prefix != "" {
		cfg.URL = k.base.jwks.expand(tenant)
	}
	rk, err := jwks.NewRemote(context.Background(), iss, &cfg)
	if err != nil {
		return nil, Unavailable(ErrKeysUnavailable, err)
	}
	k.made++
	src := &tenantSource{k: k, tenant: tenant, iss: iss, rk: rk}
	is := *k.base.issuer
	is.Issuer.URL = iss
	is.Keys = src
	is.Tenants = nil
	return &tenantEntry{tenant: tenant, is: &is, src: src}, nil
}

// Close closes every tenant's key source, evicted ones with lookups in
// flight included; later tokens of a tenant are answered ErrUnavailable.
func (k *tenantKeys) Close() error {
	k.mu.Lock()
	k.closed = true
	var sources []*jwks.Remote
	for el := k.lru.Front(); el != nil; el = el.Next() {
		src := el.Value.(*tenantEntry).src
		src.evicted, src.closed = true, true
		sources = append(sources, src.rk)
	}
	for src := range k.draining {
		if !src.closed {
			src.closed = true
			sources = append(sources, src.rk)
		}
	}
	clear(k.draining)
	k.lru.Init()
	clear(k.byTenant)
	k.mu.Unlock()
	var errs []error
	for _, rk := range sources {
		errs = append(errs, rk.Close())
	}
	return errors.Join(errs...)
}
