package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// requirementRoutes returns a guard's routes for a cached token with roles:
// the bare handler, a scope-only requirement (what a route asked before
// issue 16) and a role-plus-scope requirement, all admitting the request.
func requirementRoutes(tb testing.TB) (bare, scopeOnly, rolePlusScope http.Handler, r *http.Request) {
	f := newHTFixture(tb)
	v, err := middleware.NewValidator(middleware.Issuer{URL: htIssuer, Audiences: []string{htAudience}, Keys: mustKeys(tb, f),
		RoleClaims: []string{"realm_access.roles", "resource_access.orders.roles"}},
		&middleware.Config{Now: func() time.Time { return htNow }})
	if err != nil {
		tb.Fatal(err)
	}
	g, err := middleware.NewGuard(v, nil)
	if err != nil {
		tb.Fatal(err)
	}
	r = httptest.NewRequest("GET", "/orders", nil)
	r.Header.Set("Authorization", "Bearer "+f.token(tb, "openid orders:read orders:write", map[string]any{
		"realm_access":    map[string]any{"roles": []string{"offline_access", "user"}},
		"resource_access": map[string]any{"orders": map[string]any{"roles": []string{"viewer", "approver"}}},
	}))
	return guardtest.BenchHandler, g.Require(scopes.AllOf("orders:read"), guardtest.BenchHandler),
		g.Require(scopes.All(scopes.AllOf("orders:read"), middleware.Role("approver")), guardtest.BenchHandler), r
}

// BenchmarkRequirementPaired measures what a role-plus-scope requirement
// costs over a scope-only one, per request through the guard with the token
// cached: each iteration runs the bare handler and both routes back to back
// (in rotating order, so that they share the machine's load), and the
// benchmark reports the median ratio of the guard's overheads (route minus
// bare) as role+scope/scope. Acceptance (issue 16): at most 1.2.
func BenchmarkRequirementPaired(b *testing.B) {
	bare, scopeOnly, rolePlusScope, r := requirementRoutes(b)
	w := guardtest.NewBenchWriter()
	for _, h := range []http.Handler{scopeOnly, rolePlusScope} {
		h.ServeHTTP(w, r) // warm the cache
		if w.Code != 0 {
			b.Fatalf("status %d", w.Code)
		}
	}
	const batch = 16 // requests per timing, above the clock's resolution
	run := func(h http.Handler) time.Duration {
		t0 := time.Now()
		for range batch {
			h.ServeHTTP(w, r)
		}
		return time.Since(t0)
	}
	var ratios []float64
	for i := 0; b.Loop(); i++ {
		hs := []http.Handler{bare, scopeOnly, rolePlusScope}
		var d [3]time.Duration
		for j := range 3 {
			k := (i + j) % 3
			d[k] = run(hs[k])
		}
		if so := d[1] - d[0]; so > 0 {
			ratios = append(ratios, float64(d[2]-d[0])/float64(so))
		}
	}
	if len(ratios) > 0 {
		slices.Sort(ratios)
		b.ReportMetric(ratios[len(ratios)/2], "role+scope/scope")
	}
}

// TestRequirementRoutes checks that both benchmark routes admit the token
// and that a missing role is refused, so the benchmark measures the
// admitted path of a requirement that can fail.
func TestRequirementRoutes(t *testing.T) {
	_, scopeOnly, rolePlusScope, r := requirementRoutes(t)
	for _, h := range []http.Handler{scopeOnly, rolePlusScope} {
		w := guardtest.NewBenchWriter()
		h.ServeHTTP(w, r)
		if w.Code != 0 {
			t.Fatalf("status %d, want 200", w.Code)
		}
	}
	n := testing.AllocsPerRun(100, func() { rolePlusScope.ServeHTTP(guardtest.NewBenchWriter(), r) })
	m := testing.AllocsPerRun(100, func() { scopeOnly.ServeHTTP(guardtest.NewBenchWriter(), r) })
	if n > m {
		t.Errorf("role+scope route: %v allocations per request, scope-only %v; want no more", n, m)
	}
}
