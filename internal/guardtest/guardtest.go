// Package guardtest is test support: one table of requests that every front
// door of rsguard — the net/http [middleware.Guard] and the Echo, Gin and
// gRPC adapters under adapters/ — must answer alike, with the authorization
// server and validator the table is written for.
//
// The bearer cases are data: the front-door decision table and the attack
// table of the conformance corpus in the repository's top-level testdata/
// (JSON, see its README.md), which this package reads ([FrontDoor],
// [Attacks]); the sender-constraint cases, whose DPoP proofs must be fresh,
// are minted here. Each front door's test starts a real server whose
// protected route (or method) requires [Requirement] and whose handler
// answers the subject of the claims it finds, sends every [Case] of
// [Fixture.Cases] (and [Fixture.Attacks], to a route without a requirement)
// to it, and checks the answer with [Case.CheckHTTP] or [Case.CheckGRPC].
// The expectations are written out — statuses, RFC 6750 challenges, gRPC
// codes — not computed at test time, so a front door that disagrees fails.
// The HTTP framework adapters share their whole suite ([RunHTTPSuite]),
// giving only what names their framework ([App]); their benchmarks share
// the net/http baseline and the loop ([RunBench]).
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

	"github.com/rsguard/rsguard/internal/keytest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
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

// Requirement is the requirement of the protected route or method the
// cases are sent to: [Scope], or one of the authorization alternatives of
// the authz cases — [ScopeApprove] with role [RoleApprover], [ScopePay]
// with acr [ACRGold] and [MaxAge], [ScopeDelegate] with actor [Actor] and an
// "order" authorization detail — so that every front door shows it takes
// requirements beyond scopes. For a token without those scopes it answers
// as scopes.AllOf(Scope).
var Requirement scopes.Requirement = routeRequirement{scopes.AllOf(Scope)}

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

// Fixture is the validator that the front-door table (testdata/frontdoor.json)
// is written for — its issuer with its key set, and its unavailable issuer,
// whose key set endpoint answers 503 — at the table's pinned clock, plus a
// live authorization server that it also trusts, whose tokens may be
// DPoP-bound ([middleware.DPoPAllowed], with server nonces) or
// certificate-bound, for the sender-constraint cases and for tests that mint
// their own tokens.
type Fixture struct {
	// Server is a trusted authorization server on the pinned clock; the
	// validator fetches its JWK Set over HTTP ([jwks.NewRemote]).
	Server *oauthtest.Server
	// Validator trusts the table's issuers and Server, for [Audience].
	Validator *middleware.Validator
	// Now is the fixed clock of Server and of the validator: the table's.
	Now time.Time
	// Nonce is the validator's DPoP server-nonce key (RFC 9449 §9): every
	// DPoP proof of the table carries its nonce unless the case says not.
	Nonce *middleware.NonceKey

	table  *Table
	client *proofKey // the DPoP key the table's bound tokens name
	other  *proofKey // a DPoP key no token names
}

// nonceStep is the life of the fixture's DPoP nonces.
const nonceStep = time.Minute

// New reads the front-door table, starts the fixture's servers (ES256), and
// closes them and the key sources when tb ends.
func New(tb testing.TB) *Fixture {
	tb.Helper()
	table := FrontDoor(tb)
	f := &Fixture{Now: table.Now, table: table}
	f.Server = oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256", Now: table.clock})
	tb.Cleanup(f.Server.Close)
	down := oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256", Now: table.clock, Path: "/down"})
	tb.Cleanup(down.Close)
	down.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Status: http.StatusServiceUnavailable})

	nonce, err := middleware.NewNonceKey(keytest.Random(32), nonceStep)
	if err != nil {
		tb.Fatalf("guardtest: NewNonceKey: %v", err)
	}
	f.Nonce, f.client, f.other = nonce, newProofKey(), newProofKey()
	v, err := middleware.NewMultiIssuerValidator([]middleware.Issuer{
		table.issuer(tb),
		{URL: table.UnavailableIssuer, Audiences: table.Audiences, Keys: remoteKeys(tb, table.UnavailableIssuer, down, true)},
		f.liveIssuer(tb),
	}, &middleware.Config{Now: table.clock, DPoP: middleware.DPoPConfig{Nonce: nonce}})
	if err != nil {
		tb.Fatalf("guardtest: NewMultiIssuerValidator: %v", err)
	}
	f.Validator = v
	return f
}

// liveIssuer is the validator's issuer for Server: DPoP-bound tokens
// allowed, with the claim settings of the authz cases.
func (f *Fixture) liveIssuer(tb testing.TB) middleware.Issuer {
	is := middleware.Issuer{URL: f.Server.Issuer(), Audiences: []string{Audience},
		Keys: remoteKeys(tb, f.Server.Issuer(), f.Server, false), DPoP: middleware.DPoPAllowed}
	liveIssuerClaims(&is)
	return is
}

// remoteKeys returns a key source for issuer whose JWK Set s serves, closed
// when tb ends; lazy ones fetch on first use.
func remoteKeys(tb testing.TB, issuer string, s *oauthtest.Server, lazy bool) *jwks.Remote {
	tb.Helper()
	rk, err := jwks.NewRemote(context.Background(), issuer, &jwks.Config{
		URL: s.JWKSURL(), HTTPClient: s.Client(), Lazy: lazy,
	})
	if err != nil {
		tb.Fatalf("guardtest: jwks.NewRemote(%s): %v", issuer, err)
	}
	tb.Cleanup(func() { rk.Close() })
	return rk
}

// Token mints a valid token of the live server for [Subject] with the given
// scopes.
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
