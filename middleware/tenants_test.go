package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// tenantTemplate is the issuer template of the tests' multi-tenant provider,
// shaped as Entra ID's.
const tenantTemplate = "https://login.example.test/{tenantid}/v2.0"

func tenantIssuer(tenant string) string {
	return strings.Replace(tenantTemplate, middleware.TenantPlaceholder, tenant, 1)
}

// tenantProvider serves each tenant's JWK Set at /{tenant}/keys from its own
// oauthtest server (each with its own signing keys), counting the requests.
type tenantProvider struct {
	srv      *httptest.Server
	tenants  map[string]*oauthtest.Server
	requests atomic.Int64
	mu       sync.Mutex
	by       map[string]int
}

func newTenantProvider(t testing.TB, names ...string) *tenantProvider {
	t.Helper()
	p := &tenantProvider{tenants: make(map[string]*oauthtest.Server), by: make(map[string]int)}
	for _, n := range names {
		as := oauthtest.NewServer(nil)
		t.Cleanup(as.Close)
		p.tenants[n] = as
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *tenantProvider) serve(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	tenant, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	p.mu.Lock()
	p.by[tenant]++
	p.mu.Unlock()
	as := p.tenants[tenant]
	if as == nil {
		http.NotFound(w, r)
		return
	}
	resp, err := http.Get(as.JWKSURL())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", "application/json")
	io.Copy(w, resp.Body)
}

func (p *tenantProvider) fetches(tenant string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.by[tenant]
}

// token mints a token of tenant signed with signer's keys.
func (p *tenantProvider) token(tenant, signer string, claims map[string]any) string {
	c := map[string]any{"iss": tenantIssuer(tenant), "tid": tenant}
	for k, v := range claims {
		c[k] = v
	}
	return p.tenants[signer].Token(oauthtest.TokenOptions{Claims: c})
}

func (p *tenantProvider) validator(t testing.TB, tenants middleware.Tenants) *middleware.Validator {
	t.Helper()
	tenants.JWKSURL = p.srv.URL + "/{tenantid}/keys"
	tenants.Claim = "tid"
	v, err := middleware.NewValidator(middleware.Issuer{URL: tenantTemplate, Audiences: []string{oauthtest.DefaultAudience}, Tenants: &tenants}, nil)
	if err != nil {
		t.Fatalf("NewValidator(template) = %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// TestTenantsThreeTenants: three tenants on oauthtest, each with its own
// keys; each tenant's tokens verify with its keys, fetched once; a tenant
// outside the allow-list, an issuer outside the template and a "tid" that
// is not the tenant of "iss" cause no fetch; a token of tenant A signed with
// tenant B's keys is refused.
func TestTenantsThreeTenants(t *testing.T) {
	p := newTenantProvider(t, "tenant-a", "tenant-b", "tenant-c", "tenant-d")
	v := p.validator(t, middleware.Tenants{Allowed: []string{"tenant-a", "tenant-b", "tenant-c"}})
	ctx := context.Background()
	for _, tenant := range []string{"tenant-a", "tenant-b", "tenant-c"} {
		for range 3 {
			c, err := v.Validate(ctx, p.token(tenant, tenant, nil))
			if err != nil {
				t.Fatalf("Validate(%s token) = %v", tenant, err)
			}
			if c.Issuer != tenantIssuer(tenant) {
				t.Errorf("Validate(%s token) iss = %q", tenant, c.Issuer)
			}
		}
		if n := p.fetches(tenant); n != 1 {
			t.Errorf("%s: %d JWKS fetches for three tokens, want 1", tenant, n)
		}
	}
	before := p.requests.Load()
	for _, tc := range []struct {
		name   string
		token  string
		reason error
	}{
		{"tenant outside the allow-list", p.token("tenant-d", "tenant-d", nil), middleware.ErrIssuerMismatch},
		{"issuer outside the template", p.tenants["tenant-a"].Token(oauthtest.TokenOptions{Claims: map[string]any{"iss": "https://evil.example.test/tenant-a/v2.0"}}), middleware.ErrIssuerMismatch},
		{"tenant with a slash", p.token("tenant-a/../evil", "tenant-a", nil), middleware.ErrIssuerMismatch},
		{"tid of another tenant", p.token("tenant-a", "tenant-a", map[string]any{"tid": "tenant-b"}), middleware.ErrIssuerMismatch},
		{"no tid", p.token("tenant-a", "tenant-a", map[string]any{"tid": nil}), middleware.ErrIssuerMismatch},
		{"literal template", p.token(middleware.TenantPlaceholder, "tenant-a", nil), middleware.ErrIssuerMismatch},
	} {
		_, err := v.Validate(ctx, tc.token)
		if !errors.Is(err, tc.reason) {
			t.Errorf("%s: Validate = %v, want %v", tc.name, err, tc.reason)
		}
	}
	if n := p.requests.Load() - before; n != 0 {
		t.Errorf("refused issuers caused %d JWKS requests, want 0", n)
	}
	// Tenant B signs a token claiming to be tenant A's: A's keys do not
	// hold B's key, whatever kid it names.
	_, err := v.Validate(ctx, p.token("tenant-a", "tenant-b", nil))
	if !errors.Is(err, middleware.ErrInvalidToken) || !(errors.Is(err, middleware.ErrUnknownKey) || errors.Is(err, middleware.ErrBadSignature)) {
		t.Errorf("tenant A token signed with tenant B's key: Validate = %v, want unknown key or bad signature", err)
	}
	if n := p.fetches("tenant-b"); n != 1 {
		t.Errorf("the cross-tenant token fetched tenant B's keys (%d fetches), want only A's", n)
	}
}

// TestTenantsAnyTenant: AllowAnyTenant accepts a tenant named nowhere in the
// configuration, with its own keys.
func TestTenantsAnyTenant(t *testing.T) {
	p := newTenantProvider(t, "t1", "t2")
	v := p.validator(t, middleware.Tenants{AllowAnyTenant: true})
	for _, tenant := range []string{"t1", "t2"} {
		if _, err := v.Validate(context.Background(), p.token(tenant, tenant, nil)); err != nil {
			t.Errorf("Validate(%s token) = %v", tenant, err)
		}
	}
	if _, err := v.Validate(context.Background(), p.token("t1", "t2", nil)); !errors.Is(err, middleware.ErrInvalidToken) {
		t.Errorf("t1 token signed with t2's key: Validate = %v, want invalid_token", err)
	}
}

// TestTenantsEviction: beyond MaxTenants the least recently used tenant's
// key source is closed — no goroutine is left behind — and its next token
// fetches its keys again.
func TestTenantsEviction(t *testing.T) {
	p := newTenantProvider(t, "t1", "t2", "t3")
	base := guardtest.RemoteGoroutines()
	v := p.validator(t, middleware.Tenants{AllowAnyTenant: true, MaxTenants: 2})
	ctx := context.Background()
	for i, tenant := range []string{"t1", "t2", "t1", "t3"} { // t2 is then the least recently used
		// Each token differs (a cached token needs no key, and does not
		// touch its tenant's place in the list).
		if _, err := v.Validate(ctx, p.token(tenant, tenant, map[string]any{"jti": string(rune('a' + i))})); err != nil {
			t.Fatalf("Validate(%s token) = %v", tenant, err)
		}
	}
	// Two loops; a fetch's goroutine may still be ending as Validate returns.
	guardtest.WaitFor(t, "two key sources' goroutines for MaxTenants 2", func() bool { return guardtest.RemoteGoroutines()-base == 2 })
	if _, err := v.Validate(ctx, p.token("t2", "t2", map[string]any{"jti": "again"})); err != nil {
		t.Fatalf("Validate(evicted t2 token) = %v", err)
	}
	if n := p.fetches("t2"); n != 2 {
		t.Errorf("t2: %d fetches, want 2 (fetched again after eviction)", n)
	}
	if n := p.fetches("t1"); n != 1 {
		t.Errorf("t1: %d fetches, want 1 (recently used, kept)", n)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	guardtest.WaitFor(t, "no key source goroutine after Close", func() bool { return guardtest.RemoteGoroutines() == base })
	if _, err := v.Validate(ctx, p.token("t3", "t3", map[string]any{"jti": "closed"})); !errors.Is(err, middleware.ErrUnavailable) {
		t.Errorf("Validate after Close = %v, want ErrUnavailable", err)
	}
}

// TestTenantsDiscoveryRate: at most NewTenantsPerMinute tenants' key sources
// are made per minute; a token of a tenant over the bound is undecided (503),
// and accepted once the minute has passed.
func TestTenantsDiscoveryRate(t *testing.T) {
	p := newTenantProvider(t, "t1", "t2", "t3")
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tenants := middleware.Tenants{AllowAnyTenant: true, NewTenantsPerMinute: 2, JWKSURL: p.srv.URL + "/{tenantid}/keys", Claim: "tid"}
	v, err := middleware.NewValidator(middleware.Issuer{URL: tenantTemplate, Audiences: []string{oauthtest.DefaultAudience}, Tenants: &tenants},
		&middleware.Config{Now: clock, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ctx := context.Background()
	for _, tenant := range []string{"t1", "t2"} {
		if _, err := v.Validate(ctx, p.token(tenant, tenant, nil)); err != nil {
			t.Fatalf("Validate(%s) = %v", tenant, err)
		}
	}
	if _, err := v.Validate(ctx, p.token("t3", "t3", nil)); !errors.Is(err, middleware.ErrUnavailable) {
		t.Fatalf("third new tenant within a minute: Validate = %v, want ErrUnavailable", err)
	}
	if n := p.fetches("t3"); n != 0 {
		t.Errorf("t3 over the rate: %d fetches, want 0", n)
	}
	if _, err := v.Validate(ctx, p.token("t1", "t1", nil)); err != nil {
		t.Errorf("known tenant over the rate: Validate = %v, want accepted", err)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if _, err := v.Validate(ctx, p.token("t3", "t3", nil)); err != nil {
		t.Errorf("t3 a minute later: Validate = %v", err)
	}
}

// TestTenantsConfig: a template is refused without tenants, with keys, or
// without its placeholder in the path.
func TestTenantsConfig(t *testing.T) {
	keys, _ := jwks.NewStatic()
	for _, tc := range []struct {
		name string
		iss  middleware.Issuer
	}{
		{"no tenants", middleware.Issuer{URL: tenantTemplate, Audiences: []string{"a"}, Tenants: &middleware.Tenants{}}},
		{"keys", middleware.Issuer{URL: tenantTemplate, Audiences: []string{"a"}, Keys: keys, Tenants: &middleware.Tenants{AllowAnyTenant: true}}},
		{"no placeholder", middleware.Issuer{URL: "https://login.example.test/common/v2.0", Audiences: []string{"a"}, Tenants: &middleware.Tenants{AllowAnyTenant: true}}},
		{"placeholder in the host", middleware.Issuer{URL: "https://{tenantid}.example.test/", Audiences: []string{"a"}, Tenants: &middleware.Tenants{AllowAnyTenant: true}}},
		{"two placeholders", middleware.Issuer{URL: "https://x.test/{tenantid}/{tenantid}", Audiences: []string{"a"}, Tenants: &middleware.Tenants{AllowAnyTenant: true}}},
		{"invalid allowed tenant", middleware.Issuer{URL: tenantTemplate, Audiences: []string{"a"}, Tenants: &middleware.Tenants{Allowed: []string{"a/b"}}}},
	} {
		if v, err := middleware.NewValidator(tc.iss, nil); err == nil {
			v.Close()
			t.Errorf("%s: NewValidator = nil error", tc.name)
		}
	}
}

// BenchmarkTenantsValidate: the uncached validation of a tenant's token
// (template match, tenant lookup in the LRU, its keys) against the same
// token shape of a single configured issuer.
func BenchmarkTenantsValidate(b *testing.B) {
	p := newTenantProvider(b, "t1")
	ctx := context.Background()
	b.Run("single-issuer", func(b *testing.B) {
		as := p.tenants["t1"]
		keys, err := jwks.NewRemote(ctx, "", &jwks.Config{URL: as.JWKSURL()})
		if err != nil {
			b.Fatal(err)
		}
		defer keys.Close()
		v, err := middleware.NewValidator(middleware.Issuer{URL: tenantIssuer("t1"), Audiences: []string{oauthtest.DefaultAudience}, Keys: keys},
			&middleware.Config{CacheSize: -1})
		if err != nil {
			b.Fatal(err)
		}
		tok := p.token("t1", "t1", nil)
		b.ResetTimer()
		for b.Loop() {
			if _, err := v.Validate(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tenant", func(b *testing.B) {
		tenants := middleware.Tenants{AllowAnyTenant: true, JWKSURL: p.srv.URL + "/{tenantid}/keys", Claim: "tid"}
		v, err := middleware.NewValidator(middleware.Issuer{URL: tenantTemplate, Audiences: []string{oauthtest.DefaultAudience}, Tenants: &tenants},
			&middleware.Config{CacheSize: -1})
		if err != nil {
			b.Fatal(err)
		}
		defer v.Close()
		tok := p.token("t1", "t1", nil)
		b.ResetTimer()
		for b.Loop() {
			if _, err := v.Validate(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestTenantsConcurrent: many goroutines validate tokens of five tenants
// while the LRU, bounded to two, evicts and remakes their key sources. A
// valid token is always accepted — a source evicted while a lookup uses it
// closes when the lookup ends — a cross-tenant one always refused, and Close
// leaves no goroutine behind.
func TestTenantsConcurrent(t *testing.T) {
	names := []string{"t1", "t2", "t3", "t4", "t5"}
	p := newTenantProvider(t, names...)
	base := guardtest.RemoteGoroutines()
	v := p.validator(t, middleware.Tenants{AllowAnyTenant: true, MaxTenants: 2, NewTenantsPerMinute: 1000})
	var wg sync.WaitGroup
	var accepted, undecided atomic.Int64
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				tenant := names[(g+i)%len(names)]
				_, err := v.Validate(context.Background(), p.token(tenant, tenant, map[string]any{"jti": fmt.Sprint(g, "-", i)}))
				switch {
				case err == nil:
					accepted.Add(1)
				case errors.Is(err, middleware.ErrUnavailable):
					undecided.Add(1)
				default:
					t.Errorf("Validate(%s token) = %v, want accepted or undecided", tenant, err)
					return
				}
				if i%10 == 0 {
					signer := names[(g+i+1)%len(names)]
					if _, err := v.Validate(context.Background(), p.token(tenant, signer, map[string]any{"jti": fmt.Sprint("x", g, "-", i)})); !errors.Is(err, middleware.ErrInvalidToken) && !errors.Is(err, middleware.ErrUnavailable) {
						t.Errorf("%s token signed by %s: Validate = %v, want refused", tenant, signer, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	// An evicted source serves the lookups in flight before it closes, and
	// the rate bound (1000) is above the sources made here (at most 352).
	if n := undecided.Load(); n != 0 {
		t.Errorf("%d valid tokens undecided under eviction churn (%d accepted), want 0", n, accepted.Load())
	}
	v.Close()
	guardtest.WaitFor(t, "no key source goroutine after Close", func() bool { return guardtest.RemoteGoroutines() == base })
}
