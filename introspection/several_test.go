package introspection_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// introspectingAS is an oauthtest server with an introspection client for it.
func introspectingAS(t *testing.T) (*oauthtest.Server, middleware.Introspector) {
	t.Helper()
	as := oauthtest.NewServer(&oauthtest.Config{Clients: []oauthtest.Client{{ID: "rs", Secret: "rs-secret"}}})
	t.Cleanup(as.Close)
	in, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic("rs", "rs-secret"), &introspection.Config{CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	return as, in
}

// TestSeveralIntrospectors: an opaque token names no issuer, so it goes to
// the introspecting issuers in order until one answers active — each
// attempt one request — unless it begins with an issuer's OpaquePrefix,
// which sends it there alone.
func TestSeveralIntrospectors(t *testing.T) {
	a, inA := introspectingAS(t)
	b, inB := introspectingAS(t)
	c, inC := introspectingAS(t)
	aud := []string{oauthtest.DefaultAudience}
	v, err := middleware.NewMultiIssuerValidator([]middleware.Issuer{
		{URL: a.Issuer(), Audiences: aud, Introspector: inA},
		{URL: b.Issuer(), Audiences: aud, Introspector: inB},
		{URL: c.Issuer(), Audiences: aud, Introspector: inC, OpaquePrefix: "c_"},
	}, &middleware.Config{CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	requests := func() [3]int {
		e := oauthtest.EndpointIntrospection
		return [3]int{a.Requests(e), b.Requests(e), c.Requests(e)}
	}
	for _, tc := range []struct {
		name   string
		token  string
		fault  *oauthtest.Server // answers 503 during the case
		issuer string            // "" when refused
		reason error
		cost   [3]int // introspection requests to a, b, c
	}{
		{name: "a's token: one request", token: a.OpaqueToken(oauthtest.TokenOptions{}), issuer: a.Issuer(), cost: [3]int{1, 0, 0}},
		{name: "b's token: a, then b", token: b.OpaqueToken(oauthtest.TokenOptions{}), issuer: b.Issuer(), cost: [3]int{1, 1, 0}},
		{name: "unknown token: every unprefixed issuer", token: "unknown-opaque-token", reason: middleware.ErrInactive, cost: [3]int{1, 1, 0}},
		{name: "prefixed token: c alone", token: "c_unknown", reason: middleware.ErrInactive, cost: [3]int{0, 0, 1}},
		{name: "a down, b's token", token: b.OpaqueToken(oauthtest.TokenOptions{}), fault: a, issuer: b.Issuer(), cost: [3]int{1, 1, 0}},
		{name: "a down, unknown token: undecided", token: "unknown-opaque-token-2", fault: a, reason: middleware.ErrUnavailable, cost: [3]int{1, 1, 0}},
		{name: "a's token for another audience: a decides", token: a.OpaqueToken(oauthtest.TokenOptions{Audience: []string{"other"}}), reason: middleware.ErrAudienceMismatch, cost: [3]int{1, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fault != nil {
				tc.fault.SetFault(oauthtest.EndpointIntrospection, oauthtest.Fault{Status: http.StatusServiceUnavailable})
				defer tc.fault.ClearFault(oauthtest.EndpointIntrospection)
			}
			before := requests()
			claims, err := v.Validate(ctx, tc.token)
			after := requests()
			if cost := [3]int{after[0] - before[0], after[1] - before[1], after[2] - before[2]}; cost != tc.cost {
				t.Errorf("introspection requests to a, b, c = %v, want %v", cost, tc.cost)
			}
			if tc.issuer != "" {
				if err != nil || claims.Issuer != tc.issuer {
					t.Fatalf("Validate = %+v, %v; want accepted from %s", claims, err, tc.issuer)
				}
				return
			}
			if !errors.Is(err, tc.reason) {
				t.Fatalf("Validate = %v, want %v", err, tc.reason)
			}
		})
	}
}

// TestSeveralIntrospectorsConfig: more unprefixed introspecting issuers than
// Config.MaxIntrospections, and overlapping prefixes, are refused.
func TestSeveralIntrospectorsConfig(t *testing.T) {
	_, in := introspectingAS(t)
	iss := func(url, prefix string) middleware.Issuer {
		return middleware.Issuer{URL: url, Audiences: []string{"api"}, Introspector: in, OpaquePrefix: prefix}
	}
	for _, tc := range []struct {
		name    string
		issuers []middleware.Issuer
		max     int
	}{
		{"over the bound", []middleware.Issuer{iss("https://a.test", ""), iss("https://b.test", "")}, 1},
		{"over the default bound", []middleware.Issuer{iss("https://a.test", ""), iss("https://b.test", ""), iss("https://c.test", ""), iss("https://d.test", "")}, 0},
		{"overlapping prefixes", []middleware.Issuer{iss("https://a.test", "at_"), iss("https://b.test", "at_x")}, 0},
		{"prefix without introspector", []middleware.Issuer{{URL: "https://a.test", Audiences: []string{"api"}, Keys: &jwks.Static{}, OpaquePrefix: "a_"}}, 0},
	} {
		if _, err := middleware.NewMultiIssuerValidator(tc.issuers, &middleware.Config{MaxIntrospections: tc.max}); err == nil {
			t.Errorf("%s: NewMultiIssuerValidator = nil error", tc.name)
		}
	}
}
