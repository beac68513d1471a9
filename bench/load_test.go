package bench_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/rsguard/rsguard/bench"
)

func startServers(t *testing.T) (*bench.Fixture, *bench.Servers) {
	t.Helper()
	f := loadFixture(t)
	srv, err := bench.StartServers(f, "ES256")
	if err != nil {
		t.Fatalf("StartServers() = %v", err)
	}
	t.Cleanup(srv.Close)
	return f, srv
}

// TestServersGuard checks that the protected servers refuse a request without
// a token or with a bad one, so that the load figure compares real guards.
func TestServersGuard(t *testing.T) {
	f, srv := startServers(t)
	tests := []struct {
		name, token string
		want        map[string]int
	}{
		// auth0's default error handler answers a missing token 400 Bad
		// Request; RFC 6750 §3.1 asks for 401 without an error code.
		{"no token", "", map[string]int{bench.Unprotected: 200, bench.RSGuard: 401, bench.Auth0: 400}},
		{"tampered", tamper(f.Cases["ES256"].Token), map[string]int{bench.Unprotected: 200, bench.RSGuard: 401, bench.Auth0: 401}},
		{"valid", f.Cases["ES256"].Token, map[string]int{bench.Unprotected: 200, bench.RSGuard: 200, bench.Auth0: 200}},
	}
	for _, tt := range tests {
		for _, name := range bench.ServerNames {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				req, err := http.NewRequest(http.MethodGet, srv.URLs[name], nil)
				if err != nil {
					t.Fatal(err)
				}
				if tt.token != "" {
					req.Header.Set("Authorization", "Bearer "+tt.token)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("GET %s = %v", name, err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.want[name] {
					t.Errorf("GET %s with %s = %d, want %d", name, tt.name, resp.StatusCode, tt.want[name])
				}
			})
		}
	}
}

// TestLoadBounded runs a tiny load against each server: the run stops at its
// request bound, and every request is answered 200.
func TestLoadBounded(t *testing.T) {
	f, srv := startServers(t)
	cfg := bench.LoadConfig{Clients: 4, Duration: 20 * time.Second, MaxRequests: 60}
	for _, name := range bench.ServerNames {
		res, err := bench.Load(context.Background(), srv.URLs[name], f.Cases["ES256"].Token, cfg)
		if err != nil {
			t.Fatalf("Load(%s) = %v", name, err)
		}
		if res.Requests != cfg.MaxRequests || res.RPS() <= 0 {
			t.Errorf("Load(%s) = %d requests at %.0f/s, want %d at > 0/s", name, res.Requests, res.RPS(), cfg.MaxRequests)
		}
	}
}

// TestLoadStopsOnRefusal checks that a refused request fails the run instead
// of being counted.
func TestLoadStopsOnRefusal(t *testing.T) {
	_, srv := startServers(t)
	cfg := bench.LoadConfig{Clients: 2, Duration: 20 * time.Second, MaxRequests: 1000}
	res, err := bench.Load(context.Background(), srv.URLs[bench.RSGuard], "not-a-valid-token", cfg)
	if err == nil || res.Requests != 0 {
		t.Fatalf("Load(bad token) = %d requests, %v; want 0 and an error", res.Requests, err)
	}
}

// TestLoadDurationBound checks that a run stops when its time is up, well
// before its request bound.
func TestLoadDurationBound(t *testing.T) {
	f, srv := startServers(t)
	cfg := bench.LoadConfig{Clients: 2, Duration: 100 * time.Millisecond, MaxRequests: 1 << 30}
	res, err := bench.Load(context.Background(), srv.URLs[bench.Unprotected], f.Cases["ES256"].Token, cfg)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Load() = %v", err)
	}
	if res.Elapsed > 5*time.Second || res.Requests >= cfg.MaxRequests {
		t.Errorf("Load() ran %v for %d requests, want about %v", res.Elapsed, res.Requests, cfg.Duration)
	}
}
