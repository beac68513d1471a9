package redisstore_test

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/stores/redisstore"
)

// Replicas of one API share DPoP replay protection and introspection
// results through one Redis. (Sentinel: redis.NewFailoverClient; Cluster:
// redis.NewClusterClient; Valkey: the same client. Each with
// ContextTimeoutEnabled.)
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "redis.internal:6379", ContextTimeoutEnabled: true})
	replay, err := redisstore.NewReplayStore(rdb, nil) // keys "rsguard:dpop:…", 100ms per call
	if err != nil {
		log.Fatal(err)
	}
	cache, err := redisstore.NewIntrospectionCache(rdb, nil) // keys "rsguard:intro:…", "rsguard:lock:…"
	if err != nil {
		log.Fatal(err)
	}
	in, err := introspection.New("https://auth.example.com/oauth2/introspect",
		introspection.ClientSecretBasic("api", os.Getenv("INTROSPECTION_SECRET")),
		&introspection.Config{Shared: &introspection.SharedConfig{
			Cache: cache,
			Key:   []byte(os.Getenv("SHARED_CACHE_KEY")), // ≥ 32 random bytes, the same on every replica
			// SealKey: an AES key, to keep the claims unreadable in Redis.
		}})
	if err != nil {
		log.Fatal(err)
	}
	keys, err := jwks.NewRemote(ctx, "https://auth.example.com", nil) // JWKS: per replica
	if err != nil {
		log.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{
		URL: "https://auth.example.com", Audiences: []string{"https://api.example.com"},
		Keys: keys, Introspector: in, DPoP: middleware.DPoPAllowed,
	}, &middleware.Config{DPoP: middleware.DPoPConfig{ReplayStore: replay}})
	if err != nil {
		log.Fatal(err)
	}
	guard, _ := middleware.NewGuard(v, &middleware.GuardConfig{ExternalURL: "https://api.example.com"})
	log.Fatal(http.ListenAndServe(":8080", guard.Protect(http.NotFoundHandler())))
}
