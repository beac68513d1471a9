package middleware

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rsguard/rsguard/scopes"
)

// TestActorChain reads a token-exchange token's "act" chain and "may_act"
// (RFC 8693 §4.1, §4.4) and authorizes on the current actor only.
func TestActorChain(t *testing.T) {
	k := keyFor(t, "ES256")
	v := newTestValidator(t, []*testKey{k}, nil, nil)
	tok := k.mint(nil, map[string]any{
		"sub": "user@example.com",
		"act": map[string]any{"sub": "api-gateway", "client_id": "gw", "exp": 1,
			"act": map[string]any{"sub": "frontend", "iss": "https://other.example"}},
		"may_act": map[string]any{"sub": "batch"},
	})
	c, err := validate(v, tok)
	if err != nil {
		t.Fatal(err)
	}
	chain := c.Actor.Chain()
	if len(chain) != 2 || chain[0].Subject != "api-gateway" || chain[0].ClientID != "gw" ||
		chain[1].Subject != "frontend" || chain[1].Issuer != "https://other.example" || chain[1].Actor != nil {
		t.Fatalf("actor chain = %+v", chain)
	}
	if !strings.Contains(string(chain[0].Raw()), `"exp":1`) || c.MayAct == nil || c.MayAct.Subject != "batch" {
		t.Errorf("raw actor %s, may_act %+v", chain[0].Raw(), c.MayAct)
	}
	for _, tc := range []struct {
		req scopes.Requirement
		ok  bool
	}{
		{ActorSubject("api-gateway"), true},
		{ActorSubject("frontend"), false}, // an earlier actor is history (§4.1)
		{scopes.All(ActorSubject("x", "api-gateway"), scopes.AllOf("read")), true},
	} {
		_, err := v.Admit(context.Background(), &Credentials{Token: tok}, tc.req)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrRequirementUnmet)) {
			t.Errorf("%v: Admit = %v, want ok %v", tc.req, err, tc.ok)
		}
	}
	plain := k.token()
	if _, err := v.Admit(context.Background(), &Credentials{Token: plain}, ActorSubject("api-gateway")); !errors.Is(err, ErrRequirementUnmet) {
		t.Errorf("token without act: %v, want refused", err)
	}
}

// TestActorMalformed refuses "act" and "may_act" of the wrong shape.
func TestActorMalformed(t *testing.T) {
	k := keyFor(t, "ES256")
	v := newTestValidator(t, []*testKey{k}, nil, nil)
	deep := map[string]any{"sub": "x"}
	for range maxActors + 1 {
		deep = map[string]any{"sub": "x", "act": deep}
	}
	for name, claims := range map[string]map[string]any{
		"act a string":      {"act": "x"},
		"act sub a number":  {"act": map[string]any{"sub": 1}},
		"may_act an array":  {"may_act": []string{"x"}},
		"nested act a bool": {"act": map[string]any{"act": true}},
		"too deep":          {"act": deep},
		"case twin":         {"act": map[string]any{"sub": "a"}, "ACT": map[string]any{"sub": "b"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := validate(v, k.mint(nil, claims))
			wantRefused(t, "", err, ErrMalformed)
		})
	}
}

// TestAuthorizationDetails reads RFC 9396 details and matches them.
func TestAuthorizationDetails(t *testing.T) {
	k := keyFor(t, "ES256")
	v := newTestValidator(t, []*testKey{k}, nil, nil)
	tok := k.mint(nil, map[string]any{"authorization_details": []any{
		map[string]any{"type": "payment_initiation", "actions": []string{"initiate", "status"},
			"locations": []string{"https://bank.example/payments"}, "instructedAmount": map[string]any{"currency": "EUR", "amount": "123.50"}},
		map[string]any{"type": "account_information", "identifier": "acc-1", "datatypes": []string{"balances"}, "privileges": []string{"read"}},
	}})
	c, err := validate(v, tok)
	if err != nil {
		t.Fatal(err)
	}
	d := c.AuthorizationDetails
	if len(d) != 2 || d[0].Type != "payment_initiation" || !slices.Equal(d[0].Actions, []string{"initiate", "status"}) ||
		d[1].Identifier != "acc-1" || !slices.Equal(d[1].Datatypes, []string{"balances"}) || !slices.Equal(d[1].Privileges, []string{"read"}) {
		t.Fatalf("details = %+v", d)
	}
	var amount struct {
		InstructedAmount struct{ Currency string } `json:"instructedAmount"`
	}
	if err := d[0].Decode(&amount); err != nil || amount.InstructedAmount.Currency != "EUR" {
		t.Errorf("Decode = %+v, %v", amount, err)
	}
	for _, tc := range []struct {
		m  DetailMatch
		ok bool
	}{
		{DetailMatch{Type: "payment_initiation"}, true},
		{DetailMatch{Type: "payment_initiation", Actions: []string{"initiate"}, Locations: []string{"https://bank.example/payments"}}, true},
		{DetailMatch{Type: "payment_initiation", Actions: []string{"cancel"}}, false},
		{DetailMatch{Type: "payment_initiation", Locations: []string{"https://evil.example"}}, false},
		{DetailMatch{Type: "account_information", Actions: []string{"initiate"}}, false}, // actions of another detail
		{DetailMatch{Type: "Payment_initiation"}, false},
	} {
		_, err := v.Admit(context.Background(), &Credentials{Token: tok}, RequireDetail(tc.m))
		if (err == nil) != tc.ok {
			t.Errorf("%+v: Admit = %v, want ok %v", tc.m, err, tc.ok)
		}
		if err != nil && !strings.Contains(AsError(err).Description, "authorization_details of type '"+tc.m.Type+"'") {
			t.Errorf("%+v: description %q", tc.m, AsError(err).Description)
		}
	}
}

// TestIssuerValidators runs the issuer's claim checks on every request,
// cache hits included, and maps their refusals.
func TestIssuerValidators(t *testing.T) {
	k := keyFor(t, "ES256")
	var calls atomic.Int32
	secret := errors.New("tenant globex is suspended")
	v := newTestValidator(t, []*testKey{k}, func(is *Issuer) {
		is.Validators = []func(context.Context, *Claims) error{func(ctx context.Context, c *Claims) error {
			calls.Add(1)
			var tenant string
			if _, err := c.Claim("tenant", &tenant); err != nil {
				return err
			}
			switch tenant {
			case "acme":
				return nil
			case "globex":
				return secret
			case "forbidden":
				return InsufficientScope("")
			}
			return RejectClaims("unknown tenant")
		}}
	}, nil)
	acme := k.mint(nil, map[string]any{"tenant": "acme"})
	for range 3 {
		if _, err := validate(v, acme); err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 3 {
		t.Errorf("checks ran %d times for 3 requests (2 cache hits), want 3", calls.Load())
	}
	_, err := validate(v, k.mint(nil, map[string]any{"tenant": "globex"}))
	if e := AsError(err); !errors.Is(err, ErrClaimRejected) || !errors.Is(err, secret) || e.Code() != CodeInvalidToken ||
		e.Description != "token refused by a claim check" || e.Rule != RuleValidators {
		t.Errorf("plain error: %v (description %q, rule %q)", err, e.Description, e.Rule)
	}
	_, err = validate(v, k.mint(nil, map[string]any{"tenant": "other"}))
	if e := AsError(err); !errors.Is(err, ErrClaimRejected) || e.Description != "unknown tenant" {
		t.Errorf("RejectClaims: %v", err)
	}
	_, err = validate(v, k.mint(nil, map[string]any{"tenant": "forbidden"}))
	if e := AsError(err); !errors.Is(err, ErrInsufficientScope) || e.Rule != RuleValidators {
		t.Errorf("an *Error as is: %v, rule %q", err, e.Rule)
	}
}

// TestStrictProfile requires the RFC 9068 §2.2 claims when asked.
func TestStrictProfile(t *testing.T) {
	k := keyFor(t, "ES256")
	strict := newTestValidator(t, []*testKey{k}, func(is *Issuer) { is.StrictProfile = true }, nil)
	lax := newTestValidator(t, []*testKey{k}, nil, nil)
	if _, err := validate(strict, k.token()); err != nil {
		t.Fatalf("complete token: %v", err)
	}
	for name, claims := range map[string]map[string]any{
		"no sub":            {"sub": nil},
		"empty sub":         {"sub": ""},
		"azp, no client_id": {"client_id": nil, "azp": "client-1"},
		"no iat":            {"iat": nil},
		"no jti":            {"jti": nil},
		"Entra ID shape":    {"client_id": nil, "jti": nil, "azp": "app", "uti": "x"},
	} {
		t.Run(name, func(t *testing.T) {
			tok := k.mint(nil, claims)
			_, err := validate(strict, tok)
			wantRefused(t, tok, err, ErrMissingClaim)
			if AsError(err).Rule != RuleProfile {
				t.Errorf("rule %q, want profile", AsError(err).Rule)
			}
			if _, err := validate(lax, tok); err != nil {
				t.Errorf("default validator refused: %v", err)
			}
		})
	}
}
