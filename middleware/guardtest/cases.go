package guardtest

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/oauthtest"
)

// Case is one request to a protected route or method, and the answer every
// front door must give.
type Case struct {
	// Name identifies the case, for t.Run.
	Name string
	// Authorization holds the values of the Authorization header (gRPC: of
	// the "authorization" metadata), in order; none when empty.
	Authorization []string
	// Proofs, when set, returns the values of the DPoP header (RFC 9449
	// §4.1) of an HTTP GET of url; each call makes fresh proofs. gRPC front
	// doors send Authorization only: the table's gRPC answers are those.
	Proofs func(url string) []string
	// Header holds other request headers (HTTP only), such as Client-Cert.
	Header http.Header

	// Kind is the category of the refusal (middleware.ErrInvalidToken …), or
	// nil when the request is let through.
	Kind error
	// Reason is the reason sentinel of the refusal (nil when let through).
	Reason error
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
}

// Cases returns the table: valid, expired, wrong audience, bad signature,
// untrusted issuer, missing scope, no token, another scheme, malformed
// header, two tokens, key source unavailable; then sender-constrained
// tokens: each check of a DPoP proof (RFC 9449 §4.3), each nonce path (§9),
// each downgrade (§7), and certificate-bound tokens without a certificate or
// with a Client-Cert header from an untrusted peer (RFC 8705, RFC 9440).
// Tokens and proofs are minted afresh.
func (f *Fixture) Cases() []Case {
	s := f.Server
	valid := f.Token(Scope, "profile")
	mint := func(o oauthtest.TokenOptions) []string {
		o.Subject = Subject
		if o.Scopes == nil {
			o.Scopes = []string{Scope}
		}
		return []string{"Bearer " + s.Token(o)}
	}
	refused := func(kind, reason error, status int, challenge string, code uint32, desc string) Case {
		return Case{Kind: kind, Reason: reason, Status: status, Challenge: challenge, GRPCCode: code, Description: desc}
	}
	invalid := func(desc string) string { return onBearer("invalid_token", desc) }
	request := func(desc string) string { return onBearer("invalid_request", desc) }
	cases := []struct {
		name string
		auth []string
		want Case
	}{
		{"valid", []string{"Bearer " + valid}, Case{Status: http.StatusOK, GRPCCode: CodeOK}},
		{"valid_scheme_case", []string{"bEARER " + valid}, Case{Status: http.StatusOK, GRPCCode: CodeOK}},
		{"expired", mint(oauthtest.TokenOptions{Lifetime: -time.Hour}),
			refused(middleware.ErrInvalidToken, middleware.ErrExpired, 401, invalid("token expired"), CodeUnauthenticated, "token expired")},
		{"wrong_audience", mint(oauthtest.TokenOptions{Audience: []string{"https://other.example.test"}}),
			refused(middleware.ErrInvalidToken, middleware.ErrAudienceMismatch, 401, invalid("audience not accepted"), CodeUnauthenticated, "audience not accepted")},
		{"bad_signature", []string{"Bearer " + tamper(valid)},
			refused(middleware.ErrInvalidToken, middleware.ErrBadSignature, 401, invalid("signature verification failed"), CodeUnauthenticated, "signature verification failed")},
		{"untrusted_issuer", mint(oauthtest.TokenOptions{Claims: map[string]any{"iss": "https://evil.example.test"}}),
			refused(middleware.ErrInvalidToken, middleware.ErrIssuerMismatch, 401, invalid("untrusted issuer"), CodeUnauthenticated, "untrusted issuer")},
		{"missing_scope", mint(oauthtest.TokenOptions{Scopes: []string{"profile"}}),
			refused(middleware.ErrInsufficientScope, middleware.ErrInsufficientScope, 403,
				bearerPrefix+`, error="insufficient_scope", error_description="the token lacks a required scope", scope="`+Scope+`"`+"\n"+dpopPrefix,
				CodePermissionDenied, "the token lacks a required scope")},
		{"no_token", nil,
			refused(middleware.ErrMissingToken, middleware.ErrMissingToken, 401, bearerPrefix+"\n"+dpopPrefix, CodeUnauthenticated, "no access token")},
		{"other_scheme", []string{"Basic YWxpY2U6c2VjcmV0"},
			refused(middleware.ErrMissingToken, middleware.ErrMissingToken, 401, bearerPrefix+"\n"+dpopPrefix, CodeUnauthenticated, "no access token")},
		{"malformed_header", []string{"Bearer " + valid + " " + valid},
			refused(middleware.ErrInvalidRequest, middleware.ErrMalformedHeader, 400, request("malformed authorization header"), CodeInvalidArgument, "malformed authorization header")},
		{"two_tokens", []string{"Bearer " + valid, "Bearer " + valid},
			refused(middleware.ErrInvalidRequest, middleware.ErrMultipleTokens, 400, request("more than one access token in request"), CodeInvalidArgument, "more than one access token in request")},
		{"keys_unavailable", []string{"Bearer " + f.down.Token(oauthtest.TokenOptions{Subject: Subject, Scopes: []string{Scope}})},
			refused(middleware.ErrUnavailable, middleware.ErrKeysUnavailable, 503, "", CodeUnavailable, "signing keys unavailable")},
	}
	out := make([]Case, len(cases))
	for i, c := range cases {
		out[i] = c.want
		out[i].Name, out[i].Authorization = c.name, c.auth
	}
	out = append(out, f.dpopCases()...)
	out = append(out, f.certificateCases()...)
	for i := range out {
		if out[i].Status == http.StatusServiceUnavailable {
			out[i].RetryAfter = "10" // middleware.DefaultRetryAfter
		}
	}
	return out
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

// CheckErr checks an error from the core (Validate, Authenticate, Check) or
// from a front door that kept the core's error: it must match the case's
// Kind and Reason with [errors.Is], or be nil when the case is let through.
func (c *Case) CheckErr(tb testing.TB, err error) {
	tb.Helper()
	switch {
	case c.Kind == nil && err != nil:
		tb.Errorf("%s: error = %v, want nil", c.Name, err)
	case c.Kind != nil && (!errors.Is(err, c.Kind) || !errors.Is(err, c.Reason)):
		tb.Errorf("%s: error = %v, want one matching %v and %v", c.Name, err, c.Kind, c.Reason)
	}
}
