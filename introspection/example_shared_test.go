package introspection_test

import (
	"context"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/oauthtest"
)

// mapCache is a SharedCache in one process, for the example; replicas share
// one on Redis (stores/redisstore.IntrospectionCache).
type mapCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *mapCache) Get(_ context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key], nil
}

func (c *mapCache) Set(_ context.Context, key string, v []byte, _ time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = v
	return nil
}

// Two replicas sharing a cache introspect a token once between them.
func ExampleSharedConfig() {
	as := oauthtest.NewServer(nil)
	defer as.Close()
	as.AddClient(oauthtest.Client{ID: "orders-api", Secret: "s3cret"})
	shared := &introspection.SharedConfig{
		Cache: &mapCache{m: map[string][]byte{}},
		Key:   []byte("32 random bytes, on every replica"), // in production: from a secret store
	}
	var replicas []*introspection.Introspector
	for range 2 {
		in, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic("orders-api", "s3cret"),
			&introspection.Config{Shared: shared})
		if err != nil {
			log.Fatal(err)
		}
		replicas = append(replicas, in)
	}
	token := as.OpaqueToken(oauthtest.TokenOptions{Subject: "alice"})
	for i, in := range replicas {
		c, err := in.Introspect(context.Background(), token)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("replica %d: %s\n", i, c.Subject)
	}
	fmt.Println("introspection calls:", as.Requests(oauthtest.EndpointIntrospection))
	// Output:
	// replica 0: alice
	// replica 1: alice
	// introspection calls: 1
}
