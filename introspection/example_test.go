package introspection_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"log"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// A validator that resolves opaque tokens through RFC 7662 introspection.
func Example() {
	// An authorization server for the example; in production, its real URL.
	as := oauthtest.NewServer(nil)
	defer as.Close()
	as.AddClient(oauthtest.Client{ID: "orders-api", Secret: "s3cret"})

	in, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic("orders-api", "s3cret"), nil)
	if err != nil {
		log.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{
		URL:          as.Issuer(),
		Audiences:    []string{"https://api.example.test"},
		Introspector: in,
	}, nil)
	if err != nil {
		log.Fatal(err)
	}

	token := as.OpaqueToken(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"orders:read"}})
	claims, err := v.Validate(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Subject, claims.Scopes)
	// Output: alice orders:read
}

// The introspection endpoint can be discovered from the issuer's metadata
// (RFC 8414, OpenID Connect Discovery).
func ExampleNewFromIssuer() {
	as := oauthtest.NewServer(nil)
	defer as.Close()
	as.AddClient(oauthtest.Client{ID: "orders-api", Secret: "s3cret"})

	in, err := introspection.NewFromIssuer(context.Background(), as.Issuer(), introspection.ClientSecretBasic("orders-api", "s3cret"), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(in.Endpoint() == as.IntrospectionURL())
	// Output: true
}

// Authenticating to the introspection endpoint with a signed JWT (RFC 7523)
// instead of a shared secret.
func ExamplePrivateKeyJWT() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // normally loaded, or held in a KMS
	if err != nil {
		log.Fatal(err)
	}
	as := oauthtest.NewServer(nil)
	defer as.Close()
	as.AddClient(oauthtest.Client{ID: "orders-api", AuthMethod: oauthtest.AuthPrivateKeyJWT, PublicKey: key.Public()})

	auth, err := introspection.PrivateKeyJWT("orders-api", key, &introspection.AssertionConfig{KeyID: "orders-api-1"})
	if err != nil {
		log.Fatal(err)
	}
	in, err := introspection.New(as.IntrospectionURL(), auth, nil)
	if err != nil {
		log.Fatal(err)
	}
	claims, err := in.Introspect(context.Background(), as.OpaqueToken(oauthtest.TokenOptions{Subject: "bob"}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Subject)
	// Output: bob
}

// Introspection answers as signed JWTs (RFC 9701), verified with the
// authorization server's keys; the issuer's ScopeClaim applies to them as
// to its JWTs.
func ExampleJWTResponse() {
	as := oauthtest.NewServer(nil)
	defer as.Close()
	as.AddClient(oauthtest.Client{ID: "orders-api", Secret: "s3cret"})
	keys, err := jwks.NewRemote(context.Background(), as.Issuer(), &jwks.Config{HTTPClient: as.Client()})
	if err != nil {
		log.Fatal(err)
	}
	defer keys.Close()

	in, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic("orders-api", "s3cret"), &introspection.Config{
		JWTResponse: &introspection.JWTResponse{Keys: keys, Issuer: as.Issuer(), ClientID: "orders-api"},
	})
	if err != nil {
		log.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{
		URL: as.Issuer(), Audiences: []string{"https://api.example.test"}, Introspector: in,
		ScopeClaim: "permissions", // for JWTs and introspection answers alike
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	token := as.OpaqueToken(oauthtest.TokenOptions{Subject: "alice", Claims: map[string]any{"permissions": []string{"orders:read"}}})
	claims, err := v.Validate(context.Background(), token)
	fmt.Println(claims.Subject, claims.Scopes, err)
	// Output: alice orders:read <nil>
}
