package middleware

import (
	"context"
	"crypto/x509"
	"slices"
	"testing"
	"time"

	"github.com/rsguard/rsguard/scopes"
)

// defect spoils a token for exactly one check.
type defect struct {
	rule   Rule
	hdr    map[string]any
	claims map[string]any
	tamper bool // change the signature
	scope  bool // require a scope the token lacks
}

var jwsDefects = []defect{
	{rule: RuleHeader, hdr: map[string]any{"crit": []string{"exp"}}},
	{rule: RuleAlg, hdr: map[string]any{"alg": "HS256"}},
	{rule: RuleClaims, claims: map[string]any{"sub": 42}},
	{rule: RuleIss, claims: map[string]any{"iss": "https://evil.example.test"}},
	{rule: RuleTyp, hdr: map[string]any{"typ": "JWT"}},
	{rule: RuleKey, hdr: map[string]any{"kid": "no-such-kid"}},
	{rule: RuleSignature, tamper: true},
	{rule: RuleExp, claims: map[string]any{"exp": testNow.Add(-time.Hour).Unix()}},
	{rule: RuleNbf, claims: map[string]any{"nbf": testNow.Add(time.Hour).Unix()}},
	{rule: RuleIat, claims: map[string]any{"iat": testNow.Add(time.Hour).Unix()}},
	{rule: RuleAud, claims: map[string]any{"aud": "https://other.example.test"}},
	{rule: RuleProfile, claims: map[string]any{"jti": nil}},
	{rule: RuleScopeClaim, claims: map[string]any{"scope": 42}},
	{rule: RuleRoleClaim, claims: map[string]any{"roles": 42}},
	{rule: RuleCnf, claims: map[string]any{"cnf": map[string]any{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}},
	{rule: RuleValidators, claims: map[string]any{"tenant": "evil"}},
	{rule: RuleScope, scope: true},
}

// orderedIssuer turns on the issuer checks that jwsDefects spoil: the
// strict profile, a role claim and a claim check refusing tenant "evil".
func orderedIssuer(is *Issuer) {
	is.StrictProfile = true
	is.RoleClaims = []string{"roles"}
	is.Validators = []func(context.Context, *Claims) error{func(_ context.Context, c *Claims) error {
		var tenant string
		if ok, _ := c.Claim("tenant", &tenant); ok && tenant == "evil" {
			return RejectClaims("tenant not served")
		}
		return nil
	}}
}

func defectOf(r Rule) defect {
	for _, d := range jwsDefects {
		if d.rule == r {
			return d
		}
	}
	panic("no defect for " + r)
}

// TestCheckOrder holds the validator to the order that Checks states: a
// token with two defects is refused by the check that comes first, and every
// defect alone by its own check.
func TestCheckOrder(t *testing.T) {
	k := keyFor(t, "ES256")
	v := newTestValidator(t, []*testKey{k}, orderedIssuer, nil)
	if got := v.Checks(&Credentials{Token: k.token()}); !slices.Equal(got, checkOrder[formJWS]) {
		t.Fatalf("Checks(JWS) = %v, want %v", got, checkOrder[formJWS])
	}
	jws := checkOrder[formJWS]
	order := append(slices.Clone(jws[:len(jws)-afterBinding]), RuleCnf, RuleValidators, RuleScope) // a bound token's
	if got := v.Checks(&Credentials{Token: k.mint(nil, defectOf(RuleCnf).claims)}); !slices.Equal(got, order) {
		t.Fatalf("Checks(bound JWS) = %v, want %v", got, order)
	}
	for i, a := range jwsDefects {
		for _, b := range jwsDefects[i:] {
			tok, req := spoil(k, a, b)
			_, err := v.Admit(context.Background(), &Credentials{Token: tok}, req)
			e := AsError(err)
			if err == nil || e.Rule != a.rule {
				t.Errorf("Admit(token with %s and %s defects) rule = %q (%v), want %q", a.rule, b.rule, e.Rule, err, a.rule)
			}
			if slices.Index(order, a.rule) > slices.Index(order, b.rule) {
				t.Errorf("defects out of order: %s before %s", a.rule, b.rule)
			}
		}
	}
}

func spoil(k *testKey, ds ...defect) (string, scopes.Requirement) {
	hdr, claims := map[string]any{}, map[string]any{}
	tamper, scope := false, false
	for _, d := range ds {
		for n, x := range d.hdr {
			hdr[n] = x
		}
		for n, x := range d.claims {
			claims[n] = x
		}
		tamper, scope = tamper || d.tamper, scope || d.scope
	}
	tok := k.mint(hdr, claims)
	if tamper {
		i, c := len(tok)-5, byte('A') // an inner signature character, changed
		if tok[i] == 'A' {
			c = 'B'
		}
		tok = tok[:i] + string(c) + tok[i+1:]
	}
	var req scopes.Requirement
	if scope {
		req = scopes.AllOf("admin")
	}
	return tok, req
}

// TestChecksForms checks the sequence Checks reports for each form of token.
func TestChecksForms(t *testing.T) {
	k := keyFor(t, "ES256")
	withKeys := newTestValidator(t, []*testKey{k}, nil, nil)
	introspected := newTestValidator(t, nil, func(is *Issuer) { is.Keys, is.Introspector = nil, &memIntrospector{} }, nil)
	for _, tc := range []struct {
		name  string
		v     *Validator
		token string
		want  int
	}{
		{"jws", withKeys, k.token(), formJWS},
		{"jws of an issuer without keys", introspected, k.token(), formIntrospected},
		{"opaque", introspected, "opaque-token", formOpaque},
		{"jwe", introspected, "a.b.c.d.e", formOpaque},
		{"malformed jws", withKeys, "eyJhbGciOiJFUzI1NiJ9.!.x", formJWS},
	} {
		if got := tc.v.Checks(&Credentials{Token: tc.token}); !slices.Equal(got, checkOrder[tc.want]) {
			t.Errorf("%s: Checks = %v, want %v", tc.name, got, checkOrder[tc.want])
		}
	}
}

// TestChecksBinding checks the binding checks Checks adds for a DPoP
// presentation and a client certificate, before the scope.
func TestChecksBinding(t *testing.T) {
	k := keyFor(t, "ES256")
	v := newTestValidator(t, []*testKey{k}, nil, nil)
	jws := checkOrder[formJWS]
	base := slices.Clone(jws[:len(jws)-afterBinding])
	dpop := v.Checks(&Credentials{Authorization: []string{"DPoP " + k.token()}, DPoP: []string{"proof"}})
	if want := append(append(append(slices.Clone(base), RuleCnf), dpopOrder...), RuleValidators, RuleScope); !slices.Equal(dpop, want) {
		t.Errorf("Checks(DPoP) = %v, want %v", dpop, want)
	}
	cert := v.Checks(&Credentials{Token: k.token(), PeerCertificate: &x509.Certificate{}})
	if want := append(slices.Clone(base), RuleCnf, RuleX5t, RuleValidators, RuleScope); !slices.Equal(cert, want) {
		t.Errorf("Checks(certificate) = %v, want %v", cert, want)
	}
}
