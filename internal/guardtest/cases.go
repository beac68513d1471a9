package guardtest

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/middleware"
)

// Case is one case of the conformance table (see [Table]): a token, or a
// request to a protected route or method, and the answer every front door
// must give.
type Case struct {
	// Name identifies the case, for t.Run.
	Name string
	// Token is the token of an attack-table case ("" in the front-door table).
	Token string
	// Authorization holds the values of the Authorization header (gRPC: of
	// the "authorization" metadata), in order; none when empty.
	Authorization []string
	// Proofs, when set, returns the values of the DPoP header (RFC 9449
	// §4.1) of an HTTP GET of url; each call makes fresh proofs. gRPC front
	// doors send Authorization only: the table's gRPC answers are those.
	Proofs func(url string) []string
	// Header holds other request headers (HTTP only), such as Client-Cert.
	Header http.Header

	// Verdict is "accept", "refuse" or "undecided" (the authorization
	// server could not be reached); "" in the sender-constraint cases.
	Verdict string
	// Kind is the category of the refusal (middleware.ErrInvalidToken …), or
	// nil when the request is let through.
	Kind error
	// Reason is the reason sentinel of the refusal (nil when let through).
	Reason error
	// Code is the RFC 6750 error code of the refusal ("" for none).
	Code string
	// Rule is the check that refused ([middleware.Error.Rule]); "" in the
	// sender-constraint cases, which do not state it.
	Rule middleware.Rule
	// Status is the HTTP status of the answer.
	Status int
	// Challenge is the WWW-Authenticate header of the answer, with the
	// default realm (RFC 6750 §3), its values joined by "\n": a Bearer and a
	// DPoP challenge (RFC 9449 §7.1), the table's issuer accepting both;
	// "" for none.
	Challenge string
	// Nonce is the DPoP-Nonce header of the answer (RFC 9449 §9); "" for
	// none.
	Nonce string
	// RetryAfter is the Retry-After header of the answer; "" for none.
	RetryAfter string
	// GRPCCode is the gRPC status code of the answer (see [CodeOK] …).
	GRPCCode uint32
	// GRPCDescription, when set, replaces Description for gRPC: what a call
	// with the Authorization values only is answered.
	GRPCDescription string
	// Description is what the gRPC status message of a refusal must contain:
	// the reason, as in the challenge's error_description.
	Description string
	// Subject is the "sub" of an accepted token ("" for [Subject]).
	Subject string
	// Scopes are the scopes of an accepted token, space-separated, as the
	// handler finds them ("" for the table's: [Scope] and "profile").
	Scopes string
}

// GrantedScopes returns the scopes the handler of an accepted case finds in
// the claims, space-separated.
func (c *Case) GrantedScopes() string {
	if c.Scopes != "" {
		return c.Scopes
	}
	return Scope + " profile"
}

// Cases returns the front-door decision table: the corpus's bearer cases
// (testdata/frontdoor.json: valid, expired, not yet valid, wrong audience,
// bad signature, untrusted issuer, wrong typ, alg none, unknown key, JWE,
// missing scope, no token, another scheme, malformed header, two tokens,
// key source unavailable …), then sender-constrained tokens, whose DPoP
// proofs must be fresh and so are minted here: each check of a DPoP proof
// (RFC 9449 §4.3), each nonce path (§9), each downgrade (§7), and
// certificate-bound tokens without a certificate or with a Client-Cert
// header from an untrusted peer (RFC 8705, RFC 9440); then the
// authorization cases: roles, step-up (RFC 9470), delegation (RFC 8693),
// authorization details (RFC 9396), an issuer's claim check, the RFC 9068
// strict profile and a padded scope string.
func (f *Fixture) Cases() []Case {
	out := append([]Case(nil), f.table.Cases...)
	out = append(out, f.dpopCases()...)
	out = append(out, f.certificateCases()...)
	out = append(out, f.authzCases()...)
	for i := range out {
		if out[i].Status == http.StatusServiceUnavailable {
			out[i].RetryAfter = "10" // middleware.DefaultRetryAfter
		}
	}
	return out
}

// Attacks returns the attack table of the corpus (testdata/attacks.json) as
// requests, each token in an Authorization header, for a route or method of
// the fixture's validator that requires no scope: the table's issuer,
// audience, keys and clock are the front-door table's, as Attacks checks.
func (f *Fixture) Attacks(tb testing.TB) []Case {
	tb.Helper()
	a := Attacks(tb)
	if !a.Now.Equal(f.table.Now) || a.Issuer != f.table.Issuer || string(a.JWKS) != string(f.table.JWKS) ||
		strings.Join(a.Audiences, " ") != strings.Join(f.table.Audiences, " ") {
		tb.Fatal("guardtest: attacks.json and frontdoor.json are written for different validators")
	}
	cases := make([]Case, len(a.Cases))
	for i, c := range a.Cases {
		c.Authorization = []string{"Bearer " + c.Token}
		cases[i] = c
	}
	return cases
}

// The challenges of the table's guard, which accepts both schemes (RFC 9449
// §7.1), before any error attribute.
const (
	bearerPrefix = `Bearer realm="api"`
	dpopPrefix   = `DPoP realm="api", algs="ES256 ES384 ES512 EdDSA PS256 PS384 PS512 RS256 RS384 RS512"`
)

// onBearer is the answer with the error on the Bearer challenge.
func onBearer(code, desc string) string {
	return bearerPrefix + `, error="` + code + `", error_description="` + desc + `"` + "\n" + dpopPrefix
}

// onDPoP is the answer with the error on the DPoP challenge.
func onDPoP(code, desc string) string {
	return bearerPrefix + "\n" + dpopPrefix + `, error="` + code + `", error_description="` + desc + `"`
}

// tamper changes one character in the middle of a compact JWS's signature,
// keeping it valid base64url.
func tamper(token string) string {
	i := len(token) - 10
	repl := byte('A')
	if token[i] == 'A' {
		repl = 'B'
	}
	return token[:i] + string(repl) + token[i+1:]
}

// Request returns a GET request for url carrying the case's Authorization
// values, DPoP proofs for url and other headers.
func (c *Case) Request(tb testing.TB, url string) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for _, v := range c.Authorization {
		req.Header.Add("Authorization", v)
	}
	if c.Proofs != nil {
		for _, p := range c.Proofs(url) {
			req.Header.Add("DPoP", p)
		}
	}
	for k, vs := range c.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	return req
}

// Do sends the case's request to url with a real client and returns the
// response and its body.
func (c *Case) Do(tb testing.TB, url string) (*http.Response, string) {
	tb.Helper()
	resp, err := http.DefaultClient.Do(c.Request(tb, url))
	if err != nil {
		tb.Fatalf("%s: GET %s: %v", c.Name, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s: reading body: %v", c.Name, err)
	}
	return resp, string(body)
}

// Tokens returns the access tokens of the case's Authorization values.
func (c *Case) Tokens() []string {
	var toks []string
	for _, v := range c.Authorization {
		for _, scheme := range []string{"Bearer ", "DPoP "} {
			if len(v) > len(scheme) && strings.EqualFold(v[:len(scheme)], scheme) {
				toks = append(toks, strings.Fields(v[len(scheme):])...)
			}
		}
	}
	return toks
}

// CheckErr checks an error from the core (Validate, Authenticate, Admit) or
// from a front door that kept the core's error: it must match the case's
// Kind and Reason with [errors.Is] and name its Rule (when the case states
// one), or be nil when the case is let through.
func (c *Case) CheckErr(tb testing.TB, err error) {
	tb.Helper()
	var rule middleware.Rule
	if e := (*middleware.Error)(nil); errors.As(err, &e) {
		rule = e.Rule
	}
	switch {
	case c.Kind == nil && err != nil:
		tb.Errorf("%s: error = %v, want nil", c.Name, err)
	case c.Kind != nil && (!errors.Is(err, c.Kind) || !errors.Is(err, c.Reason)):
		tb.Errorf("%s: error = %v, want one matching %v and %v", c.Name, err, c.Kind, c.Reason)
	case c.Kind != nil && c.Rule != "" && rule != c.Rule:
		tb.Errorf("%s: error = %v (rule %q), want rule %q", c.Name, err, rule, c.Rule)
	}
}
