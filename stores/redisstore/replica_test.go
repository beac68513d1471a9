package redisstore_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/stores/redisstore"
)

// replicaEnv, when set (to a JSON replicaConfig), makes the test binary a
// replica: a resource server of its own, in its own OS process.
const replicaEnv = "REDISSTORE_TEST_REPLICA"

func TestMain(m *testing.M) {
	// go-redis logs each failed dial of the fault tests' outages; the tests
	// check the answers instead.
	redis.SetLogger(quietLogger{})
	if cfg := os.Getenv(replicaEnv); cfg != "" {
		os.Exit(runReplica(cfg))
	}
	os.Exit(m.Run())
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// apiURL is where clients believe the API is (behind a load balancer), for
// the proofs' "htu": every replica has the same.
const apiURL = "https://api.example.test"

const (
	rsClientID     = "resource-server"
	rsClientSecret = "rs-secret-Vq9"
)

// replicaConfig is what a replica needs: one Redis and one authorization
// server, shared with the other replicas.
type replicaConfig struct {
	Redis     string
	Issuer    string
	SharedKey []byte
	Timeout   time.Duration // of every Redis call; 0 for the default
	FailOpen  bool          // DPoPConfig.AllowReplayStoreFailure
}

// sharedSetUp is one Redis and one authorization server for replicas.
type sharedSetUp struct {
	redis *redisServer
	as    *oauthtest.Server
	cfg   replicaConfig
}

func newSharedSetUp(t *testing.T) *sharedSetUp {
	t.Helper()
	s := &sharedSetUp{redis: startRedis(t)}
	s.as = oauthtest.NewServer(&oauthtest.Config{Clients: []oauthtest.Client{{ID: rsClientID, Secret: rsClientSecret}}})
	t.Cleanup(s.as.Close)
	// A Redis timeout long enough that a loaded test machine does not
	// answer 503 where the test expects a decision; the fault tests set
	// their own.
	s.cfg = replicaConfig{Redis: s.redis.Addr, Issuer: s.as.Issuer(), SharedKey: []byte("shared-key-of-the-replicas-32-by"),
		Timeout: 2 * time.Second}
	return s
}

// replicaHandler is a replica's API: one route needing a valid token, behind
// a guard whose DPoP replay store and introspection cache are on Redis.
func replicaHandler(ctx context.Context, cfg replicaConfig) (http.Handler, func(), error) {
	client := redis.NewClient(&redis.Options{Addr: cfg.Redis, ContextTimeoutEnabled: true, DisableIdentity: true})
	stop := func() { _ = client.Close() }
	rcfg := &redisstore.Config{Timeout: cfg.Timeout}
	replay, err1 := redisstore.NewReplayStore(client, rcfg)
	cache, err2 := redisstore.NewIntrospectionCache(client, rcfg)
	keys, err3 := jwks.NewRemote(ctx, cfg.Issuer, nil)
	if err := firstErr(err1, err2, err3); err != nil {
		stop()
		return nil, nil, err
	}
	stop = func() { keys.Close(); _ = client.Close() }
	in, err1 := introspection.New(strings.TrimSuffix(cfg.Issuer, "/")+"/introspect",
		introspection.ClientSecretBasic(rsClientID, rsClientSecret),
		&introspection.Config{Shared: &introspection.SharedConfig{Cache: cache, Key: cfg.SharedKey}})
	v, err2 := middleware.NewValidator(middleware.Issuer{
		URL: cfg.Issuer, Audiences: []string{oauthtest.DefaultAudience}, Keys: keys,
		Introspector: in, DPoP: middleware.DPoPAllowed,
	}, &middleware.Config{DPoP: middleware.DPoPConfig{ReplayStore: replay, AllowReplayStoreFailure: cfg.FailOpen}})
	if err := firstErr(err1, err2); err != nil {
		stop()
		return nil, nil, err
	}
	guard, err := middleware.NewGuard(v, &middleware.GuardConfig{ExternalURL: apiURL})
	if err != nil {
		stop()
		return nil, nil, err
	}
	return guard.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := middleware.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s", c.Subject)
	})), stop, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// runReplica serves the replica's API on a loopback port, which it prints,
// until its standard input closes.
func runReplica(cfgJSON string) int {
	var cfg replicaConfig
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "replica:", err)
		return 2
	}
	h, stop, err := replicaHandler(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "replica:", err)
		return 2
	}
	defer stop()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "replica:", err)
		return 2
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = srv.Close()
	}()
	fmt.Printf("listening http://%s\n", l.Addr())
	if err := srv.Serve(l); err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "replica:", err)
		return 1
	}
	return 0
}

// startReplica starts a replica as a separate OS process (this test binary
// again) and returns its URL; it is stopped when the test ends.
func startReplica(t *testing.T, cfg replicaConfig) string {
	t.Helper()
	cfgJSON, _ := json.Marshal(cfg)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), replicaEnv+"="+string(cfgJSON))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Error("replica did not stop when its input closed")
		}
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s := <-line:
		u, ok := strings.CutPrefix(strings.TrimSpace(s), "listening ")
		if !ok {
			t.Fatalf("replica said %q", s)
		}
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("replica did not start within 30s")
	}
	return ""
}
