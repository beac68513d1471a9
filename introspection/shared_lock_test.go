package introspection_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsguard/rsguard/introspection"
)

// TestSharedCoalesce asks replicas for one new token at once: the replica
// holding the lock asks the endpoint, the others wait for its result.
func TestSharedCoalesce(t *testing.T) {
	const replicas = 8
	e := newEndpoint(t)
	e.set(testToken, `{"active":true,"sub":"u"}`)
	hold := make(chan struct{})
	e.with(func() { e.hold = hold })
	store := newMemShared()
	var ins []*introspection.Introspector
	for range replicas {
		ins = append(ins, replica(t, e, store, introspection.Config{}))
	}
	var wg sync.WaitGroup
	errs := make(chan error, replicas)
	for _, in := range ins {
		wg.Go(func() {
			c, err := in.Introspect(context.Background(), testToken)
			if err == nil && c.Subject != "u" {
				err = fmt.Errorf("subject %q", c.Subject)
			}
			errs <- err
		})
	}
	time.Sleep(50 * time.Millisecond) // let every replica reach the lock
	close(hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Introspect: %v", err)
		}
	}
	if n := e.calls.Load(); n != 1 {
		t.Errorf("endpoint calls = %d, want 1 for %d replicas", n, replicas)
	}
}

// TestSharedHolderFails checks that when the lock holder gets no result
// (the endpoint failed), it releases the lock and a waiter asks at once,
// rather than after the whole wait.
func TestSharedHolderFails(t *testing.T) {
	e := newEndpoint(t)
	e.set(testToken, `{"active":true,"sub":"u"}`)
	e.fail(http.StatusInternalServerError, nil)
	hold := make(chan struct{})
	e.with(func() { e.hold = hold })
	store := newMemShared()
	cfg := introspection.Config{Shared: &introspection.SharedConfig{Cache: store, Key: sharedKey, Wait: 10 * time.Second}}
	a, b := replica(t, e, store, cfg), replica(t, e, store, cfg)
	start := time.Now()
	errA := make(chan error, 1)
	go func() {
		_, err := a.Introspect(context.Background(), testToken)
		errA <- err
	}()
	for e.calls.Load() == 0 { // A holds the lock and waits on the endpoint
		time.Sleep(time.Millisecond)
	}
	errB := make(chan error, 1)
	go func() {
		_, err := b.Introspect(context.Background(), testToken)
		errB <- err
	}()
	time.Sleep(20 * time.Millisecond) // B waits on A's lock
	e.with(func() { e.hold = nil; e.status = 0 })
	close(hold)
	checkUnavailable(t, <-errA)
	if err := <-errB; err != nil {
		t.Errorf("B after A's failure: %v, want the endpoint's claims", err)
	}
	if n := e.calls.Load(); n != 2 {
		t.Errorf("endpoint calls = %d, want 2", n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("B answered after %v: it waited for the lock to expire", d)
	}
}

// TestSharedAbandoned checks that a lock holder whose callers all gave up
// still releases the lock, so that the next replica need not wait for it.
func TestSharedAbandoned(t *testing.T) {
	e := newEndpoint(t)
	e.set(testToken, `{"active":true,"sub":"u"}`)
	hold := make(chan struct{})
	e.with(func() { e.hold = hold })
	store := newMemShared()
	cfg := introspection.Config{Shared: &introspection.SharedConfig{Cache: store, Key: sharedKey, Wait: 10 * time.Second}}
	a, b := replica(t, e, store, cfg), replica(t, e, store, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() {
		_, err := a.Introspect(ctx, testToken)
		errA <- err
	}()
	for e.calls.Load() == 0 { // A holds the lock and waits on the endpoint
		time.Sleep(time.Millisecond)
	}
	cancel()
	checkUnavailable(t, <-errA)
	close(hold)
	deadline := time.Now().Add(5 * time.Second)
	for { // A's request is abandoned in the background; wait for its unlock
		store.mu.Lock()
		n := len(store.locks)
		store.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lock of an abandoned request was not released")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if _, err := b.Introspect(context.Background(), testToken); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("B answered after %v, waiting on an abandoned lock", d)
	}
}

// TestSharedWaitBound checks that a lock whose holder never answers delays a
// replica by at most Wait, after which it asks the endpoint itself.
func TestSharedWaitBound(t *testing.T) {
	const wait = 150 * time.Millisecond
	e := newEndpoint(t)
	e.set(testToken, `{"active":true,"sub":"u"}`)
	store := newMemShared()
	cfg := introspection.Config{Shared: &introspection.SharedConfig{Cache: store, Key: sharedKey, Wait: wait}}
	b := replica(t, e, store, cfg)
	// A dead holder: lock every key the way a replica that crashed would.
	store.mu.Lock()
	store.locks[sharedName(t, e)] = memLock{"crashed", time.Now().Add(time.Hour)}
	store.mu.Unlock()
	start := time.Now()
	c, err := b.Introspect(context.Background(), testToken)
	d := time.Since(start)
	if err != nil || c.Subject != "u" {
		t.Fatalf("Introspect = %v, %v", c, err)
	}
	if d < wait || d > wait+time.Second {
		t.Errorf("Introspect took %v under a held lock, want about %v", d, wait)
	}
}

// sharedName finds the store key of testToken: a throwaway store records
// the key a first introspection sets.
func sharedName(t *testing.T, e *endpoint) string {
	t.Helper()
	probe := newMemShared()
	in := replica(t, e, probe, introspection.Config{})
	if _, err := in.Introspect(context.Background(), testToken); err != nil {
		t.Fatal(err)
	}
	e.calls.Store(0)
	k, _, _ := probe.only(t)
	return k
}

func TestSharedConfig(t *testing.T) {
	store := newMemShared()
	tests := []struct {
		name string
		cfg  introspection.SharedConfig
		want string // in the error; "" for none
	}{
		{"valid", introspection.SharedConfig{Cache: store, Key: sharedKey}, ""},
		{"sealed", introspection.SharedConfig{Cache: store, Key: sharedKey, SealKey: make([]byte, 24)}, ""},
		{"no cache", introspection.SharedConfig{Key: sharedKey}, "no Cache"},
		{"no key", introspection.SharedConfig{Cache: store}, "at least 32 bytes"},
		{"short key", introspection.SharedConfig{Cache: store, Key: sharedKey[:31]}, "at least 32 bytes"},
		{"bad seal key", introspection.SharedConfig{Cache: store, Key: sharedKey, SealKey: make([]byte, 20)}, "16, 24 or 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := introspection.New("http://127.0.0.1/introspect", introspection.ClientSecretBasic("id", "s"),
				&introspection.Config{Shared: &tt.cfg})
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("New = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

// TestSharedConfigRedacted checks that printing the configuration shows
// neither key.
func TestSharedConfigRedacted(t *testing.T) {
	key, seal := bytes.Repeat([]byte("K"), 32), bytes.Repeat([]byte("S"), 32)
	cfg := introspection.SharedConfig{Cache: newMemShared(), Key: key, SealKey: seal, Wait: time.Second}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{cfg, &cfg} {
			out := fmt.Sprintf(format, v)
			for _, secret := range [][]byte{key, seal} {
				dec := fmt.Sprint(secret[:4])                                       // "[75 75 75 75]"
				hex := strings.TrimPrefix(fmt.Sprintf("%#v", secret[:2]), "[]byte") // "{0x4b, 0x4b}"
				for _, form := range []string{string(secret[:8]), dec[1 : len(dec)-1], hex[1 : len(hex)-1]} {
					if strings.Contains(out, form) {
						t.Errorf("Sprintf(%q) = %q shows a key (%q)", format, out, form)
					}
				}
			}
			if !strings.Contains(out, "redacted") {
				t.Errorf("Sprintf(%q) = %q, want the keys shown as redacted", format, out)
			}
		}
	}
}
