package oauthtest_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// A handler test: start an authorization server, protect the handler with a
// validator that fetches the server's keys, and call it with a minted token.
func Example() {
	as := oauthtest.NewServer(nil)
	defer as.Close()
	keys, err := jwks.NewRemote(context.Background(), as.Issuer(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer keys.Close()
	v, _ := middleware.NewValidator(middleware.Issuer{
		URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}, Keys: keys,
	}, nil)

	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := middleware.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s (%s)", claims.Subject, claims.Scopes)
	})
	guard, _ := middleware.NewGuard(v, nil)
	req := httptest.NewRequest("GET", "/hello", nil)
	req.Header.Set("Authorization", "Bearer "+as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"read"}}))
	rec := httptest.NewRecorder()
	guard.Protect(hello).ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body)
	// Output: 200 hello alice (read)
}

// Opaque tokens resolve through the introspection endpoint (RFC 7662), which
// requires client authentication.
func ExampleServer_OpaqueToken() {
	as := oauthtest.NewServer(&oauthtest.Config{
		Algorithm: "ES256",
		Clients:   []oauthtest.Client{{ID: "api", Secret: "s3cret"}},
	})
	defer as.Close()
	tok := as.OpaqueToken(oauthtest.TokenOptions{Subject: "bob", Scopes: []string{"read"}})
	fmt.Println(as.Introspect(tok)["active"], as.Introspect(tok)["username"])
	as.Revoke(tok)
	fmt.Println(as.Introspect(tok)["active"])
	// Output:
	// true bob
	// false
}

// Faults make the server misbehave, here answering the next two JWKS requests
// with 503.
func ExampleServer_SetFault() {
	as := oauthtest.NewServer(&oauthtest.Config{Algorithm: "EdDSA"})
	defer as.Close()
	as.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Status: http.StatusServiceUnavailable, Count: 2})
	for range 3 {
		resp, err := as.Client().Get(as.JWKSURL())
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Print(resp.StatusCode, " ")
	}
	fmt.Println(as.Requests(oauthtest.EndpointJWKS))
	// Output: 503 503 200 3
}

// A DPoP-bound token (RFC 9449 §6) and a proof for a request with it: the
// token's "cnf.jkt" is the key's thumbprint, and introspection answers
// token_type DPoP.
func ExampleDPoPKey() {
	as := oauthtest.NewServer(nil)
	defer as.Close()
	key := oauthtest.NewDPoPKey("ES256")
	token := as.OpaqueToken(oauthtest.TokenOptions{JKT: key.Thumbprint()})
	proof := key.NewProof("GET", "https://api.example.test/orders", token, "")

	in := as.Introspect(token)
	fmt.Println(in["token_type"], in["cnf"].(map[string]any)["jkt"] == key.Thumbprint(), len(proof) > 0)
	// Output: DPoP true true
}
