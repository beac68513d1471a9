package redisstore_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/stores/redisstore"
)

// replayStores returns the two stores compared, in one run: the in-memory
// default and Redis on loopback.
func replayStores(b *testing.B) []struct {
	name  string
	store middleware.ReplayStore
} {
	srv := startRedis(b)
	return []struct {
		name  string
		store middleware.ReplayStore
	}{
		{"memory", middleware.NewMemoryReplayStore(nil)},
		// A timeout long enough that a loaded machine measures cost, not 503s.
		{"redis", newReplayStore(b, srv.client(b), &redisstore.Config{Timeout: time.Second})},
	}
}

// BenchmarkReplayUse is the replay check alone, per proof: one SET NX GET
// PX on loopback against a map.
func BenchmarkReplayUse(b *testing.B) {
	until := time.Now().Add(time.Hour)
	for _, s := range replayStores(b) {
		b.Run(s.name, func(b *testing.B) {
			keys := make([]string, 1<<16) // new keys each run: "jkt:digest", 64 bytes
			for i := range keys {
				keys[i] = fmt.Sprintf("%043d:%020d", time.Now().UnixNano(), i)
			}
			ctx := context.Background()
			i := 0
			for b.Loop() {
				replayed, err := s.store.Use(ctx, keys[i%len(keys)], until)
				if err != nil || replayed && i < len(keys) {
					b.Fatalf("Use = %v, %v", replayed, err)
				}
				i++
			}
		})
	}
}

// BenchmarkGuardDPoP is a DPoP request through the guard (proof checks,
// JWT validation, the replay check), with each replay store: the
// difference is the Redis round trip. Proofs are made before the timer
// starts; req/s is of one client at a time (serial) or of GOMAXPROCS
// clients (parallel).
func BenchmarkGuardDPoP(b *testing.B) {
	as := oauthtest.NewServer(nil)
	b.Cleanup(as.Close)
	keys, err := middleware.NewRemoteKeys(context.Background(), as.Issuer(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = keys.Close() })
	// Clients, each with its proof key and bound token, taking turns (the
	// in-memory store bounds the proofs of one key).
	type client struct {
		key   *dpopKey
		token string
	}
	clients := make([]client, 16)
	for i := range clients {
		k := newDPoPKey(b)
		clients[i] = client{k, as.Token(oauthtest.TokenOptions{Claims: map[string]any{"cnf": map[string]any{"jkt": k.jkt}}})}
	}
	type request struct{ token, proof string }
	for _, s := range replayStores(b) {
		v, err := middleware.NewValidator(middleware.Issuer{
			URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}, Keys: keys, DPoP: middleware.DPoPAllowed,
		}, &middleware.Config{DPoP: middleware.DPoPConfig{ReplayStore: s.store}})
		if err != nil {
			b.Fatal(err)
		}
		guard, err := middleware.NewGuard(v, &middleware.GuardConfig{ExternalURL: apiURL})
		if err != nil {
			b.Fatal(err)
		}
		h := guard.Protect(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
		for _, parallel := range []bool{false, true} {
			name := s.name + "/serial"
			if parallel {
				name = s.name + "/parallel"
			}
			b.Run(name, func(b *testing.B) {
				reqs := make(chan request, b.N)
				for i := range b.N {
					c := clients[i%len(clients)]
					reqs <- request{"DPoP " + c.token, c.key.proof(b, "GET", apiURL+"/orders", c.token)}
				}
				close(reqs)
				serve := func() {
					r := <-reqs
					req := httptest.NewRequest(http.MethodGet, "/orders", nil)
					req.Header.Set("Authorization", r.token)
					req.Header.Set("DPoP", r.proof)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusNoContent {
						b.Errorf("status %d %q", rec.Code, rec.Header().Values("WWW-Authenticate"))
					}
				}
				b.ResetTimer()
				if parallel {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							serve()
						}
					})
				} else {
					for range b.N {
						serve()
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			})
		}
	}
}
