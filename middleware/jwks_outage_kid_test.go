package middleware_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// TestRemoteUnknownKIDDuringOutage: while the JWKS endpoint fails and the
// authorization server rotates its key, every request carrying the new kid —
// under concurrent load, long after the unknown-kid limiter closed — is
// answered 503 with Retry-After, never 401; the limiter still bounds the
// fetches to one per interval; once a fetch succeeds the new key validates,
// and a kid the fetched set lacks is 401. Two rotations, each during an
// outage.
func TestRemoteUnknownKIDDuringOutage(t *testing.T) {
	clock := guardtest.NewClock()
	as := guardtest.Server(t, clock, "ES256")
	rk := guardtest.Remote(t, as.Issuer(), &jwks.Config{Now: clock.Now})
	v := jwksValidator(t, as, rk, clock, -1)
	srv := htServe(t, htGuard(t, v, nil).Protect(htEcho))
	forged := jwksWithKid(t, as.Token(oauthtest.TokenOptions{}), "kid-nobody-has")

	for round := range 2 {
		as.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Status: http.StatusServiceUnavailable})
		if err := rk.Refresh(t.Context()); err == nil {
			t.Fatalf("round %d: Refresh during the outage = nil error", round)
		}
		kid := as.RotateKey("")
		token := as.Token(oauthtest.TokenOptions{KeyID: kid})
		before := as.Requests(oauthtest.EndpointJWKS)

		// Concurrent load, with the limiter opening once (the first
		// request's fetch fails) then closed for the rest.
		statuses := concurrentStatuses(t, srv.URL, []string{token, forged}, 8, 25)
		for status, n := range statuses {
			if status != `503 Retry-After=true` {
				t.Errorf("round %d: %d answers %q during the outage, want only 503 with Retry-After", round, n, status)
			}
		}
		if n := as.Requests(oauthtest.EndpointJWKS) - before; n > 1 {
			t.Errorf("round %d: %d JWKS requests for 400 unknown-kid lookups within one limiter interval, want at most 1", round, n)
		}
		_, err := v.Validate(t.Context(), token)
		guardtest.WantError(t, "Validate(new kid) during the outage", err, middleware.ErrUnavailable, middleware.ErrKeysUnavailable)

		// The outage ends; the next fetch the limiter allows brings the key.
		as.ClearFault(oauthtest.EndpointJWKS)
		clock.Advance(jwks.DefaultUnknownKIDInterval + time.Second)
		jwksMustValidate(t, v, token, fmt.Sprintf("round %d: new kid after recovery", round))
		// A fetch has succeeded without the forged kid: it is 401 now, with
		// the limiter closed and with it open.
		for range 2 {
			_, err = v.Validate(t.Context(), forged)
			if !errors.Is(err, middleware.ErrInvalidToken) || !errors.Is(err, middleware.ErrUnknownKey) {
				t.Fatalf("round %d: Validate(forged kid) after a good fetch = %v, want %v", round, err, middleware.ErrUnknownKey)
			}
			clock.Advance(jwks.DefaultUnknownKIDInterval + time.Second)
		}
	}
}

// concurrentStatuses sends every token from workers goroutines, each n
// times, and counts the answers by status and whether Retry-After was set.
func concurrentStatuses(t *testing.T, url string, tokens []string, workers, n int) map[string]int {
	t.Helper()
	var mu sync.Mutex
	out := map[string]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+tokens[(w+i)%len(tokens)])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				key := fmt.Sprintf("%d Retry-After=%v", resp.StatusCode, resp.Header.Get("Retry-After") != "")
				mu.Lock()
				out[key]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}
