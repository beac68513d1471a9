package middleware_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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

// TestRemoteKidFlood sends 10,000 tokens with distinct unknown kids from
// 64 goroutines. Unknown-kid refreshes are coalesced and rate-limited to one
// per UnknownKIDInterval, and the clock is pinned, so the bound is exact: the
// JWKS server sees the initial fetch plus exactly one unknown-kid fetch. In
// general, over a flood lasting T, unknown kids cost at most
// 1 + floor(T / UnknownKIDInterval) fetches on top of the scheduled ones.
func TestRemoteKidFlood(t *testing.T) {
	const (
		tokens     = 10_000
		goroutines = 64
	)
	clock := guardtest.NewClock()
	as := guardtest.Server(t, clock, "EdDSA")
	var events guardtest.Fetches
	rk := guardtest.Remote(t, as.Issuer(), &jwks.Config{Now: clock.Now, Hooks: events.Hooks()})
	v := jwksValidator(t, as, rk, clock, 0)
	good := as.Token(oauthtest.TokenOptions{})
	// Flood tokens are forged, as an attacker's would be: a real token's
	// header with another kid (so the signature no longer matches, which
	// nobody gets to check: the kid is refused first).
	template := as.Token(oauthtest.TokenOptions{Subject: "attacker"})

	flood := func(prefix string, n int) {
		t.Helper()
		toks := make(chan string, n)
		for i := range n {
			toks <- jwksWithKid(t, template, fmt.Sprintf("%s-%05d", prefix, i))
		}
		close(toks)
		var unknown, goodOK atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, goroutines)
		for range goroutines {
			wg.Go(func() {
				for tok := range toks {
					_, err := v.Validate(t.Context(), tok)
					if !errors.Is(err, middleware.ErrInvalidToken) || !errors.Is(err, middleware.ErrUnknownKey) {
						errs <- fmt.Errorf("Validate(unknown kid) = %v, want invalid_token, unknown key", err)
						return
					}
					unknown.Add(1)
				}
				if _, err := v.Validate(t.Context(), good); err != nil {
					errs <- fmt.Errorf("Validate(known key) during the flood = %v", err)
					return
				}
				goodOK.Add(1)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if unknown.Load() != int64(n) || goodOK.Load() != goroutines {
			t.Fatalf("refused %d of %d flood tokens, accepted %d of %d good ones", unknown.Load(), n, goodOK.Load(), goroutines)
		}
	}

	start := time.Now()
	flood("a", tokens)
	if n := as.Requests(oauthtest.EndpointJWKS); n != 2 {
		t.Fatalf("JWKS requests after a flood of %d unknown kids = %d, want 2 (initial + exactly 1)", tokens, n)
	}
	t.Logf("flood of %d tokens from %d goroutines: %v", tokens, goroutines, time.Since(start))

	// The limiter stays closed until UnknownKIDInterval has passed...
	clock.Advance(jwks.DefaultUnknownKIDInterval - time.Second)
	flood("b", 1000)
	if n := as.Requests(oauthtest.EndpointJWKS); n != 2 {
		t.Fatalf("JWKS requests within UnknownKIDInterval = %d, want still 2", n)
	}
	// ...then lets exactly one more refresh through.
	clock.Advance(time.Second)
	flood("c", 1000)
	if n := as.Requests(oauthtest.EndpointJWKS); n != 3 {
		t.Fatalf("JWKS requests after UnknownKIDInterval = %d, want 3", n)
	}
	want := []string{"initial", "unknown-kid", "unknown-kid"}
	if got := events.Reasons(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("fetch reasons = %v, want %v", got, want)
	}
}

// jwksWithKid returns token with its header's "kid" replaced.
func jwksWithKid(t *testing.T, token, kid string) string {
	t.Helper()
	head, rest, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	h["kid"] = kid
	raw, err = json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(raw) + "." + rest
}
