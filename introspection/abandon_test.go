package introspection_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
)

// slowEndpoint answers no request: each waits until its client goes away
// (or 5s, a failure). It counts the requests open and the most open at once.
type slowEndpoint struct {
	*httptest.Server
	open, peak, total atomic.Int64
}

func newSlowEndpoint(t *testing.T) *slowEndpoint {
	t.Helper()
	e := &slowEndpoint{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm() // a read body lets the server notice the client leaving
		e.total.Add(1)
		n := e.open.Add(1)
		defer e.open.Add(-1)
		for p := e.peak.Load(); n > p && !e.peak.CompareAndSwap(p, n); p = e.peak.Load() {
		}
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
			t.Error("endpoint: request still open after 5s")
		}
	}))
	t.Cleanup(e.Close)
	return e
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAbandonedIntrospection floods a slow endpoint with distinct unknown
// opaque tokens through a validator, each caller giving up after 50 ms: every
// answer is ErrUnavailable, never an invalid token; no more requests are open
// at once than the limit; once the callers have gone, every request ends
// within a moment at the endpoint, and the goroutines return to the baseline.
func TestAbandonedIntrospection(t *testing.T) {
	e := newSlowEndpoint(t)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	const limit = 16
	in, err := introspection.New(e.URL, introspection.ClientSecretBasic(testClientID, testSecret),
		&introspection.Config{HTTPClient: &http.Client{Transport: tr}, MaxConcurrentRequests: limit})
	if err != nil {
		t.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{URL: e.URL, Audiences: []string{apiAudience}, Introspector: in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	baseline := runtime.NumGoroutine()

	const callers = 400
	var tooMany, abandoned atomic.Int64
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := v.Validate(ctx, fmt.Sprint("unknown-opaque-", i))
			switch {
			case errors.Is(err, middleware.ErrInvalidToken) || !errors.Is(err, middleware.ErrUnavailable):
				t.Errorf("caller %d: %v, want %v (503), never %v", i, err, middleware.ErrUnavailable, middleware.ErrInvalidToken)
			case errors.Is(err, introspection.ErrTooManyRequests):
				tooMany.Add(1)
			case errors.Is(err, context.DeadlineExceeded):
				abandoned.Add(1)
			default:
				t.Errorf("caller %d: %v, want too many requests or the deadline", i, err)
			}
		})
	}
	wg.Wait()
	gone := time.Now()
	waitFor(t, time.Second, fmt.Sprintf("%d requests still open at the endpoint", e.open.Load()), func() bool { return e.open.Load() == 0 })
	t.Logf("%d callers: %d abandoned, %d over the limit, %d requests, peak %d open, all ended %v after the last caller",
		callers, abandoned.Load(), tooMany.Load(), e.total.Load(), e.peak.Load(), time.Since(gone).Round(time.Millisecond))
	if p := e.peak.Load(); p > limit {
		t.Errorf("peak open requests = %d, want at most %d", p, limit)
	}
	if tooMany.Load() == 0 || abandoned.Load() == 0 {
		t.Errorf("%d over the limit, %d abandoned; want both kinds", tooMany.Load(), abandoned.Load())
	}
	waitFor(t, 2*time.Second, "goroutines back to the baseline", func() bool {
		tr.CloseIdleConnections()
		return runtime.NumGoroutine() <= baseline+2
	})
}

// TestAbandonedCoalescedIntrospection: a request shared by several callers
// ends when the last of them gives up, not before; the next caller of the
// token starts a new one.
func TestAbandonedCoalescedIntrospection(t *testing.T) {
	e := newSlowEndpoint(t)
	in, err := introspection.New(e.URL, introspection.ClientSecretBasic(testClientID, testSecret), nil)
	if err != nil {
		t.Fatal(err)
	}
	cancels := make([]context.CancelFunc, 5)
	errs := make(chan error, len(cancels))
	for i := range cancels {
		ctx, cancel := context.WithCancel(context.Background())
		cancels[i] = cancel
		go func() { _, err := in.Introspect(ctx, "shared-token"); errs <- err }()
	}
	waitFor(t, time.Second, "the shared request to arrive", func() bool { return e.open.Load() == 1 })
	for _, cancel := range cancels[:len(cancels)-1] {
		cancel()
		if err := <-errs; !errors.Is(err, middleware.ErrUnavailable) {
			t.Errorf("abandoning caller: %v, want %v", err, middleware.ErrUnavailable)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if e.open.Load() != 1 {
		t.Fatalf("the request ended while a caller still waited")
	}
	cancels[len(cancels)-1]()
	<-errs
	waitFor(t, time.Second, "the abandoned request to end", func() bool { return e.open.Load() == 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _ = in.Introspect(ctx, "shared-token")
	if n := e.total.Load(); n != 2 {
		t.Errorf("requests = %d, want 2 (the abandoned one is not joined)", n)
	}
}
