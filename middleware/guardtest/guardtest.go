// Package guardtest is test support: one table of requests that every front
// door of rsguard — the net/http [middleware.Guard] and the Echo, Gin and
// gRPC adapters under adapters/ — must answer alike, with the authorization
// server and validator the table is written for.
//
// Each front door's test starts a real server whose protected route (or
// method) requires [Requirement] and whose handler answers the subject of the
// claims it finds, sends every [Case] of [Fixture.Cases] to it, and checks the
// answer with [Case.CheckHTTP] or [Case.CheckGRPC]. The expectations are
// written out in the table — statuses, RFC 6750 challenges, gRPC codes — not
// computed by the core, so a front door that disagrees with the others fails.
//
// It is for tests only: it starts in-process authorization servers
// ([oauthtest.Server]) and reports failures through [testing.TB].
package guardtest

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// Names of the table's protected resource and of its authenticated user.
const (
	// Scope is the scope the protected route or method requires.
	Scope = "orders:read"
	// Subject is the "sub" of the table's valid tokens; a handler that finds
	// their claims answers it (HTTP: as the whole body).
	Subject = "alice"
	// Audience is the audience the fixture's validator accepts.
	Audience = oauthtest.DefaultAudience
)

// Requirement is the scope requirement of the protected route or method the
// cases are sent to: [Scope].
var Requirement = scopes.AllOf(Scope)

// gRPC status codes, numbered as the gRPC protocol numbers them
// (google.golang.org/grpc/codes), so that this package and the root module do
// not depend on gRPC.
const (
	CodeOK               uint32 = 0
	CodeInvalidArgument  uint32 = 3
	CodePermissionDenied uint32 = 7
	CodeUnavailable      uint32 = 14
	CodeUnauthenticated  uint32 = 16
)

// Fixture is a trusted authorization server, a second trusted issuer whose
// key set cannot be fetched, and a validator that trusts both. The trusted
// server's tokens may be DPoP-bound ([middleware.DPoPAllowed], with server
// nonces) or certificate-bound.
type Fixture struct {
	// Server is the trusted authorization server; the validator fetches its
	// JWK Set over HTTP ([middleware.NewRemoteKeys]).
	Server *oauthtest.Server
	// Validator trusts Server and the unreachable issuer, for [Audience].
	Validator *middleware.Validator
	// Now is the fixed clock of the servers and of the validator.
	Now time.Time
	// Nonce is the validator's DPoP server-nonce key (RFC 9449 §9): every
	// DPoP proof of the table carries its nonce unless the case says not.
	Nonce *middleware.NonceKey

	down   *oauthtest.Server // its JWK Set endpoint answers 503
	client *proofKey         // the DPoP key the table's bound tokens name
	other  *proofKey         // a DPoP key no token names
}

// nonceStep is the life of the fixture's DPoP nonces.
const nonceStep = time.Minute

// New starts the fixture's servers, ES256 both, and closes them and the key
// sources when tb ends.
func New(tb testing.TB) *Fixture {
	tb.Helper()
	now := time.Now().Truncate(time.Second)
	clock := func() time.Time { return now }
	f := &Fixture{Now: now}
	f.Server = oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256", Now: clock})
	tb.Cleanup(f.Server.Close)
	f.down = oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256", Now: clock, Path: "/down"})
	tb.Cleanup(f.down.Close)
	f.down.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Status: http.StatusServiceUnavailable})

	keys := remoteKeys(tb, f.Server, false)
	downKeys := remoteKeys(tb, f.down, true)
	nonce, err := middleware.NewNonceKey(randomBytes(32), nonceStep)
	if err != nil {
		tb.Fatalf("guardtest: NewNonceKey: %v", err)
	}
	f.Nonce, f.client, f.other = nonce, newProofKey(), newProofKey()
	v, err := middleware.NewMultiIssuerValidator([]middleware.Issuer{
		{URL: f.Server.Issuer(), Audiences: []string{Audience}, Keys: keys, DPoP: middleware.DPoPAllowed},
		{URL: f.down.Issuer(), Audiences: []string{Audience}, Keys: downKeys},
	}, &middleware.Config{Now: clock, DPoP: middleware.DPoPConfig{Nonce: nonce}})
	if err != nil {
		tb.Fatalf("guardtest: NewMultiIssuerValidator: %v", err)
	}
	f.Validator = v
	return f
}

// remoteKeys returns a key source for s's JWK Set, closed when tb ends; lazy
// ones fetch on first use.
func remoteKeys(tb testing.TB, s *oauthtest.Server, lazy bool) *middleware.RemoteKeys {
	tb.Helper()
	rk, err := middleware.NewRemoteKeys(context.Background(), s.Issuer(), &middleware.RemoteKeysConfig{
		JWKSURL: s.JWKSURL(), HTTPClient: s.Client(), Lazy: lazy,
	})
	if err != nil {
		tb.Fatalf("guardtest: NewRemoteKeys(%s): %v", s.Issuer(), err)
	}
	tb.Cleanup(func() { rk.Close() })
	return rk
}

// Token mints a valid token of the trusted server for [Subject] with the
// given scopes.
func (f *Fixture) Token(scope ...string) string {
	return f.Server.Token(oauthtest.TokenOptions{Subject: Subject, Scopes: scope})
}

// Handler is the protected handler of the net/http front door: it answers
// the subject of the claims in the request context ([middleware.FromContext]),
// or 500 when there are none.
var Handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := middleware.FromContext(r.Context())
	if !ok {
		http.Error(w, "no claims", http.StatusInternalServerError)
		return
	}
	io.WriteString(w, c.Subject)
})
