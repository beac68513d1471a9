package redisstore_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/stores/redisstore"
)

// inProcessReplica serves replicaHandler on a loopback HTTP server in this
// process, for the fault tests (which stop and slow Redis under it).
func inProcessReplica(t *testing.T, cfg replicaConfig) string {
	t.Helper()
	h, stop, err := replicaHandler(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); stop() })
	return srv.URL
}

// faultClient is a DPoP client with a bound token, an unbound JWT and the
// authorization server to mint opaque tokens.
type faultClient struct {
	t      *testing.T
	as     *oauthtest.Server
	key    *guardtest.DPoPKey
	bound  string // DPoP-bound JWT
	bearer string // unbound JWT
}

func newFaultClient(t *testing.T, as *oauthtest.Server) *faultClient {
	key := guardtest.NewDPoPKey()
	return &faultClient{t: t, as: as, key: key,
		bound:  as.Token(oauthtest.TokenOptions{Claims: map[string]any{"cnf": map[string]any{"jkt": key.JKT()}}}),
		bearer: as.Token(oauthtest.TokenOptions{}),
	}
}

// dpop sends a request with a fresh proof.
func (c *faultClient) dpop(base string) (answer, time.Duration) {
	proof := c.key.Proof(c.bound, "GET", apiURL+"/orders")
	start := time.Now()
	a := get(c.t, base, "DPoP "+c.bound, proof)
	return a, time.Since(start)
}

// opaque sends a request with a new opaque token and returns the answer and
// how many introspection calls it cost.
func (c *faultClient) opaque(base string) (answer, int, time.Duration) {
	token := c.as.OpaqueToken(oauthtest.TokenOptions{})
	before := c.as.Requests(oauthtest.EndpointIntrospection)
	start := time.Now()
	a := get(c.t, base, "Bearer "+token, "")
	return a, c.as.Requests(oauthtest.EndpointIntrospection) - before, time.Since(start)
}

// TestRedisStopped stops Redis under a running replica: DPoP requests are
// answered 503 with Retry-After (never 401), Bearer requests are served,
// introspection goes to the authorization server; when Redis is back the
// replica recovers without a restart.
func TestRedisStopped(t *testing.T) {
	env := newSharedSetUp(t)
	cfg := env.cfg
	cfg.Timeout = 0 // the default
	a, b := inProcessReplica(t, cfg), inProcessReplica(t, cfg)
	cfg.FailOpen = true
	open := inProcessReplica(t, cfg)
	c := newFaultClient(t, env.as)
	if got, _ := c.dpop(a); got.status != http.StatusOK {
		t.Fatalf("DPoP with Redis up: %d %q", got.status, got.challenge)
	}

	env.redis.Stop()
	for i := range 3 {
		got, d := c.dpop(a)
		if got.status != http.StatusServiceUnavailable || got.retryAfter == "" || got.challenge != "" {
			t.Errorf("DPoP %d with Redis down: %d, Retry-After %q, challenge %q; want 503 with Retry-After and no challenge",
				i, got.status, got.retryAfter, got.challenge)
		}
		if d > redisstore.DefaultTimeout+700*time.Millisecond {
			t.Errorf("DPoP with Redis down answered after %v, want within about the %v timeout", d, redisstore.DefaultTimeout)
		}
	}
	if got, _ := c.dpop(open); got.status != http.StatusOK {
		t.Errorf("DPoP with Redis down at a replica failing open: %d, want 200", got.status)
	}
	if got := get(t, a, "Bearer "+c.bearer, ""); got.status != http.StatusOK {
		t.Errorf("Bearer JWT with Redis down: %d %q, want 200", got.status, got.challenge)
	}
	for _, base := range []string{a, b} {
		if got, calls, _ := c.opaque(base); got.status != http.StatusOK || calls != 1 {
			t.Errorf("new opaque token with Redis down: %d %q, %d introspection calls; want 200 from the AS (1 call)",
				got.status, got.challenge, calls)
		}
	}

	env.redis.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := c.dpop(a)
		if got.status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DPoP 10s after Redis came back: %d, want recovery", got.status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Shared again: a replayed proof is refused at the other replica, a new
	// token is introspected once for both.
	proof := c.key.Proof(c.bound, "GET", apiURL+"/orders")
	if got := get(t, a, "DPoP "+c.bound, proof); got.status != http.StatusOK {
		t.Fatalf("after recovery, A: %d", got.status)
	}
	if got := get(t, b, "DPoP "+c.bound, proof); !isReplayRefusal(got) {
		t.Errorf("after recovery, replay at B: %d %q, want 401 invalid_dpop_proof", got.status, got.challenge)
	}
	token := env.as.OpaqueToken(oauthtest.TokenOptions{})
	before := env.as.Requests(oauthtest.EndpointIntrospection)
	for _, base := range []string{a, b} {
		if got := get(t, base, "Bearer "+token, ""); got.status != http.StatusOK {
			t.Fatalf("after recovery, opaque: %d", got.status)
		}
	}
	if n := env.as.Requests(oauthtest.EndpointIntrospection) - before; n != 1 {
		t.Errorf("after recovery, one token at two replicas: %d introspection calls, want 1", n)
	}
}

// TestRedisSlow puts a delaying proxy between the replica and Redis: while
// Redis is slower than the store's timeout, DPoP requests are answered 503
// within about the timeout, and opaque tokens are introspected directly.
func TestRedisSlow(t *testing.T) {
	const timeout, delay = 100 * time.Millisecond, 2 * time.Second
	env := newSharedSetUp(t)
	proxy := newDelayProxy(t, env.redis.Addr)
	cfg := env.cfg
	cfg.Redis, cfg.Timeout = proxy.addr, timeout
	a := inProcessReplica(t, cfg)
	c := newFaultClient(t, env.as)
	if got, _ := c.dpop(a); got.status != http.StatusOK {
		t.Fatalf("DPoP through the proxy: %d %q", got.status, got.challenge)
	}

	proxy.delay.Store(int64(delay))
	for i := range 3 {
		got, d := c.dpop(a)
		if got.status != http.StatusServiceUnavailable || got.retryAfter == "" {
			t.Errorf("DPoP %d, Redis slow: %d, Retry-After %q; want 503 with Retry-After", i, got.status, got.retryAfter)
		}
		if d < timeout || d > timeout+700*time.Millisecond {
			t.Errorf("DPoP %d, Redis slow: answered after %v, want about the %v timeout", i, d, timeout)
		}
	}
	if got, calls, d := c.opaque(a); got.status != http.StatusOK || calls != 1 || d > timeout+700*time.Millisecond {
		t.Errorf("opaque token, Redis slow: %d, %d introspection calls, after %v; want 200 from the AS within about %v",
			got.status, calls, d, timeout)
	}

	proxy.delay.Store(0)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got, _ := c.dpop(a); got.status == http.StatusOK {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("DPoP 10s after Redis was fast again: %d, want recovery", got.status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// delayProxy forwards TCP connections on loopback to a Redis server,
// holding every chunk of data, either way, for delay first.
type delayProxy struct {
	addr  string
	delay atomic.Int64 // time.Duration

	l     net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func newDelayProxy(t *testing.T, upstream string) *delayProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &delayProxy{addr: l.Addr().String(), l: l}
	p.wg.Go(func() {
		for {
			down, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				down.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, down, up)
			p.mu.Unlock()
			p.wg.Go(func() { p.pump(up, down) })
			p.wg.Go(func() { p.pump(down, up) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// pump copies src to dst, each chunk after the delay, until either fails.
func (p *delayProxy) pump(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			time.Sleep(time.Duration(p.delay.Load()))
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
