package redisstore_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/stores/redisstore"
)

// replayStores returns the two stores compared, in one run: the in-memory
// default and Redis on loopback.
type namedStore struct {
	name  string
	store middleware.ReplayStore
}

func replayStores(b *testing.B) []namedStore {
	srv := startRedis(b)
	return []namedStore{
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
			// New keys each run, "jkt:digest" of 64 bytes, from 1,024 clients
			// (the in-memory store bounds one client's proofs).
			keys := make([]string, 1<<16)
			run := time.Now().UnixNano()
			for i := range keys {
				keys[i] = fmt.Sprintf("%023d%020d:%020d", run, i%1024, i)
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

// request is one DPoP request: a bound token and a fresh proof.
type request struct{ authorization, proof string }

// dpopGuards returns a guard over each store, with one validator setup, and
// a source of fresh requests from 16 clients taking turns (the in-memory
// store bounds the proofs of one key).
func dpopGuards(b *testing.B, stores []namedStore) ([]http.Handler, func() request) {
	as := oauthtest.NewServer(nil)
	b.Cleanup(as.Close)
	keys, err := jwks.NewRemote(context.Background(), as.Issuer(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = keys.Close() })
	type client struct {
		key   *guardtest.DPoPKey
		token string
	}
	clients := make([]client, 16)
	for i := range clients {
		k := guardtest.NewDPoPKey()
		clients[i] = client{k, as.Token(oauthtest.TokenOptions{Claims: map[string]any{"cnf": map[string]any{"jkt": k.JKT()}}})}
	}
	var hs []http.Handler
	for _, s := range stores {
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
		hs = append(hs, guard.Protect(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })))
	}
	n := 0
	return hs, func() request {
		c := clients[n%len(clients)]
		n++
		return request{"DPoP " + c.token, c.key.Proof(c.token, "GET", apiURL+"/orders")}
	}
}

// serve sends r through h and checks that it was admitted.
func serve(b *testing.B, h http.Handler, r request) {
	req := httptest.NewRequest(http.MethodGet, "/orders", nil)
	req.Header.Set("Authorization", r.authorization)
	req.Header.Set("DPoP", r.proof)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent {
		b.Errorf("status %d %q", rec.Code, rec.Header().Values("WWW-Authenticate"))
	}
}

// BenchmarkGuardDPoP is a DPoP request through the guard (proof checks,
// JWT validation, the replay check), with each replay store: the
// difference is the Redis round trip. Proofs are made before the timer
// starts; req/s is of one client at a time (serial) or of GOMAXPROCS
// clients (parallel).
func BenchmarkGuardDPoP(b *testing.B) {
	stores := replayStores(b)
	hs, next := dpopGuards(b, stores)
	for i, s := range stores {
		for _, mode := range []string{"serial", "parallel"} {
			b.Run(s.name+"/"+mode, func(b *testing.B) {
				reqs := make(chan request, b.N)
				for range b.N {
					reqs <- next()
				}
				close(reqs)
				b.ResetTimer()
				if mode == "parallel" {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							serve(b, hs[i], <-reqs)
						}
					})
				} else {
					for range b.N {
						serve(b, hs[i], <-reqs)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			})
		}
	}
}

// BenchmarkPaired interleaves the two stores request by request, so that
// the load of a shared machine falls on both alike: each iteration makes one
// replay check (or one DPoP request through the guard) with the in-memory
// store and one with Redis, timed apart. It reports the medians per request
// and the difference, the added cost of Redis.
func BenchmarkPaired(b *testing.B) {
	stores := replayStores(b)
	b.Run("replay", func(b *testing.B) {
		until := time.Now().Add(time.Hour)
		ctx := context.Background()
		run := func(s middleware.ReplayStore, key string) {
			if replayed, err := s.Use(ctx, key, until); err != nil || replayed {
				b.Fatalf("Use = %v, %v", replayed, err)
			}
		}
		// New keys each run, from 1,024 clients (the in-memory store bounds
		// one client's proofs).
		keys := make([]string, b.N)
		now := time.Now().UnixNano()
		for i := range keys {
			keys[i] = fmt.Sprintf("%023d%020d:%020d", now, i%1024, i)
		}
		paired(b, func(i int) { run(stores[0].store, keys[i]) }, func(i int) { run(stores[1].store, keys[i]) })
	})
	b.Run("guard", func(b *testing.B) {
		h, next := dpopGuards(b, stores)
		reqs := make([][2]request, b.N)
		for i := range reqs {
			reqs[i] = [2]request{next(), next()}
		}
		paired(b, func(i int) { serve(b, h[0], reqs[i][0]) }, func(i int) { serve(b, h[1], reqs[i][1]) })
	})
}

// paired runs a and b in turn b.N times and reports the median time of each
// and their difference.
func paired(tb *testing.B, a, b func(i int)) {
	da, db := make([]time.Duration, tb.N), make([]time.Duration, tb.N)
	tb.ResetTimer()
	for i := range tb.N {
		start := time.Now()
		a(i)
		mid := time.Now()
		b(i)
		da[i], db[i] = mid.Sub(start), time.Since(mid)
	}
	ma, mb := median(da), median(db)
	tb.ReportMetric(float64(ma.Nanoseconds()), "memory-ns/op")
	tb.ReportMetric(float64(mb.Nanoseconds()), "redis-ns/op")
	tb.ReportMetric(float64((mb - ma).Nanoseconds()), "added-ns/op")
	tb.ReportMetric(float64(mb)/float64(ma), "redis/memory")
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
