package middleware_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// TestRemoteOutage: while the JWKS endpoint fails in every way, valid
// tokens keep validating on the last good set; recovery is picked up; beyond
// MaxStaleness lookups answer ErrUnavailable.
func TestRemoteOutage(t *testing.T) {
	clock := guardtest.NewClock()
	as := guardtest.Server(t, clock, "ES256")
	rk := guardtest.Remote(t, as.Issuer(), &jwks.Config{Now: clock.Now, Timeout: time.Second})
	v := jwksValidator(t, as, rk, clock, -1) // no token cache: every validation looks its key up
	token := as.Token(oauthtest.TokenOptions{})
	key, _ := rk.LookupKey(t.Context(), as.KeyID())

	faults := []struct {
		name  string
		fault oauthtest.Fault
		want  error
	}{
		{"status 500", oauthtest.Fault{Status: http.StatusInternalServerError}, jwks.ErrFetch},
		{"hang past the timeout", oauthtest.Fault{Delay: time.Minute}, context.DeadlineExceeded},
		{"garbage", oauthtest.Fault{Body: []byte("\x00garbage")}, jwks.ErrInvalid},
		{"empty set", oauthtest.Fault{Body: []byte(`{"keys":[]}`)}, jwks.ErrInvalid},
		{"HTML error page", oauthtest.Fault{Status: http.StatusBadGateway, Body: []byte("<html>")}, jwks.ErrFetch},
	}
	for i, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			as.SetFault(oauthtest.EndpointJWKS, f.fault)
			guardtest.WantError(t, "Refresh", rk.Refresh(t.Context()), jwks.ErrFetch, f.want)
			jwksMustValidate(t, v, token, "token during the outage")
			st := rk.Status()
			if st.Failures != i+1 || st.LastError == nil || st.Stale || st.Keys != 1 {
				t.Errorf("Status() = %+v, want %d failures, an error, the set kept", st, i+1)
			}
			if k, _ := rk.LookupKey(t.Context(), as.KeyID()); k != key || k.Retired() {
				t.Errorf("LookupKey during the outage = %p, want the same live key %p", k, key)
			}
		})
	}

	as.ClearFault(oauthtest.EndpointJWKS)
	if err := rk.Refresh(t.Context()); err != nil {
		t.Fatalf("Refresh after recovery = %v", err)
	}
	if err := rk.LastError(); err != nil {
		t.Errorf("LastError after recovery = %v, want nil", err)
	}

	// Past MaxStaleness without a successful fetch, keys are unavailable.
	as.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Status: http.StatusInternalServerError})
	clock.Advance(jwks.DefaultMaxStaleness)
	jwksMustValidate(t, v, as.Token(oauthtest.TokenOptions{}), "token at exactly MaxStaleness")
	clock.Advance(time.Second)
	fresh := as.Token(oauthtest.TokenOptions{})
	_, err := v.Validate(t.Context(), fresh)
	guardtest.WantError(t, "Validate past MaxStaleness", err, middleware.ErrUnavailable, middleware.ErrKeysUnavailable, jwks.ErrStale)
	if !rk.Status().Stale {
		t.Errorf("Status().Stale = false past MaxStaleness")
	}
	as.ClearFault(oauthtest.EndpointJWKS)
	if err := refreshAfterRecovery(t.Context(), rk); err != nil {
		t.Fatalf("Refresh after recovery = %v", err)
	}
	jwksMustValidate(t, v, fresh, "token after recovery")
}

// refreshAfterRecovery refreshes rk once the fault is cleared. The
// background loop may have started a scheduled fetch just before the clear
// (the test's clock jumps past the schedule), which Refresh joins; that
// fetch's failure is the outage's, so a second Refresh, which starts a
// fetch of its own after the clear, is the one that must succeed.
func refreshAfterRecovery(ctx context.Context, rk *jwks.Remote) error {
	if err := rk.Refresh(ctx); err == nil {
		return nil
	}
	return rk.Refresh(ctx)
}

// TestRemoteOutageLive runs the outage against the background loop in
// real time: 500s, hangs past the timeout and garbage in turn, while
// validations run without pause; every one must succeed, and the loop must
// pick up the recovery on its own.
func TestRemoteOutageLive(t *testing.T) {
	as := guardtest.Server(t, nil, "ES256")
	var events guardtest.Fetches
	rk := guardtest.Remote(t, as.Issuer(), &jwks.Config{
		RefreshInterval: 20 * time.Millisecond, MinRefreshInterval: 10 * time.Millisecond,
		RetryInterval: 5 * time.Millisecond, MaxRetryInterval: 20 * time.Millisecond,
		Timeout: 250 * time.Millisecond, Hooks: events.Hooks(),
	})
	v := jwksValidator(t, as, rk, nil, -1)
	token := as.Token(oauthtest.TokenOptions{})

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var validated, failed atomic.Int64
	var firstErr atomic.Value
	for range 4 {
		wg.Go(func() {
			for i := 0; i < 1_000_000; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := v.Validate(context.Background(), token); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				validated.Add(1)
			}
		})
	}
	for _, f := range []oauthtest.Fault{
		{Status: http.StatusInternalServerError},
		{Delay: time.Minute},
		{Body: []byte("garbage")},
	} {
		as.SetFault(oauthtest.EndpointJWKS, f)
		start := as.Requests(oauthtest.EndpointJWKS)
		guardtest.WaitFor(t, "three failed fetches", func() bool { return as.Requests(oauthtest.EndpointJWKS) >= start+3 })
		if rk.LastError() == nil {
			t.Errorf("LastError = nil during fault %+v", f)
		}
	}
	as.ClearFault(oauthtest.EndpointJWKS)
	guardtest.WaitFor(t, "recovery", func() bool { return rk.LastError() == nil && rk.Status().Failures == 0 })
	close(stop)
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Errorf("%d of %d validations failed during the outage; first: %v", n, validated.Load(), firstErr.Load())
	}
	if validated.Load() == 0 {
		t.Errorf("no validation ran during the outage")
	}
	if r := events.Reasons(); !slices.Contains(r, "retry") || r[len(r)-1] == "manual" {
		t.Errorf("fetch reasons = %v, want retries by the background loop", r)
	}
}

// TestRemoteNeverWaits: a request whose key is known completes while a
// refresh is blocked on the JWKS server.
func TestRemoteNeverWaits(t *testing.T) {
	tests := []struct {
		name    string
		trigger func(t *testing.T, rk *jwks.Remote, v *middleware.Validator, as *oauthtest.Server) error
	}{
		{"manual refresh", func(t *testing.T, rk *jwks.Remote, _ *middleware.Validator, _ *oauthtest.Server) error {
			return rk.Refresh(context.Background())
		}},
		{"unknown-kid refresh", func(t *testing.T, _ *jwks.Remote, v *middleware.Validator, as *oauthtest.Server) error {
			_, err := v.Validate(context.Background(), as.Token(oauthtest.TokenOptions{Header: map[string]any{"kid": "new"}}))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := guardtest.NewClock()
			as := guardtest.Server(t, clock, "ES256")
			rk := guardtest.Remote(t, as.Issuer(), &jwks.Config{Now: clock.Now, Timeout: time.Minute})
			v := jwksValidator(t, as, rk, clock, -1)
			token := as.Token(oauthtest.TokenOptions{})

			as.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Delay: time.Minute})
			blocked := make(chan error, 1)
			go func() { blocked <- tt.trigger(t, rk, v, as) }()
			guardtest.WaitFor(t, "the refresh to reach the server", func() bool { return as.Requests(oauthtest.EndpointJWKS) == 2 })

			done := make(chan error, 1)
			go func() {
				_, err := v.Validate(context.Background(), token)
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Validate(known key) during a blocked refresh = %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Validate(known key) waited on the blocked refresh")
			}
			select {
			case err := <-blocked:
				t.Fatalf("the refresh ended (%v) before the test released it", err)
			default:
			}

			// A request with an unknown kid joins the blocked fetch, but only
			// for as long as its own context allows.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			_, err := v.Validate(ctx, as.Token(oauthtest.TokenOptions{Header: map[string]any{"kid": "other"}}))
			guardtest.WantError(t, "Validate(unknown kid, short context)", err, middleware.ErrUnavailable, context.DeadlineExceeded)

			rk.Close() // cancels the fetch in flight
			select {
			case err := <-blocked:
				if err == nil {
					t.Errorf("blocked refresh returned nil error after Close")
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Close did not end the blocked refresh")
			}
			if !errors.Is(rk.LastError(), context.Canceled) {
				t.Errorf("LastError after Close = %v, want context.Canceled", rk.LastError())
			}
		})
	}
}
