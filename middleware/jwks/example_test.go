package jwks_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

func ExampleNewRemote() {
	as := oauthtest.NewServer(nil) // stands in for the authorization server
	defer as.Close()
	ctx := context.Background()

	// The JWKS URL is discovered from the issuer; the set is fetched before
	// NewRemote returns, then kept fresh in the background.
	keys, err := jwks.NewRemote(ctx, as.Issuer(), &jwks.Config{
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

func ExampleParseStatic() {
	sig, _, _ := ed25519.GenerateKey(rand.Reader)
	enc, _, _ := ed25519.GenerateKey(rand.Reader)
	x := base64.RawURLEncoding.EncodeToString
	set := fmt.Sprintf(`{"keys":[
		{"kty":"OKP","crv":"Ed25519","kid":"sig-1","use":"sig","alg":"EdDSA","x":%q},
		{"kty":"OKP","crv":"Ed25519","kid":"enc-1","use":"enc","x":%q}
	]}`, x(sig), x(enc))

	// ParseSet reports the keys it skips (RFC 7517 §5); ParseStatic keeps
	// the usable ones.
	keys, skipped, _ := jwks.ParseSet([]byte(set))
	fmt.Println(len(keys), keys[0].ID(), keys[0].Algorithm(), len(skipped))
	src, err := jwks.ParseStatic([]byte(set))
	if err != nil {
		panic(err)
	}
	_, err = src.LookupKey(context.Background(), "enc-1")
	fmt.Println(errors.Is(err, jwks.ErrUnknownKey))
	// Output:
	// 1 sig-1 EdDSA 1
	// true
}

func ExampleParsePEM() {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(pub)
	data := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	keys, err := jwks.ParsePEM(data, "key-1")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %T\n", keys[0].ID(), keys[0].Public())
	src, _ := jwks.NewStatic(keys...)
	_ = src // use as middleware.Issuer.Keys
	// Output:
	// key-1 ed25519.PublicKey
}
