package middleware_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/oauthtest"
)

func ExampleNewRemoteKeys() {
	as := oauthtest.NewServer(nil) // stands in for the authorization server
	defer as.Close()
	ctx := context.Background()

	// The JWKS URL is discovered from the issuer; the set is fetched before
	// NewRemoteKeys returns, then kept fresh in the background.
	keys, err := middleware.NewRemoteKeys(ctx, as.Issuer(), &middleware.RemoteKeysConfig{
		MaxStaleness: 12 * time.Hour, // serve the last good set for at most 12h of outage
	})
	if err != nil {
		log.Fatal(err)
	}
	defer keys.Close()

	v, err := middleware.NewValidator(middleware.Issuer{
		URL:       as.Issuer(),
		Audiences: []string{"https://api.example.test"},
		Keys:      keys,
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	claims, err := v.Validate(ctx, as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"orders:read"}}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Subject, claims.Scopes)
	fmt.Println("keys:", keys.Status().Keys, "last error:", keys.LastError())
	// Output:
	// alice orders:read
	// keys: 1 last error: <nil>
}
