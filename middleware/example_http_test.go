package middleware_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// ExampleGuard protects a net/http API: a mux with three routes needing
// different scopes, behind one guard.
func ExampleGuard() {
	as := oauthtest.NewServer(nil) // stands in for your authorization server
	defer as.Close()
	ctx := context.Background()

	// One call: the issuer's keys are discovered, fetched, kept fresh in the
	// background and closed with the validator.
	v, err := middleware.NewIssuerValidator(ctx, middleware.Issuer{
		URL:       as.Issuer(),
		Audiences: []string{"https://api.example.test"},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	guard, err := middleware.NewGuard(v, nil) // realm "api", token in the Authorization header only
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("GET /orders", guard.RequireFunc(scopes.AllOf("orders:read"), func(w http.ResponseWriter, r *http.Request) {
		claims, _ := middleware.FromContext(r.Context())
		fmt.Fprintf(w, "orders of %s", claims.Subject)
	}))
	mux.Handle("POST /orders", guard.RequireFunc(scopes.AllOf("orders:write"), func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	}))
	mux.Handle("DELETE /orders/{id}", guard.RequireFunc(
		scopes.All(scopes.AllOf("orders:write"), scopes.AnyOf("admin", "orders:delete")),
		func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "deleted %s", r.PathValue("id"))
		}))

	// In production: http.ListenAndServe(":8080", guard.Protect(mux)).
	api := httptest.NewServer(guard.Protect(mux))
	defer api.Close()

	token := as.Token(oauthtest.TokenOptions{Subject: "alice", Scopes: []string{"orders:read", "orders:write"}})
	for _, call := range []struct{ method, path, token string }{
		{"GET", "/orders", token},
		{"POST", "/orders", token},
		{"DELETE", "/orders/42", token},
		{"GET", "/orders", ""},
		{"GET", "/orders", "not-a-valid-token"},
	} {
		req, _ := http.NewRequest(call.method, api.URL+call.path, nil)
		if call.token != "" {
			req.Header.Set("Authorization", "Bearer "+call.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(strings.TrimSpace(fmt.Sprint(call.method, " ", call.path, " ", resp.StatusCode, " ",
			string(body), resp.Header.Get("WWW-Authenticate"))))
	}
	// Output:
	// GET /orders 200 orders of alice
	// POST /orders 201
	// DELETE /orders/42 403 Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:write admin"
	// GET /orders 401 Bearer realm="api"
	// GET /orders 401 Bearer realm="api", error="invalid_token", error_description="malformed token"
}

// ExampleGuard_Optional serves anonymous clients and signed-in ones on the
// same route; a bad token is still refused.
func ExampleGuard_Optional() {
	as := oauthtest.NewServer(nil)
	defer as.Close()
	keys, err := jwks.ParseStatic(as.JWKS())
	if err != nil {
		log.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{URL: as.Issuer(), Audiences: []string{"https://api.example.test"}, Keys: keys}, nil)
	if err != nil {
		log.Fatal(err)
	}
	guard, err := middleware.NewGuard(v, nil)
	if err != nil {
		log.Fatal(err)
	}
	h := guard.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if claims, ok := middleware.FromContext(r.Context()); ok {
			fmt.Fprintf(w, "hello %s", claims.Subject)
			return
		}
		fmt.Fprint(w, "hello stranger")
	}))
	for _, auth := range []string{"", "Bearer " + as.Token(oauthtest.TokenOptions{Subject: "bob"}), "Bearer expired." + strings.Repeat("x", 8)} {
		r := httptest.NewRequest("GET", "/", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 hello stranger
	// 200 hello bob
	// 401
}

// ExampleAuthorize decides inside a handler, on the request body, whether a
// further scope is needed.
func ExampleAuthorize() {
	handler := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `"amount":1000000`) {
			if err := middleware.Authorize(r.Context(), scopes.AllOf("payments:large")); err != nil {
				middleware.WriteError(w, r, err)
				return
			}
		}
		fmt.Fprint(w, "paid")
	}
	claims, _ := middleware.ParseClaims([]byte(`{"sub":"alice","scope":"payments:write"}`), "")
	r := httptest.NewRequest("POST", "/pay", strings.NewReader(`{"amount":1000000}`))
	r = r.WithContext(middleware.NewContext(r.Context(), claims)) // as a Guard would
	w := httptest.NewRecorder()
	handler(w, r)
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	// Output:
	// 403 Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="payments:large"
}

// ExampleParseAuthorization shows what adapters (gRPC metadata, other
// routers) get from the Authorization values.
func ExampleParseAuthorization() {
	for _, values := range [][]string{
		{"Bearer mF_9.B5f-4.1JqM"},
		{"Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
		{"Bearer two tokens"},
		{"Bearer a", "Bearer b"},
	} {
		token, err := middleware.ParseAuthorization(values)
		fmt.Printf("%q %d %v\n", token, middleware.Status(err), err)
	}
	// Output:
	// "mF_9.B5f-4.1JqM" 200 <nil>
	// "" 200 <nil>
	// "" 400 middleware: invalid_request: malformed authorization header
	// "" 400 middleware: invalid_request: more than one access token in request
}

// ExampleChallenge renders errors as RFC 6750 challenges, for adapters that
// write their own responses.
func ExampleChallenge() {
	for _, err := range []error{
		middleware.InvalidToken(middleware.ErrExpired, nil),
		middleware.InsufficientScope("orders:write"),
		middleware.Unavailable(middleware.ErrKeysUnavailable, nil),
	} {
		fmt.Println(middleware.Status(err), middleware.Challenge(err, "orders"))
	}
	// Output:
	// 401 Bearer realm="orders", error="invalid_token", error_description="token expired"
	// 403 Bearer realm="orders", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:write"
	// 503
}

// ExampleProblemDetails renders error bodies as RFC 9457 problem details.
func ExampleProblemDetails() {
	guard, err := middleware.NewGuard(newExampleValidator(), &middleware.GuardConfig{
		ErrorHandler: middleware.ProblemDetails,
	})
	if err != nil {
		log.Fatal(err)
	}
	w := httptest.NewRecorder()
	guard.Protect(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Print(w.Body.String())
	// Output:
	// 401 application/problem+json
	// {"type":"about:blank","title":"Unauthorized","status":401,"detail":"no access token"}
}

func newExampleValidator() *middleware.Validator {
	as := oauthtest.NewServer(nil)
	defer as.Close()
	keys, err := jwks.ParseStatic(as.JWKS())
	if err != nil {
		log.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{URL: as.Issuer(), Audiences: []string{"https://api.example.test"}, Keys: keys}, nil)
	if err != nil {
		log.Fatal(err)
	}
	return v
}
