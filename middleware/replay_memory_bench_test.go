package middleware

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkMemoryReplayStore is Use of fresh keys from many goroutines, 64
// clients at their quota (the steady state: each new proof drops its
// client's oldest). The key's string is built per call, as the validator
// builds it.
//
//	go test -run '^$' -bench MemoryReplayStore -benchtime 200000x ./middleware
func BenchmarkMemoryReplayStore(b *testing.B) {
	s := NewMemoryReplayStore(&MemoryReplayConfig{Quota: 1000})
	clients := make([]string, 64)
	for i := range clients {
		clients[i] = fmt.Sprintf("%043d", i)
	}
	until := time.Now().Add(time.Hour)
	var seq atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 0, 64)
		for pb.Next() {
			n := seq.Add(1)
			buf = append(append(buf[:0], clients[n%uint64(len(clients))]...), ':')
			key := string(strconv.AppendUint(buf, n, 10))
			if replayed, err := s.Use(context.Background(), key, until); replayed || err != nil {
				b.Fatalf("Use(%q) = %v, %v; want fresh", key, replayed, err)
			}
		}
	})
}
