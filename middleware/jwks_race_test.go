package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// TestRemoteConcurrentRefresh validates from several goroutines while
// keys rotate and the set refreshes in the background, by hand and for
// unknown kids (run it with -race). A token signed by the key that is never
// removed must always validate; a token of a rotated key may only be
// accepted or refused as an unknown key.
func TestRemoteConcurrentRefresh(t *testing.T) {
	as := guardtest.Server(t, nil, "ES256")
	rk := guardtest.Remote(t, as.Issuer(), &jwks.Config{
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
