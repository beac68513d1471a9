package redisstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rsguard/rsguard/stores/redisstore"
)

// testTimeout is the store timeout of tests that are not about timeouts:
// long enough that a loaded machine does not fail them.
const testTimeout = 5 * time.Second

// newStore returns the store that newFn (named name) makes of c with cfg,
// or with the test timeout when cfg is nil, failing t if it cannot.
func newStore[S any](t testing.TB, name string, newFn func(redis.UniversalClient, *redisstore.Config) (S, error), c redis.UniversalClient, cfg *redisstore.Config) S {
	t.Helper()
	if cfg == nil {
		cfg = &redisstore.Config{Timeout: testTimeout}
	}
	s, err := newFn(c, cfg)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func newReplayStore(t testing.TB, c redis.UniversalClient, cfg *redisstore.Config) *redisstore.ReplayStore {
	t.Helper()
	return newStore(t, "NewReplayStore", redisstore.NewReplayStore, c, cfg)
}

func TestReplayUse(t *testing.T) {
	srv := startRedis(t)
	s := newReplayStore(t, srv.client(t), nil)
	ctx := context.Background()
	until := time.Now().Add(time.Minute)
	steps := []struct {
		key  string
		want bool
	}{
		{"jkt-a:jti-1", false},
		{"jkt-a:jti-1", true},
		{"jkt-a:jti-2", false},
		{"jkt-b:jti-1", false},
		{"jkt-a:jti-2", true},
		{strings.Repeat("k", 10_000), false}, // bounded by the hash, whatever its length
		{strings.Repeat("k", 10_000), true},
		{"", false},
		{"", true},
	}
	for i, st := range steps {
		got, err := s.Use(ctx, st.key, until)
		if err != nil || got != st.want {
			t.Errorf("step %d: Use(%.20q) = %v, %v; want %v", i, st.key, got, err, st.want)
		}
	}
}

// TestReplayExpiry checks that a record lives until the proof's last
// instant (rounded up to the millisecond), then goes.
func TestReplayExpiry(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	s := newReplayStore(t, c, &redisstore.Config{Prefix: "app1:", Timeout: testTimeout})
	ctx := context.Background()
	before := time.Now()
	until := before.Add(300*time.Millisecond + 500*time.Microsecond)
	if replayed, err := s.Use(ctx, "k", until); replayed || err != nil {
		t.Fatalf("Use = %v, %v", replayed, err)
	}
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("KEYS * = %q, %v; want one key", keys, err)
	}
	if k := keys[0]; !strings.HasPrefix(k, "app1:dpop:") || len(k) != len("app1:dpop:")+43 {
		t.Errorf("key %q, want app1:dpop: and 43 base64url characters", k)
	}
	pttl := c.PTTL(ctx, keys[0]).Val()
	// At most the time to until from before the call, rounded up; at least
	// what is left now, less Redis's millisecond granularity.
	if left, most := time.Until(until), until.Sub(before).Truncate(time.Millisecond)+time.Millisecond; pttl < left-time.Millisecond || pttl > most {
		t.Errorf("PTTL = %v, want between %v and %v", pttl, left-time.Millisecond, most)
	}
	time.Sleep(time.Until(until) - 50*time.Millisecond)
	if replayed, _ := s.Use(ctx, "k", until); !replayed {
		t.Error("Use 50ms before until = not replayed, want replayed")
	}
	time.Sleep(time.Until(until) + 20*time.Millisecond)
	if replayed, err := s.Use(ctx, "k", time.Now().Add(time.Minute)); replayed || err != nil {
		t.Errorf("Use after until = %v, %v; want a new record", replayed, err)
	}
}

// TestReplayConcurrent has replicas (each its own store and client) use the
// same keys at once: each key is accepted exactly once.
func TestReplayConcurrent(t *testing.T) {
	const replicas, perReplica, keys = 4, 8, 50
	srv := startRedis(t)
	var stores []*redisstore.ReplayStore
	for range replicas {
		stores = append(stores, newReplayStore(t, srv.client(t), nil))
	}
	until := time.Now().Add(time.Minute)
	var accepted [keys]atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, s := range stores {
		for range perReplica {
			wg.Go(func() {
				<-start
				for k := range keys {
					replayed, err := s.Use(context.Background(), fmt.Sprint("key-", k), until)
					switch {
					case err != nil: // no answer: the validator refuses (503)
						t.Error(err)
					case !replayed:
						accepted[k].Add(1)
					}
				}
			})
		}
	}
	close(start)
	wg.Wait()
	for k := range keys {
		if n := accepted[k].Load(); n != 1 {
			t.Errorf("key %d accepted %d times by %d callers, want exactly once", k, n, replicas*perReplica)
		}
	}
}

// retryHook sends every SET twice, discarding the first reply, as a client
// does that retries after a reply lost to the network.
type retryHook struct{}

func (retryHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (retryHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "set" {
			lost := redis.NewStatusCmd(ctx, cmd.Args()...)
			_ = next(ctx, lost)
		}
		return next(ctx, cmd)
	}
}
func (retryHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestReplayRetriedSet checks that a SET retried after a lost reply, which
// finds the record its first attempt made, is not taken for a replay, while
// a real replay still is.
func TestReplayRetriedSet(t *testing.T) {
	srv := startRedis(t)
	c := srv.client(t)
	c.AddHook(retryHook{})
	s := newReplayStore(t, c, nil)
	other := newReplayStore(t, srv.client(t), nil)
	until := time.Now().Add(time.Minute)
	if replayed, err := s.Use(context.Background(), "k", until); replayed || err != nil {
		t.Errorf("Use with a retried SET = %v, %v; want not replayed", replayed, err)
	}
	if replayed, err := s.Use(context.Background(), "k", until); !replayed || err != nil {
		t.Errorf("second Use (retried SET) = %v, %v; want replayed", replayed, err)
	}
	if replayed, err := other.Use(context.Background(), "k", until); !replayed || err != nil {
		t.Errorf("Use at another replica = %v, %v; want replayed", replayed, err)
	}
}

// TestReplayOneCommand checks the goal of one round trip per proof: Redis
// runs one SET per Use, and nothing else.
func TestReplayOneCommand(t *testing.T) {
	const n = 200
	srv := startRedis(t)
	c := srv.client(t)
	s := newReplayStore(t, c, nil)
	until := time.Now().Add(time.Minute)
	_, _ = s.Use(context.Background(), "warm-up", until) // the connection's HELLO
	admin := srv.client(t)
	before := commandCalls(t, admin, "set")
	total := totalCalls(t, admin)
	for i := range n {
		if _, err := s.Use(context.Background(), fmt.Sprint("k", i), until); err != nil {
			t.Fatal(err)
		}
	}
	if got := commandCalls(t, admin, "set") - before; got != n {
		t.Errorf("%d Use calls ran %d SET commands, want %d", n, got, n)
	}
	// Everything else Redis ran meanwhile: the two INFO calls of this test.
	if got := totalCalls(t, admin) - total; got != n+2 {
		t.Errorf("%d Use calls ran %d commands in all, want %d (and the 2 INFO of the test)", n, got, n+2)
	}
}

func totalCalls(t testing.TB, c *redis.Client) int {
	t.Helper()
	n := 0
	for _, calls := range commandStats(t, c) {
		n += calls
	}
	return n
}

func TestNewStoreErrors(t *testing.T) {
	ok := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	noCtx := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	t.Cleanup(func() { _, _, _ = ok.Close(), noCtx.Close(), cluster.Close() })
	tests := []struct {
		name   string
		client redis.UniversalClient
		cfg    *redisstore.Config
		want   string
	}{
		{"valid", ok, nil, ""},
		{"nil client", nil, nil, "no client"},
		{"no context timeout", noCtx, nil, "ContextTimeoutEnabled"},
		{"cluster without context timeout", cluster, nil, "ContextTimeoutEnabled"},
		{"long prefix", ok, &redisstore.Config{Prefix: strings.Repeat("p", 65)}, "Prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err1 := redisstore.NewReplayStore(tt.client, tt.cfg)
			_, err2 := redisstore.NewIntrospectionCache(tt.client, tt.cfg)
			for _, err := range []error{err1, err2} {
				if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
					t.Errorf("New = %v, want error containing %q", err, tt.want)
				}
			}
		})
	}
}

// TestGuardOneRoundTrip checks the goal of one Redis round trip per DPoP
// request through a whole replica: N requests, N commands (all SET).
func TestGuardOneRoundTrip(t *testing.T) {
	const n = 50
	env := newSharedSetUp(t)
	a := inProcessReplica(t, env.cfg)
	c := newFaultClient(t, env.as)
	if got, _ := c.dpop(a); got.status != 200 { // warm-up: the connection's HELLO
		t.Fatalf("DPoP: %d", got.status)
	}
	admin := env.redis.client(t)
	before := commandStats(t, admin)
	for range n {
		if got, _ := c.dpop(a); got.status != 200 {
			t.Fatalf("DPoP: %d %q", got.status, got.challenge)
		}
	}
	after := commandStats(t, admin)
	total := 0
	for cmd, calls := range after {
		if d := calls - before[cmd]; d != 0 && cmd != "info" {
			total += d
			if cmd != "set" {
				t.Errorf("%d DPoP requests ran %s %d times", n, cmd, d)
			}
		}
	}
	if total != n {
		t.Errorf("%d DPoP requests ran %d Redis commands, want %d (one round trip each)", n, total, n)
	}
}
