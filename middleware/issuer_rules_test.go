package middleware

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// TestAudienceClaim: an issuer's AudienceClaim is read as "aud" is — a
// string or an array of strings, one of them accepted — and replaces it.
func TestAudienceClaim(t *testing.T) {
	k := keyFor(t, "ES256")
	validator := func(claim string) *Validator {
		return newTestValidator(t, []*testKey{k}, func(is *Issuer) {
			is.AudienceClaim = claim
			is.Audiences = []string{"app-1", "app-2"}
		}, nil)
	}
	byClientID, byAPI := validator("client_id"), validator("api")
	for _, tc := range []struct {
		name   string
		v      *Validator
		claims map[string]any
		reason error // nil: accepted
	}{
		{"client_id", byClientID, map[string]any{"client_id": "app-2", "aud": nil}, nil},
		{"aud is not read", byClientID, map[string]any{"client_id": "other", "aud": "app-1"}, ErrAudienceMismatch},
		{"missing", byClientID, map[string]any{"client_id": nil, "aud": "app-1"}, ErrMissingClaim},
		{"case differs", byClientID, map[string]any{"client_id": "APP-1"}, ErrAudienceMismatch},
		{"string", byAPI, map[string]any{"api": "app-1", "aud": nil}, nil},
		{"array", byAPI, map[string]any{"api": []string{"x", "app-1"}, "aud": nil}, nil},
		{"number", byAPI, map[string]any{"api": 7}, ErrMalformed},
		{"array with a number", byAPI, map[string]any{"api": []any{"app-1", 7}}, ErrMalformed},
		{"empty array", byAPI, map[string]any{"api": []string{}}, ErrAudienceMismatch},
		{"absent", byAPI, map[string]any{"api": nil}, ErrMissingClaim},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := k.mint(nil, tc.claims)
			_, err := tc.v.Validate(context.Background(), tok)
			if tc.reason == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want accepted", err)
				}
				return
			}
			if !errors.Is(err, tc.reason) || AsError(err).Rule != RuleAud {
				t.Fatalf("Validate = %v (rule %q), want %v at rule aud", err, AsError(err).Rule, tc.reason)
			}
		})
	}
}

// TestValidatorsOnCachedTokens: an issuer's Validators run on every request,
// a cached token's too; a plain error is a generic 401, an *Error is
// answered as is.
func TestValidatorsOnCachedTokens(t *testing.T) {
	k := keyFor(t, "ES256")
	var calls atomic.Int32
	var refuse atomic.Pointer[error]
	v := newTestValidator(t, []*testKey{k}, func(is *Issuer) {
		is.Validators = []func(context.Context, *Claims) error{func(_ context.Context, c *Claims) error {
			calls.Add(1)
			if e := refuse.Load(); e != nil {
				return *e
			}
			return nil
		}}
	}, nil)
	tok := k.token()
	for i := range 2 {
		if _, err := v.Validate(context.Background(), tok); err != nil {
			t.Fatalf("Validate #%d = %v", i, err)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("Validators ran %d times for two requests (one cached), want 2", n)
	}
	suspended := errors.New("tenant suspended")
	refuse.Store(&suspended)
	_, err := v.Validate(context.Background(), tok)
	if e := AsError(err); !errors.Is(err, ErrClaimRejected) || e.Rule != RuleValidators || e.Description != describe(ErrClaimRejected) {
		t.Errorf("cached token, refusing check: Validate = %v (rule %q, description %q), want generic ErrClaimRejected", err, e.Rule, e.Description)
	}
	rejected := error(RejectClaims("the tenant is suspended"))
	refuse.Store(&rejected)
	if _, err := v.Validate(context.Background(), tok); AsError(err).Description != "the tenant is suspended" {
		t.Errorf("RejectClaims: Validate = %v, want its description", err)
	}
	if got := v.Checks(&Credentials{Token: tok}); got[len(got)-2] != RuleValidators {
		t.Errorf("Checks = %v, want validators before the scope", got)
	}
}

// FuzzAudienceClaim: the audience read from any claims object is what
// encoding/json reads, or a refusal; never a panic.
func FuzzAudienceClaim(f *testing.F) {
	for _, s := range []string{`{"api":"a"}`, `{"api":["a","b"]}`, `{"api":7}`, `{"API":"a"}`, `{"api":null}`, `{"api":[null]}`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, obj []byte) {
		c, _, err := parseClaims(new(Claims), obj)
		if err != nil {
			return
		}
		auds, err := audienceClaim(c, "api")
		if err != nil {
			if e := AsError(err); e.Rule != RuleAud || !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("audienceClaim error %v, want invalid_token at rule aud", err)
			}
			return
		}
		if auds == nil {
			t.Fatalf("audienceClaim(%q) = nil, nil", obj)
		}
	})
}
