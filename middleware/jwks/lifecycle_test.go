package jwks_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// TestRemoteNoGoroutineLeak: every goroutine a Remote starts (its
// loop and any fetch in flight) ends by Close, including a fetch blocked on a
// hanging server, and a failed NewRemote leaves none behind.
func TestRemoteNoGoroutineLeak(t *testing.T) {
	base := guardtest.RemoteGoroutines()
	as := guardtest.Server(t, nil, "ES256")
	var sources []*jwks.Remote
	open := func(cfg *jwks.Config) *jwks.Remote {
		rk, err := jwks.NewRemote(t.Context(), as.Issuer(), cfg)
		if err != nil {
			t.Fatalf("NewRemote = %v", err)
		}
		sources = append(sources, rk)
		return rk
	}
	open(nil)
	open(&jwks.Config{Lazy: true})
	busy := open(&jwks.Config{RefreshInterval: time.Millisecond, MinRefreshInterval: time.Millisecond})
	blocked := open(&jwks.Config{Timeout: time.Minute})
	if _, err := busy.LookupKey(t.Context(), as.KeyID()); err != nil {
		t.Fatal(err)
	}

	as.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Delay: time.Minute})
	refreshed := make(chan error, 1)
	go func() { refreshed <- blocked.Refresh(context.Background()) }()
	guardtest.WaitFor(t, "a fetch in flight", func() bool { return guardtest.RemoteGoroutines() >= base+5 })

	as.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Status: http.StatusInternalServerError})
	if rk, err := jwks.NewRemote(t.Context(), as.Issuer(), nil); err == nil {
		rk.Close()
		t.Fatal("NewRemote against a failing server = nil error")
	}

	for _, rk := range sources {
		rk.Close()
	}
	if err := <-refreshed; err == nil {
		t.Error("Refresh blocked on a hanging server returned nil after Close")
	}
	guardtest.WaitFor(t, "Remote goroutines to end", func() bool { return guardtest.RemoteGoroutines() <= base })
}

// TestRemoteReplacedUnderSameKid: a kid that now names other key material
// is a new key; the old one is retired.
func TestRemoteReplacedUnderSameKid(t *testing.T) {
	srv := guardtest.NewDocServer(t, guardtest.JWKS(t, guardtest.ECJWK(t, "k1"), guardtest.ECJWK(t, "k2")))
	rk := guardtest.Remote(t, "", &jwks.Config{URL: srv.URL})
	k1, _ := rk.LookupKey(t.Context(), "k1")
	k2, _ := rk.LookupKey(t.Context(), "k2")
	body := srv.Body()
	srv.Set(guardtest.JWKS(t, guardtest.ECJWK(t, "k1")), nil)
	if err := rk.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := rk.LookupKey(t.Context(), "k1")
	if err != nil || got == k1 || got.Retired() {
		t.Errorf("LookupKey(k1) after replacement = %p, %v; want a new live key", got, err)
	}
	if !k1.Retired() || !k2.Retired() {
		t.Errorf("replaced k1 retired %v, removed k2 retired %v; want both retired", k1.Retired(), k2.Retired())
	}
	// The set now has one key: a token without "kid" gets it.
	if only, err := rk.LookupKey(t.Context(), ""); err != nil || only != got {
		t.Errorf("LookupKey(\"\") with one key = %p, %v; want %p", only, err, got)
	}
	srv.Set(body, nil)
	if err := rk.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err = rk.LookupKey(t.Context(), "")
	guardtest.WantError(t, "LookupKey(\"\") with two keys", err, jwks.ErrUnknownKey)
}

// TestRemoteBackoff checks the retry schedule after consecutive failures:
// RetryInterval (2s) doubled per failure up to MaxRetryInterval (1m), plus up
// to 10% jitter. middleware's TestRemoteOutageLive shows the loop running the retries.
func TestRemoteBackoff(t *testing.T) {
	clock := guardtest.NewClock()
	as := guardtest.Server(t, clock, "ES256")
	var events guardtest.Fetches
	rk := guardtest.Remote(t, as.Issuer(), &jwks.Config{Now: clock.Now, Hooks: events.Hooks()})
	as.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Status: http.StatusServiceUnavailable})
	for n, base := range []time.Duration{2, 4, 8, 16, 32, 60, 60} {
		base *= time.Second
		if err := rk.Refresh(t.Context()); err == nil {
			t.Fatalf("Refresh %d = nil error during the outage", n+1)
		}
		st := rk.Status()
		delay := st.NextRefresh.Sub(clock.Now())
		if st.Failures != n+1 || delay < base || delay > base+base/10 {
			t.Errorf("after failure %d: Failures = %d, next retry in %v; want %d and [%v, %v]", n+1, st.Failures, delay, n+1, base, base+base/10)
		}
	}
	as.ClearFault(oauthtest.EndpointJWKS)
	if err := rk.Refresh(t.Context()); err != nil {
		t.Fatalf("Refresh after recovery = %v", err)
	}
	st := rk.Status()
	if st.Failures != 0 || st.NextRefresh.Sub(clock.Now()) != 15*time.Minute*9/10 {
		t.Errorf("Status() after recovery = %+v, want no failures and the normal schedule", st)
	}
	if r := events.Reasons(); len(r) != 9 || r[0] != "initial" || r[8] != "manual" {
		t.Errorf("fetch reasons = %v, want initial then 8 manual", r)
	}
}
