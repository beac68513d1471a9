package middleware

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"testing"
	"time"
)

// sameShard returns n client names that s puts in the shard of client,
// found by construction (whatever the store's seed).
func sameShard(s *MemoryReplayStore, client string, n int) []string {
	want := maphash.String(s.seed, client) % replayShards
	var names []string
	for i := 0; len(names) < n; i++ {
		if name := fmt.Sprintf("victim%d", i); maphash.String(s.seed, name)%replayShards == want {
			names = append(names, name)
		}
	}
	return names
}

// held counts the entries of every shard, to check the store's counter.
func held(s *MemoryReplayStore) int64 {
	var n int64
	for i := range s.shards {
		s.shards[i].mu.Lock()
		for _, c := range s.shards[i].clients {
			n += int64(len(c.used))
		}
		s.shards[i].mu.Unlock()
	}
	return n
}

// TestMemoryReplayStoreFlood is the regression test of one DPoP key with
// more unexpired proofs than a shard's share of the capacity (and than its
// quota), in the default configuration: every proof of the clients in its
// shard, and of others, is still accepted; the flooder's proofs within its
// retained window (its last Quota) are still refused as replays.
func TestMemoryReplayStoreFlood(t *testing.T) {
	ctx := context.Background()
	now := testNow
	s := NewMemoryReplayStore(&MemoryReplayConfig{Now: func() time.Time { return now }})
	until := now.Add(90 * time.Second)
	const flood = DefaultReplayCapacity/replayShards + DefaultReplayQuota // past a shard's share and the quota
	victims := append(sameShard(s, "flooder", 20), "elsewhere1", "elsewhere2")
	use := func(key string) bool {
		t.Helper()
		r, err := s.Use(ctx, key, until)
		if err != nil {
			t.Fatalf("Use(%q): %v", key, err)
		}
		return r
	}
	for i := range flood {
		if use(fmt.Sprintf("flooder:%d", i)) {
			t.Fatalf("flooder's fresh proof %d reported replayed", i)
		}
		if i%100 == 0 {
			v := victims[(i/100)%len(victims)]
			if use(fmt.Sprintf("%s:%d", v, i)) {
				t.Fatalf("%s's fresh proof %d reported replayed", v, i)
			}
		}
	}
	for i := 0; i < flood; i += 100 {
		v := victims[(i/100)%len(victims)]
		if !use(fmt.Sprintf("%s:%d", v, i)) {
			t.Errorf("%s's proof %d not refused as a replay after the flood", v, i)
		}
	}
	for i := flood - DefaultReplayQuota; i < flood; i++ {
		if !use(fmt.Sprintf("flooder:%d", i)) {
			t.Fatalf("flooder's proof %d, within its last Quota, not refused as a replay", i)
		}
	}
	if use("flooder:0") {
		t.Error("flooder's oldest proof outlived its quota")
	}
	if got, want := s.n.Load(), held(s); got != want {
		t.Errorf("counter = %d, entries held = %d", got, want)
	}
}

// TestMemoryReplayStoreLimits checks the guarantees for configurations at
// their edges: a Quota above Capacity is held to Capacity/2, so one client
// cannot fill the store; clients filling it for real are refused, and every
// entry they hold is still reported (refused rather than forgotten); after
// expiry the store takes new entries again.
func TestMemoryReplayStoreLimits(t *testing.T) {
	ctx := context.Background()
	now := testNow
	clock := func() time.Time { return now }
	until := now.Add(time.Minute)
	for _, tc := range []struct {
		name            string
		capacity, quota int
		wantQuota       int
	}{
		{"quota above capacity", 10, 1000, 5},
		{"quota equal to capacity", 64, 64, 32},
		{"capacity 1", 1, 0, 1},
		{"default quota, small capacity", 100, 0, 50},
		{"quota below capacity", 64, 8, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewMemoryReplayStore(&MemoryReplayConfig{Capacity: tc.capacity, Quota: tc.quota, Now: clock})
			capacity := int(s.cap)
			for i := range 3 * capacity { // one client alone, three times the capacity
				if r, err := s.Use(ctx, fmt.Sprintf("flooder:%d", i), until); r || err != nil {
					t.Fatalf("flooder's proof %d: %v, %v", i, r, err)
				}
			}
			if r, err := s.Use(ctx, "other:1", until); r || err != nil {
				t.Fatalf("another client after one client's flood: %v, %v; want accepted", r, err)
			}
			if got := held(s); got != int64(tc.wantQuota)+1 {
				t.Fatalf("entries held = %d, want the flooder's quota %d and one", got, tc.wantQuota)
			}
			// Distinct clients, each at its quota, fill the rest.
			var keys []string
			for c := 0; len(keys)+tc.wantQuota+1 < capacity; c++ {
				for i := 0; i < tc.wantQuota && len(keys)+tc.wantQuota+1 < capacity; i++ {
					k := fmt.Sprintf("filler%d:%d", c, i)
					if r, err := s.Use(ctx, k, until); r || err != nil {
						t.Fatalf("Use(%q) below capacity: %v, %v", k, r, err)
					}
					keys = append(keys, k)
				}
			}
			if _, err := s.Use(ctx, "late:1", until); !errors.Is(err, ErrReplayStoreFull) {
				t.Fatalf("Use on a full store = %v, want ErrReplayStoreFull", err)
			}
			for _, k := range append(keys, "other:1") {
				if r, err := s.Use(ctx, k, until); !r || err != nil {
					t.Fatalf("Use(%q) on a full store = %v, %v; want replayed", k, r, err)
				}
			}
			now = now.Add(2 * time.Minute)
			defer func() { now = testNow }()
			if r, err := s.Use(ctx, "late:1", now.Add(time.Minute)); r || err != nil {
				t.Fatalf("after expiry, Use = %v, %v; want room", r, err)
			}
			if got, want := s.n.Load(), held(s); got != want || got != 1 {
				t.Errorf("counter = %d, entries held = %d, want 1", got, want)
			}
		})
	}
}

// TestMemoryReplayStoreFloodConcurrent runs flooders and other clients from
// many goroutines on a small store: every other client's proof is accepted
// exactly once, and the counter matches the entries held.
func TestMemoryReplayStoreFloodConcurrent(t *testing.T) {
	s := NewMemoryReplayStore(&MemoryReplayConfig{Capacity: 4096, Quota: 512})
	until := time.Now().Add(time.Hour)
	const flooders, victims, proofs = 4, 16, 2000 // flooders: 4 × 512 entries held at most, half the capacity
	var wg sync.WaitGroup
	for f := range flooders {
		wg.Go(func() {
			for i := range proofs {
				if r, err := s.Use(context.Background(), fmt.Sprintf("flooder%d:%d", f, i), until); r || err != nil {
					t.Errorf("flooder%d:%d = %v, %v", f, i, r, err)
					return
				}
			}
		})
	}
	fresh := make([][]int, victims)
	var mu sync.Mutex
	for v := range victims {
		fresh[v] = make([]int, 100)
		for range 2 { // two goroutines per client, the same keys
			wg.Go(func() {
				for i := range fresh[v] {
					r, err := s.Use(context.Background(), fmt.Sprintf("victim%d:%d", v, i), until)
					if err != nil {
						t.Errorf("victim%d:%d: %v", v, i, err)
						return
					}
					if !r {
						mu.Lock()
						fresh[v][i]++
						mu.Unlock()
					}
				}
			})
		}
	}
	wg.Wait()
	for v := range fresh {
		for i, n := range fresh[v] {
			if n != 1 {
				t.Errorf("victim%d:%d reported fresh %d times, want 1", v, i, n)
			}
		}
	}
	if got, want := s.n.Load(), held(s); got != want || got > s.cap {
		t.Errorf("counter = %d, entries held = %d, capacity %d", got, want, s.cap)
	}
}
