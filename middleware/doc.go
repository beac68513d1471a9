// Package middleware is rsguard's core: it protects an API as an OAuth 2.0
// resource server, validating JWT access tokens (RFC 9068) against the
// issuer's JWK Set, or opaque ones through introspection (RFC 7662), checking
// scopes, and answering refusals as RFC 6750 prescribes. Its package name is
// middleware; beside Echo's or chi's own middleware package, import it under
// an alias (rsmw "github.com/rsguard/rsguard/middleware").
//
// The happy path, for net/http:
//
//	v, err := middleware.NewIssuerValidator(ctx, middleware.Issuer{
//		URL:       "https://auth.example.com/",       // discovered, keys fetched and refreshed
//		Audiences: []string{"https://api.example.com"},
//	}, nil)
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer v.Close()
//	g, err := middleware.NewGuard(v, &middleware.GuardConfig{PublicPaths: []string{"GET /healthz"}})
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux := http.NewServeMux()
//	mux.HandleFunc("GET /orders", listOrders)                                    // any valid token
//	mux.Handle("POST /orders", g.RequireFunc(scopes.AllOf("orders:write"), createOrder)) // 403 without the scope
//	log.Fatal(http.ListenAndServe(":8080", g.Protect(mux)))                      // 401 without a token
//
// A handler finds the claims with [FromContext].
//
// Where things are:
//   - The one entry point of every front door (net/http, Echo, Gin, gRPC, the
//     CLI) is [Validator.Authenticate] / [Validator.Admit], over
//     [Credentials] (credentials.go); the checks, their names ([Rule]) and
//     their order ([Validator.Checks]) are in rules.go and validator.go
//     ("typ" is checked in validator.go, typeAllowed).
//   - Keys are package middleware/jwks: [jwks.Key], the [jwks.Source] an
//     [Issuer] verifies with, static sets and JWK/PEM parsing; the remote JWK
//     Set, refreshed in the background, is [jwks.Remote] (remote.go, its
//     refresh loop in refresh.go). The issuer metadata discovery that finds
//     its "jwks_uri" is internal/discovery; the strict JSON scanner of
//     headers, claims and key sets is internal/jsonscan. How the validator
//     answers a key source's error (401 for an unknown key, 503 when the
//     keys cannot be obtained) is sourceError in issuer_rules.go.
//   - The HTTP edge: [Guard] (guard.go), where the token is found in the
//     request (request_token.go, [TokenSource] in tokensource.go), and how a
//     refusal is written — 401, 403, 400, 503 with their challenges
//     (error_response.go, challenge.go).
//   - Errors: categories and reasons in errors.go; every refusal is an
//     [*Error] naming its [Rule].
//   - Sender-constrained tokens: DPoP (dpop*.go) and certificate binding
//     (binding.go, proxy.go).
//
// The conformance corpus in the repository's testdata/ states, as data, what
// is accepted and refused.
package middleware
