package guardtest

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/middleware"
)

// Case is one case of the conformance corpus (see [Table]): a token, or a
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

	// Verdict is "accept", "refuse" or "undecided" (the authorization
	// server could not be reached).
	Verdict string
	// Kind is the category of the refusal (middleware.ErrInvalidToken …), or
	// nil when the request is let through.
	Kind error
	// Reason is the reason sentinel of the refusal (nil when let through).
	Reason error
	// Code is the RFC 6750 error code of the refusal ("" for none).
	Code string
	// Rule is the check that refused ([middleware.Error.Rule]).
	Rule middleware.Rule
	// Status is the HTTP status of the answer.
	Status int
	// Challenge is the WWW-Authenticate header of the answer, with the
	// default realm (RFC 6750 §3); "" for none.
	Challenge string
	// RetryAfter is the Retry-After header of the answer; "" for none.
	RetryAfter string
	// GRPCCode is the gRPC status code of the answer (see [CodeOK] …).
	GRPCCode uint32
	// Description is what the gRPC status message of a refusal must contain:
	// the reason, as in the challenge's error_description.
	Description string
	// Subject is the "sub" of an accepted token.
	Subject string
}

// Cases returns the front-door decision table of the corpus
// (testdata/frontdoor.json), for the fixture's validator.
func (f *Fixture) Cases() []Case { return f.table.Cases }

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

// Request returns a GET request for url carrying the case's Authorization
// values.
func (c *Case) Request(tb testing.TB, url string) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for _, v := range c.Authorization {
		req.Header.Add("Authorization", v)
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

// Tokens returns the bearer tokens of the case's Authorization values.
func (c *Case) Tokens() []string {
	var toks []string
	for _, v := range c.Authorization {
		if len(v) > len("Bearer ") && strings.EqualFold(v[:len("Bearer ")], "Bearer ") {
			toks = append(toks, strings.Fields(v[len("Bearer "):])...)
		}
	}
	return toks
}

// CheckErr checks an error from the core (Validate, Authenticate, Admit) or
// from a front door that kept the core's error: it must match the case's
// Kind and Reason with [errors.Is] and name its Rule, or be nil when the
// case is let through.
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
	case c.Kind != nil && rule != c.Rule:
		tb.Errorf("%s: error = %v (rule %q), want rule %q", c.Name, err, rule, c.Rule)
	}
}
