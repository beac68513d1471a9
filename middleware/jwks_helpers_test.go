package middleware_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/oauthtest"
)

// jwksEpoch is the start of the injected clocks: far from the real time, so a
// test that forgets to inject the clock fails.
var jwksEpoch = time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC)

// jwksClock is an injectable clock that moves only when told to.
type jwksClock struct {
	mu sync.Mutex
	t  time.Time
}

func newJWKSClock() *jwksClock { return &jwksClock{t: jwksEpoch} }

func (c *jwksClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *jwksClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// jwksAS starts an authorization server on the clock (nil: real time) that
// signs with alg, closed when the test ends.
func jwksAS(t *testing.T, clock *jwksClock, alg string) *oauthtest.Server {
	t.Helper()
	cfg := &oauthtest.Config{Algorithm: alg}
	if clock != nil {
		cfg.Now = clock.Now
	}
	as := oauthtest.NewServer(cfg)
	t.Cleanup(as.Close)
	return as
}

// jwksRemote returns a RemoteKeys for issuer, closed when the test ends.
func jwksRemote(t *testing.T, issuer string, cfg *middleware.RemoteKeysConfig) *middleware.RemoteKeys {
	t.Helper()
	rk, err := middleware.NewRemoteKeys(t.Context(), issuer, cfg)
	if err != nil {
		t.Fatalf("NewRemoteKeys(%q) = %v, want nil error", issuer, err)
	}
	t.Cleanup(func() { rk.Close() })
	return rk
}

// jwksValidator returns a validator for as's tokens with keys. A negative
// cacheSize turns the verified-token cache off, so that every validation
// looks its key up.
func jwksValidator(t *testing.T, as *oauthtest.Server, keys middleware.KeySource, clock *jwksClock, cacheSize int) *middleware.Validator {
	t.Helper()
	cfg := &middleware.Config{CacheSize: cacheSize}
	if clock != nil {
		cfg.Now = clock.Now
	}
	v, err := middleware.NewValidator(middleware.Issuer{
		URL:        as.Issuer(),
		Audiences:  []string{oauthtest.DefaultAudience},
		Keys:       keys,
		Algorithms: middleware.DefaultAlgorithms(),
	}, cfg)
	if err != nil {
		t.Fatalf("NewValidator = %v", err)
	}
	return v
}

// jwksWaitFor polls cond every few milliseconds for up to 5s.
func jwksWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after 5s waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// jwksMustValidate fails the test unless v accepts token.
func jwksMustValidate(t *testing.T, v *middleware.Validator, token, what string) *middleware.Claims {
	t.Helper()
	c, err := v.Validate(t.Context(), token)
	if err != nil {
		t.Fatalf("%s: Validate = %v, want nil error", what, err)
	}
	return c
}

// jwksWantError fails the test unless err matches every target.
func jwksWantError(t *testing.T, what string, err error, targets ...error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s = nil error, want %v", what, targets)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Fatalf("%s = %v, want an error matching %v", what, err, target)
		}
	}
}

// jwksEvents records KeyFetchEvents.
type jwksEvents struct {
	mu  sync.Mutex
	evs []middleware.KeyFetchEvent
}

func (r *jwksEvents) hooks() *middleware.Hooks {
	return &middleware.Hooks{KeysFetched: func(_ context.Context, ev middleware.KeyFetchEvent) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.evs = append(r.evs, ev)
	}}
}

func (r *jwksEvents) list() []middleware.KeyFetchEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]middleware.KeyFetchEvent(nil), r.evs...)
}

func (r *jwksEvents) reasons() []string {
	var out []string
	for _, ev := range r.list() {
		out = append(out, ev.Reason)
	}
	return out
}

// jwksECKey generates a P-256 public key in JWK form (RFC 7518 §6.2) with the
// given kid.
func jwksECKey(t *testing.T, kid string) map[string]any {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return jwksPublicJWK(t, kid, &priv.PublicKey)
}

func jwksPublicJWK(t *testing.T, kid string, pub any) map[string]any {
	t.Helper()
	k, err := jwk.Import(pub)
	if err != nil {
		t.Fatalf("jwk.Import = %v", err)
	}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["kid"] = kid
	return m
}

// jwksDoc encodes a JWK Set of keys.
func jwksDoc(t *testing.T, keys ...map[string]any) []byte {
	t.Helper()
	if keys == nil {
		keys = []map[string]any{}
	}
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jwksDocServer is an httptest server whose JWKS body and headers a test can
// swap, for documents oauthtest does not produce.
type jwksDocServer struct {
	*httptest.Server
	body     atomic.Pointer[[]byte]
	header   atomic.Pointer[http.Header]
	requests atomic.Int64
}

func newJWKSDocServer(t *testing.T, body []byte) *jwksDocServer {
	t.Helper()
	s := &jwksDocServer{}
	s.set(body, nil)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.requests.Add(1)
		for k, v := range *s.header.Load() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(*s.body.Load())
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksDocServer) set(body []byte, h http.Header) {
	if h == nil {
		h = http.Header{}
	}
	s.body.Store(&body)
	s.header.Store(&h)
}

// jwksGoroutines counts the goroutines running RemoteKeys code.
func jwksGoroutines() int {
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
		if strings.Contains(g, "middleware.(*RemoteKeys)") {
			count++
		}
	}
	return count
}
