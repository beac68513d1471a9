package introspection_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
)

func TestHooks(t *testing.T) {
	e := newEndpoint(t)
	e.set("active-token-A1", `{"active":true}`)
	var mu sync.Mutex
	var events []middleware.IntrospectionEvent
	hooks := &middleware.Hooks{Introspected: func(_ context.Context, ev middleware.IntrospectionEvent) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
	}}
	in := newIntrospector(t, e, &introspection.Config{Hooks: hooks})
	steps := []struct {
		token    string
		outage   bool
		hit      bool
		active   bool
		wantKind error // of ev.Err; nil for none
	}{
		{"active-token-A1", false, false, true, nil},
		{"active-token-A1", false, true, true, nil},
		{"inactive-token-B2", false, false, false, middleware.ErrInvalidToken},
		{"inactive-token-B2", false, true, false, middleware.ErrInvalidToken},
		{"down-token-C3", true, false, false, middleware.ErrUnavailable},
	}
	for i, s := range steps {
		if s.outage {
			e.fail(500, nil)
		}
		_, _ = in.Introspect(context.Background(), s.token)
		mu.Lock()
		if len(events) != i+1 {
			mu.Unlock()
			t.Fatalf("step %d: %d events, want %d", i, len(events), i+1)
		}
		ev := events[i]
		mu.Unlock()
		if ev.Endpoint != e.endpointURL() || ev.CacheHit != s.hit || ev.Active != s.active {
			t.Errorf("step %d event = %+v, want endpoint %s, CacheHit %v, Active %v", i, ev, e.endpointURL(), s.hit, s.active)
		}
		if (ev.Err == nil) != (s.wantKind == nil) || (s.wantKind != nil && !errors.Is(ev.Err, s.wantKind)) {
			t.Errorf("step %d event error = %v, want %v", i, ev.Err, s.wantKind)
		}
		checkNoSecret(t, ev.Err, s.token)
	}
}

// SlogHooks log introspection outcomes without the token or the secret.
func TestSlogHooksLogNoSecrets(t *testing.T) {
	e := newEndpoint(t)
	e.set(testToken, `{"active":true}`)
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	in := newIntrospector(t, e, &introspection.Config{Hooks: middleware.SlogHooks(logger)})
	for range 2 {
		_, _ = in.Introspect(context.Background(), testToken)
	}
	e.fail(503, nil)
	_, _ = in.Introspect(context.Background(), "other-token-Q8")
	out := buf.String()
	if strings.Count(out, "\n") != 3 {
		t.Errorf("log has %d lines, want 3:\n%s", strings.Count(out, "\n"), out)
	}
	for _, secret := range []string{testToken, "other-token-Q8", testSecret} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
}
