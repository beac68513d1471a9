package middleware_test

import (
	"context"
	"slices"
	"testing"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
)

// TestCorpusAttacks validates every token of the corpus's attack table
// (testdata/attacks.json) with the validator it is written for: each gets
// its verdict, category, reason and rule, and the rule is one of the checks
// the validator lists for that token.
func TestCorpusAttacks(t *testing.T) {
	table := guardtest.Attacks(t)
	v := table.Validator(t)
	for _, c := range table.Cases {
		t.Run(c.Name, func(t *testing.T) {
			claims, err := v.Admit(context.Background(), &middleware.Credentials{Token: c.Token}, nil)
			c.CheckErr(t, err)
			if err == nil && claims.Subject != c.Subject {
				t.Errorf("subject = %q, want %q", claims.Subject, c.Subject)
			}
			checks := v.Checks(&middleware.Credentials{Token: c.Token})
			if err != nil && !slices.Contains(checks, c.Rule) {
				t.Errorf("rule %q is not among Checks = %v", c.Rule, checks)
			}
		})
	}
}

// TestCorpusAttacksRepeated validates every token of the attack table ten
// times in a row with one uncached validator, the table in order and then
// in reverse: the memos of parsed headers and scope sets take in what a
// token repeats (one miss in eight is stored), so each token is also judged
// from them, right after tokens with other headers and scopes were; every
// judgement must be the table's.
func TestCorpusAttacksRepeated(t *testing.T) {
	table := guardtest.Attacks(t)
	v := table.UncachedValidator(t)
	reversed := slices.Clone(table.Cases)
	slices.Reverse(reversed)
	for _, c := range slices.Concat(table.Cases, reversed) {
		for i := range 10 {
			claims, err := v.Admit(context.Background(), &middleware.Credentials{Token: c.Token}, nil)
			c.CheckErr(t, err)
			if err == nil && claims.Subject != c.Subject {
				t.Errorf("%s, time %d: subject = %q, want %q", c.Name, i+1, claims.Subject, c.Subject)
			}
		}
	}
}

// TestCorpusFrontDoorCore runs the front-door decision table through the
// core's entry point, as every front door does.
func TestCorpusFrontDoorCore(t *testing.T) {
	f := guardtest.New(t)
	for _, c := range guardtest.FrontDoor(t).Cases {
		t.Run(c.Name, func(t *testing.T) {
			_, err := f.Validator.Admit(context.Background(), &middleware.Credentials{Authorization: c.Authorization}, guardtest.Requirement)
			c.CheckErr(t, err)
		})
	}
}

// TestCorpusAttacksNetHTTP sends every attack token to a net/http route
// that requires a valid token only, through a real server and client.
func TestCorpusAttacksNetHTTP(t *testing.T) {
	f := guardtest.New(t)
	srv := htServe(t, htGuard(t, f.Validator, nil).Protect(guardtest.Handler))
	for _, c := range f.Attacks(t) {
		t.Run(c.Name, func(t *testing.T) {
			resp, body := c.Do(t, srv.URL+"/any")
			c.CheckHTTP(t, resp, body)
		})
	}
}
