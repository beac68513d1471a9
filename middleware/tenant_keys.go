package middleware

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// tenantKeys holds the key sources of a template issuer's tenants: a
// least-recently-used list bounded by [Tenants.MaxTenants], whose evicted
// sources are closed, and a bound on the sources made per minute.
type tenantKeys struct {
	base   *tenantIssuer
	rkc    RemoteKeysConfig // the settings of every tenant's source, Lazy
	now    func() time.Time
	max    int
	perMin int

	mu       sync.Mutex
	lru      list.List // of *tenantEntry, most recently used first
	byTenant map[string]*list.Element
	window   time.Time // start of the minute that made counts
	made     int
	closed   bool
}

type tenantEntry struct {
	tenant string
	is     *issuer // the base issuer for one tenant: its URL and key source
	rk     *RemoteKeys
}

func newTenantKeys(ti *tenantIssuer, rkc *RemoteKeysConfig, now func() time.Time) *tenantKeys {
	k := &tenantKeys{base: ti, now: now, max: ti.Tenants.MaxTenants, perMin: ti.Tenants.NewTenantsPerMinute,
		byTenant: make(map[string]*list.Element)}
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
	var evicted *RemoteKeys
	if err == nil {
		k.byTenant[tenant] = k.lru.PushFront(e)
		if k.lru.Len() > k.max {
			old := k.lru.Remove(k.lru.Back()).(*tenantEntry)
			delete(k.byTenant, old.tenant)
			evicted = old.rk
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
		cfg.JWKSURL = k.base.jwks.expand(tenant)
	}
	rk, err := NewRemoteKeys(context.Background(), iss, &cfg)
	if err != nil {
		return nil, Unavailable(ErrKeysUnavailable, err)
	}
	k.made++
	is := *k.base.issuer
	is.Issuer.URL = iss
	is.Keys = rk
	is.Tenants = nil
	return &tenantEntry{tenant: tenant, is: &is, rk: rk}, nil
}

// len returns how many tenants have a key source.
func (k *tenantKeys) len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lru.Len()
}

// Close closes every tenant's key source; later tokens of a tenant are
// answered ErrUnavailable.
func (k *tenantKeys) Close() error {
	k.mu.Lock()
	k.closed = true
	var sources []*RemoteKeys
	for el := k.lru.Front(); el != nil; el = el.Next() {
		sources = append(sources, el.Value.(*tenantEntry).rk)
	}
	k.lru.Init()
	clear(k.byTenant)
	k.mu.Unlock()
	var errs []error
	for _, rk := range sources {
		errs = append(errs, rk.Close())
	}
	return errors.Join(errs...)
}
