package guardtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/jose"
	"github.com/rsguard/rsguard/internal/keytest"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// The fixtures of the key-source tests, shared by middleware/jwks (the
// source's own behaviour) and middleware (the validator's behaviour during
// fetches, outages and rotations).

// Epoch is the start of a [Clock]: far from the real time, so a test that
// forgets to inject the clock fails.
var Epoch = time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC)

// Clock is an injectable clock that moves only when told to. It is safe
// for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at [Epoch].
func NewClock() *Clock { return ClockAt(Epoch) }

// ClockAt returns a clock at t.
func ClockAt(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Server starts an authorization server on clock (nil: real time) that
// signs with alg, closed when the test ends.
func Server(tb testing.TB, clock *Clock, alg string) *oauthtest.Server {
	tb.Helper()
	cfg := &oauthtest.Config{Algorithm: alg}
	if clock != nil {
		cfg.Now = clock.Now
	}
	as := oauthtest.NewServer(cfg)
	tb.Cleanup(as.Close)
	return as
}

// Remote returns a [jwks.Remote] for issuer, closed when the test ends.
func Remote(tb testing.TB, issuer string, cfg *jwks.Config) *jwks.Remote {
	tb.Helper()
	rk, err := jwks.NewRemote(context.Background(), issuer, cfg)
	if err != nil {
		tb.Fatalf("jwks.NewRemote(%q) = %v, want nil error", issuer, err)
	}
	tb.Cleanup(func() { rk.Close() })
	return rk
}

// WaitFor polls cond every few milliseconds for up to 5s.
func WaitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after 5s waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// WantError fails the test unless err matches every target.
func WantError(tb testing.TB, what string, err error, targets ...error) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("%s = nil error, want %v", what, targets)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			tb.Fatalf("%s = %v, want an error matching %v", what, err, target)
		}
	}
}

// Fetches records the fetch events of a key source.
type Fetches struct {
	mu  sync.Mutex
	evs []jwks.FetchEvent
}

// Hooks returns hooks that record every fetch.
func (r *Fetches) Hooks() *jwks.Hooks {
	return &jwks.Hooks{Fetched: r.record}
}

func (r *Fetches) record(_ context.Context, ev jwks.FetchEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
}

// List returns the events so far.
func (r *Fetches) List() []jwks.FetchEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]jwks.FetchEvent(nil), r.evs...)
}

// Reasons returns the reasons of the events so far.
func (r *Fetches) Reasons() []string {
	var out []string
	for _, ev := range r.List() {
		out = append(out, ev.Reason)
	}
	return out
}

// ECJWK generates a P-256 public key in JWK form (RFC 7518 §6.2) with kid.
func ECJWK(tb testing.TB, kid string) map[string]any {
	tb.Helper()
	priv, err := jose.GenerateKey("ES256")
	if err != nil {
		tb.Fatal(err)
	}
	return keytest.PublicJWK(tb, kid, priv.Public())
}

// JWKS encodes a JWK Set of keys (RFC 7517 §5).
func JWKS(tb testing.TB, keys ...map[string]any) []byte {
	tb.Helper()
	if keys == nil {
		keys = []map[string]any{}
	}
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// DocServer is an httptest server whose JWKS body and headers a test can
// swap, for documents oauthtest does not produce.
type DocServer struct {
	*httptest.Server
	body     atomic.Pointer[[]byte]
	header   atomic.Pointer[http.Header]
	Requests atomic.Int64 // requests served
}

// NewDocServer starts a server serving body, closed when the test ends.
func NewDocServer(tb testing.TB, body []byte) *DocServer {
	tb.Helper()
	s := &DocServer{}
	s.Set(body, nil)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.Requests.Add(1)
		for k, v := range *s.header.Load() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(*s.body.Load())
	}))
	tb.Cleanup(s.Close)
	return s
}

// Set makes the server answer body with headers h (may be nil).
func (s *DocServer) Set(body []byte, h http.Header) {
	if h == nil {
		h = http.Header{}
	}
	s.body.Store(&body)
	s.header.Store(&h)
}

// Body returns the body the server answers.
func (s *DocServer) Body() []byte { return *s.body.Load() }

// RemoteGoroutines counts the goroutines running [jwks.Remote] code.
func RemoteGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "middleware/jwks.(*Remote)") {
			count++
		}
	}
	return count
}
