package introspection

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// 1,000 concurrent requests with one new token make exactly one request to a
// real endpoint, which holds it until every caller waits on it.
func TestCoalescing(t *testing.T) {
	const callers = 1000
	var calls atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Second):
			t.Error("endpoint: request held for 10s")
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"active":true,"sub":"shared"}`))
	}))
	defer srv.Close()
	in, err := New(srv.URL, ClientSecretBasic("id", "secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var waiting atomic.Int64
	allWaiting := make(chan struct{})
	in.afterJoin = func() {
		if waiting.Add(1) == callers {
			close(allWaiting)
		}
	}

	var wg sync.WaitGroup
	subjects := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			c, err := in.Introspect(context.Background(), "new-token")
			errs[i] = err
			if c != nil {
				subjects[i] = c.Subject
			}
		})
	}
	select {
	case <-allWaiting:
	case <-time.After(30 * time.Second):
		t.Errorf("only %d of %d callers waiting after 30s", waiting.Load(), callers)
	}
	close(release)
	wg.Wait()

	if n := calls.Load(); n != 1 {
		t.Errorf("upstream calls = %d, want exactly 1", n)
	}
	for i := range callers {
		if errs[i] != nil || subjects[i] != "shared" {
			t.Fatalf("caller %d: subject %q, error %v; want shared, nil", i, subjects[i], errs[i])
		}
	}
	// Later callers are served from the cache.
	if _, err := in.Introspect(context.Background(), "new-token"); err != nil || calls.Load() != 1 {
		t.Errorf("Introspect after the burst = %v, calls %d; want nil, 1", err, calls.Load())
	}
}

// A caller that gives up does not cancel the request the others wait on.
func TestCoalescedCallerCancel(t *testing.T) {
	var calls atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"active":true,"sub":"s"}`))
	}))
	defer srv.Close()
	in, err := New(srv.URL, ClientSecretBasic("id", "secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	joined := make(chan struct{}, 2)
	in.afterJoin = func() { joined <- struct{}{} }

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := in.Introspect(ctx, "tok"); first <- err }()
	<-joined
	second := make(chan error, 1)
	go func() { _, err := in.Introspect(context.Background(), "tok"); second <- err }()
	<-joined
	cancel()
	if err := <-first; err == nil {
		t.Error("cancelled caller: error = nil, want unavailable")
	}
	close(release)
	if err := <-second; err != nil {
		t.Errorf("second caller after the first cancelled: %v, want nil", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("upstream calls = %d, want 1", n)
	}
}
