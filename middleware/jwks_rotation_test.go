package middleware_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// TestRemoteRotation: a token signed with a new key is accepted after
// exactly one extra fetch; a key removed from the JWKS stops verifying after
// the next refresh, and tokens the validator cached with it are dropped.
func TestRemoteRotation(t *testing.T) {
	clock := guardtest.NewClock() // pinned: the unknown-kid limiter stays closed once used
	as := guardtest.Server(t, clock, "ES256")
	rk := guardtest.Remote(t, as.Issuer(), &jwks.Config{Now: clock.Now})
	v := jwksValidator(t, as, rk, clock, 0) // with the verified-token cache
	fetches := func() int { return as.Requests(oauthtest.EndpointJWKS) }

	oldKid := as.KeyID()
	oldToken := as.Token(oauthtest.TokenOptions{Subject: "old"})
	jwksMustValidate(t, v, oldToken, "token signed with the first key")
	oldKey, err := rk.LookupKey(t.Context(), oldKid)
	if err != nil {
		t.Fatal(err)
	}

	newKid := as.RotateKey("")
	jwksMustValidate(t, v, as.Token(oauthtest.TokenOptions{Subject: "new"}), "token signed with the new key")
	if n := fetches(); n != 2 {
		t.Fatalf("JWKS requests after the first new-key token = %d, want 2 (initial + exactly one)", n)
	}
	jwksMustValidate(t, v, as.Token(oauthtest.TokenOptions{Subject: "new2"}), "second new-key token")
	if n := fetches(); n != 2 {
		t.Fatalf("JWKS requests after a second new-key token = %d, want still 2", n)
	}
	if k, _ := rk.LookupKey(t.Context(), oldKid); k != oldKey || k.Retired() {
		t.Fatalf("LookupKey(old) after a refresh that kept it = %p (retired %v), want the same live *Key %p", k, k.Retired(), oldKey)
	}

	as.RemoveKey(oldKid)
	jwksMustValidate(t, v, oldToken, "old-key token before the refresh")
	if err := rk.Refresh(t.Context()); err != nil {
		t.Fatalf("Refresh = %v", err)
	}
	if !oldKey.Retired() {
		t.Errorf("removed key not retired after Refresh")
	}
	_, err = v.Validate(t.Context(), oldToken)
	guardtest.WantError(t, "Validate(cached old-key token) after refresh", err, middleware.ErrInvalidToken, middleware.ErrUnknownKey)
	_, err = v.Validate(t.Context(), as.Token(oauthtest.TokenOptions{KeyID: oldKid}))
	guardtest.WantError(t, "Validate(fresh old-key token)", err, middleware.ErrInvalidToken, middleware.ErrUnknownKey)
	if n := fetches(); n != 3 {
		t.Errorf("JWKS requests = %d, want 3: refusing a removed key costs no fetch while the limiter is closed", n)
	}
	if k, err := rk.LookupKey(t.Context(), newKid); err != nil || k.Retired() {
		t.Errorf("LookupKey(new) = %v, %v; want the live new key", k, err)
	}
}

// TestRemoteRemovalScheduled: without any manual refresh, a removed key
// stops verifying once the scheduled refresh runs.
func TestRemoteRemovalScheduled(t *testing.T) {
	as := guardtest.Server(t, nil, "ES256")
	rk := guardtest.Remote(t, as.Issuer(), &jwks.Config{
		RefreshInterval: 20 * time.Millisecond, MinRefreshInterval: 10 * time.Millisecond,
	})
	v := jwksValidator(t, as, rk, nil, 0)
	oldKid := as.KeyID()
	oldToken := as.Token(oauthtest.TokenOptions{})
	jwksMustValidate(t, v, oldToken, "old-key token")
	as.RotateKey("")
	as.RemoveKey(oldKid)
	guardtest.WaitFor(t, "the removed key to stop verifying", func() bool {
		_, err := v.Validate(t.Context(), oldToken)
		return err != nil
	})
	_, err := v.Validate(t.Context(), oldToken)
	guardtest.WantError(t, "Validate(old-key token)", err, middleware.ErrInvalidToken, middleware.ErrUnknownKey)
	jwksMustValidate(t, v, as.Token(oauthtest.TokenOptions{}), "new-key token")
}

// TestRemoteRotationCoalesced: when many requests bring a new key's tokens
// at once, they share one refresh and all succeed.
func TestRemoteRotationCoalesced(t *testing.T) {
	clock := guardtest.NewClock()
	as := guardtest.Server(t, clock, "ES256")
	rk := guardtest.Remote(t, as.Issuer(), &jwks.Config{Now: clock.Now})
	v := jwksValidator(t, as, rk, clock, -1)
	as.RotateKey("")
	// Slow the refresh down so that the requests overlap with it.
	as.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Delay: 50 * time.Millisecond, Count: 1})
	const n = 32
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		tok := as.Token(oauthtest.TokenOptions{Subject: fmt.Sprint(i)})
		wg.Go(func() {
			<-start
			_, err := v.Validate(t.Context(), tok)
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Validate(new-key token) = %v, want nil error", err)
		}
	}
	if got := as.Requests(oauthtest.EndpointJWKS); got != 2 {
		t.Errorf("JWKS requests = %d, want 2 (initial + one shared refresh)", got)
	}
}
