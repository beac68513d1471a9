package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/oauthtest"
)

// TestRemoteKeysConcurrentRefresh validates from several goroutines while
// keys rotate and the set refreshes in the background, by hand and for
// unknown kids (run it with -race). A token signed by the key that is never
// removed must always validate; a token of a rotated key may only be
// accepted or refused as an unknown key.
func TestRemoteKeysConcurrentRefresh(t *testing.T) {
	as := jwksAS(t, nil, "ES256")
	rk := jwksRemote(t, as.Issuer(), &middleware.RemoteKeysConfig{
		RefreshInterval: 5 * time.Millisecond, MinRefreshInterval: 2 * time.Millisecond,
		UnknownKIDInterval: time.Millisecond,
	})
	v := jwksValidator(t, as, rk, nil, 0)
	stable := as.KeyID()
	stableToken := as.Token(oauthtest.TokenOptions{KeyID: stable})

	deadline := time.Now().Add(2 * time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	wg.Go(func() { // rotator
		prev := ""
		for i := 0; i < 50 && time.Now().Before(deadline); i++ {
			kid := as.RotateKey("")
			if prev != "" {
				as.RemoveKey(prev)
			}
			prev = kid
			if i%5 == 0 {
				rk.Refresh(context.Background())
			}
		}
	})
	for g := range 8 {
		wg.Go(func() {
			for i := 0; i < 300 && time.Now().Before(deadline); i++ {
				if _, err := v.Validate(context.Background(), stableToken); err != nil {
					errs <- fmt.Errorf("goroutine %d: Validate(stable key) = %v", g, err)
					return
				}
				_, err := v.Validate(context.Background(), as.Token(oauthtest.TokenOptions{}))
				if err != nil && !errors.Is(err, middleware.ErrUnknownKey) {
					errs <- fmt.Errorf("goroutine %d: Validate(rotating key) = %v, want nil or unknown key", g, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := as.Requests(oauthtest.EndpointJWKS); n < 3 {
		t.Errorf("JWKS requests = %d, want refreshes during the test", n)
	}
}

// TestRemoteKeysNoGoroutineLeak: every goroutine a RemoteKeys starts (its
// loop and any fetch in flight) ends by Close, including a fetch blocked on a
// hanging server, and a failed NewRemoteKeys leaves none behind.
func TestRemoteKeysNoGoroutineLeak(t *testing.T) {
	base := jwksGoroutines()
	as := jwksAS(t, nil, "ES256")
	var sources []*middleware.RemoteKeys
	open := func(cfg *middleware.RemoteKeysConfig) *middleware.RemoteKeys {
		rk, err := middleware.NewRemoteKeys(t.Context(), as.Issuer(), cfg)
		if err != nil {
			t.Fatalf("NewRemoteKeys = %v", err)
		}
		sources = append(sources, rk)
		return rk
	}
	open(nil)
	open(&middleware.RemoteKeysConfig{Lazy: true})
	busy := open(&middleware.RemoteKeysConfig{RefreshInterval: time.Millisecond, MinRefreshInterval: time.Millisecond})
	blocked := open(&middleware.RemoteKeysConfig{Timeout: time.Minute})
	if _, err := busy.LookupKey(t.Context(), as.KeyID()); err != nil {
		t.Fatal(err)
	}

	as.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Delay: time.Minute})
	refreshed := make(chan error, 1)
	go func() { refreshed <- blocked.Refresh(context.Background()) }()
	jwksWaitFor(t, "a fetch in flight", func() bool { return jwksGoroutines() >= base+5 })

	as.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Status: http.StatusInternalServerError})
	if rk, err := middleware.NewRemoteKeys(t.Context(), as.Issuer(), nil); err == nil {
		rk.Close()
		t.Fatal("NewRemoteKeys against a failing server = nil error")
	}

	for _, rk := range sources {
		rk.Close()
	}
	if err := <-refreshed; err == nil {
		t.Error("Refresh blocked on a hanging server returned nil after Close")
	}
	jwksWaitFor(t, "RemoteKeys goroutines to end", func() bool { return jwksGoroutines() <= base })
}
