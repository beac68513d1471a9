package middleware_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// A guard that publishes protected resource metadata (RFC 9728) and points
// to it from its challenges.
func ExampleGuard_MetadataHandler() {
	keys, err := jwks.NewStatic() // your key source, e.g. jwks.NewRemote
	if err != nil {
		log.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{
		URL: "https://auth.example.com", Audiences: []string{"https://api.example.com/orders"}, Keys: keys,
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	guard, err := middleware.NewGuard(v, &middleware.GuardConfig{Metadata: &middleware.ResourceMetadata{
		Resource: "https://api.example.com/orders", ScopesSupported: []string{"orders:read"},
	}})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(guard.MetadataPath(), guard.MetadataHandler())
	mux.Handle("/orders", guard.Protect(http.NotFoundHandler()))

	for _, path := range []string{"/orders", guard.MetadataPath()} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		body, _ := io.ReadAll(rec.Body)
		fmt.Printf("GET %s: %d\n", path, rec.Code)
		if c := rec.Header().Get("WWW-Authenticate"); c != "" {
			fmt.Println(c)
		}
		fmt.Printf("%s", body)
	}
	// Output:
	// GET /orders: 401
	// Bearer realm="api", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/orders"
	// GET /.well-known/oauth-protected-resource/orders: 200
	// {
	//   "resource": "https://api.example.com/orders",
	//   "authorization_servers": [
	//     "https://auth.example.com"
	//   ],
	//   "scopes_supported": [
	//     "orders:read"
	//   ],
	//   "bearer_methods_supported": [
	//     "header"
	//   ]
	// }
}
