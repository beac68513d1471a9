package interop_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware/jwks"
)

// checkRevocation checks the life of a token revoked at the authorization
// server: accepted from the positive cache until ttl has passed, then
// refused, and the refusal served from the negative cache for negTTL.
func checkRevocation(t *testing.T, api, token string, clk *clock, ttl, negTTL time.Duration, revokeIt func(), introspections func() int) {
	t.Helper()
	wantStatus(t, api, http.MethodGet, token, http.StatusOK)
	if n := introspections(); n != 1 {
		t.Fatalf("introspection requests after first use = %d, want 1", n)
	}
	revokeIt()
	clk.Advance(ttl - time.Second)
	wantStatus(t, api, http.MethodGet, token, http.StatusOK) // cached: revocation not seen yet
	if n := introspections(); n != 1 {
		t.Fatalf("introspection requests within the cache window = %d, want 1", n)
	}
	clk.Advance(2 * time.Second)
	wantRefused(t, api, token)
	if n := introspections(); n != 2 {
		t.Fatalf("introspection requests after the cache window = %d, want 2", n)
	}
	clk.Advance(negTTL - time.Second)
	wantRefused(t, api, token) // from the negative cache
	if n := introspections(); n != 2 {
		t.Fatalf("introspection requests within the negative cache window = %d, want 2", n)
	}
}

// fetchLog records the reasons of JWKS fetches.
type fetchLog struct {
	hits
}

func (f *fetchLog) add(_ context.Context, ev jwks.FetchEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == nil {
		f.n = make(map[string]int)
	}
	if ev.Err == nil {
		f.n[ev.Reason]++
	}
}

// checkRotation checks that jwks.Remote picks up a rotation at the server: the
// token signed by the new key (kid newKID) is accepted after one refresh
// triggered by its unknown kid; the old token still passes while its key is
// published, and is refused once unpublish has removed it and the set is
// refreshed.
func checkRotation(t *testing.T, api string, rk *jwks.Remote, fetches *fetchLog, old, fresh, newKID string, unpublish func()) {
	t.Helper()
	if n := fetches.count("unknown-kid"); n != 0 {
		t.Fatalf("unknown-kid fetches before rotation = %d, want 0", n)
	}
	wantStatus(t, api, http.MethodGet, fresh, http.StatusOK)
	if n := fetches.count("unknown-kid"); n != 1 {
		t.Fatalf("unknown-kid fetches after the new key's first token = %d, want 1", n)
	}
	if !slices.ContainsFunc(rk.Keys(), func(k *jwks.Key) bool { return k.ID() == newKID }) {
		t.Fatalf("jwks.Remote does not hold the new key %q", newKID)
	}
	wantStatus(t, api, http.MethodGet, old, http.StatusOK)

	unpublish()
	if err := rk.Refresh(testContext(t)); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	wantRefused(t, api, old) // its key is retired: the cached verification goes too
	wantStatus(t, api, http.MethodGet, fresh, http.StatusOK)
}
