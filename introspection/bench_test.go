package introspection_test

import (
	"context"
	"testing"

	"github.com/rsguard/rsguard/introspection"
)

// BenchmarkIntrospectCached measures a cache hit: hashing the token, one
// shard lookup and the LRU update.
func BenchmarkIntrospectCached(b *testing.B) {
	in, token := cachedIntrospector(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := in.Introspect(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIntrospectCachedParallel(b *testing.B) {
	in, token := cachedIntrospector(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := in.Introspect(ctx, token); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func cachedIntrospector(b *testing.B) (*introspection.Introspector, string) {
	b.Helper()
	e := newEndpoint(b)
	const token = "2YotnFZFEjr1zCsicMWpAA-opaque-access-token-43" // a typical opaque token length
	e.set(token, `{"active":true,"sub":"u","scope":"read write","client_id":"app"}`)
	in, err := introspection.New(e.endpointURL(), introspection.ClientSecretBasic(testClientID, testSecret), nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := in.Introspect(context.Background(), token); err != nil {
		b.Fatal(err)
	}
	return in, token
}
