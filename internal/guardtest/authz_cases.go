package guardtest

import (
	"context"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/oauthtest"
	"github.com/rsguard/rsguard/scopes"
)

// The authorization alternatives of [Requirement] beyond [Scope], one per
// kind of requirement of issue 16, each with a scope of its own so that a
// token of the corpus (which has none of them) is always answered about
// [Scope].
const (
	// ScopeApprove with [Role] RoleApprover: roles from the live server's
	// RoleClaims ("realm_access.roles").
	ScopeApprove = "orders:approve"
	RoleApprover = "approver"
	// ScopePay with acr [ACRGold] and max_age [MaxAge]: step-up (RFC 9470).
	ScopePay = "orders:pay"
	ACRGold  = "gold"
	MaxAge   = 5 * time.Minute
	// ScopeDelegate with current actor [Actor] and an authorization detail
	// of type "order" allowing "approve" (RFC 8693, RFC 9396).
	ScopeDelegate = "orders:delegate"
	Actor         = "gateway"
	// BlockedTenant is the "tenant" the live server's claim check refuses.
	BlockedTenant = "blocked"
)

// authzAlternatives are the alternatives of the route requirement that
// need more than scopes, declared before [Scope] so that a token meeting
// all of one but a single claim is told about that alternative (ties go to
// the first declared).
var authzAlternatives = scopes.Any(
	scopes.All(scopes.AllOf(ScopeApprove), middleware.Role(RoleApprover)),
	scopes.All(scopes.AllOf(ScopePay), middleware.ACR(ACRGold), middleware.MaxAge(MaxAge)),
	scopes.All(scopes.AllOf(ScopeDelegate), middleware.ActorSubject(Actor),
		middleware.RequireDetail(middleware.DetailMatch{Type: "order", Actions: []string{"approve"}})),
	scopes.AllOf(Scope),
)

// routeRequirement is [Requirement]: [Scope], or one of the authorization
// alternatives. It decides as authzAlternatives does, checking [Scope]
// first so that the benchmarks that use Requirement measure a scope check.
type routeRequirement struct{ scopes.Requirement }

func (r routeRequirement) Check(g scopes.Grant, now time.Time, u *scopes.Unmet) bool {
	if u == nil && r.Satisfied(g.GrantedScopes()) {
		return true
	}
	return scopes.Check(authzAlternatives, g, now, u)
}

func (r routeRequirement) String() string { return Scope + " OR (authorization alternatives)" }

// liveIssuerClaims sets what the live server's issuer reads beyond scopes:
// its role claim, a claim check refusing [BlockedTenant] (a Validator, run
// on every request) and the RFC 9068 strict profile.
func liveIssuerClaims(is *middleware.Issuer) {
	is.RoleClaims = []string{"realm_access.roles"}
	is.StrictProfile = true
	is.Validators = []func(context.Context, *middleware.Claims) error{func(_ context.Context, c *middleware.Claims) error {
		var tenant string
		if ok, err := c.Claim("tenant", &tenant); err != nil || (ok && tenant == BlockedTenant) {
			return middleware.RejectClaims("tenant not served")
		}
		return nil
	}}
}

// authzCases are requests with tokens of the live server to the route's
// authorization alternatives (issue 16): roles, claim checks, step-up,
// delegation, authorization details, the strict profile and padded scope
// strings.
func (f *Fixture) authzCases() []Case {
	tok := func(scope string, claims map[string]any) []string {
		return []string{"Bearer " + f.Server.Token(oauthtest.TokenOptions{Subject: Subject, Scopes: []string{scope}, Claims: claims})}
	}
	fresh, old := f.Now.Add(-time.Minute).Unix(), f.Now.Add(-time.Hour).Unix()
	order := func(actions ...string) []any {
		return []any{map[string]any{"type": "order", "actions": actions, "locations": []string{"https://api.example.test/orders"}}}
	}
	const stepUpDesc = "a more recent or stronger authentication of the user is required"
	ok := func(scopes string) Case { return Case{Status: 200, GRPCCode: CodeOK, Scopes: scopes} }
	forbidden := func(scope, desc string) Case {
		return Case{Kind: middleware.ErrInsufficientScope, Reason: middleware.ErrRequirementUnmet, Rule: middleware.RuleScope, Status: 403,
			Challenge: bearerPrefix + `, error="insufficient_scope", error_description="` + desc + `", scope="` + scope + `"` + "\n" + dpopPrefix,
			GRPCCode:  CodePermissionDenied, Description: desc}
	}
	stepUp := func(attrs, grpcAttrs string) Case {
		return Case{Kind: middleware.ErrInvalidToken, Reason: middleware.ErrInsufficientUserAuthentication, Rule: middleware.RuleScope, Status: 401,
			Challenge: bearerPrefix + `, error="insufficient_user_authentication", error_description="` + stepUpDesc + `", ` + attrs + "\n" + dpopPrefix,
			GRPCCode:  CodeUnauthenticated, Description: stepUpDesc, GRPCDescription: stepUpDesc + " (" + grpcAttrs + ")"}
	}
	refused := func(reason error, rule middleware.Rule, desc string) Case {
		return Case{Kind: middleware.ErrInvalidToken, Reason: reason, Rule: rule, Status: 401,
			Challenge: onBearer("invalid_token", desc), GRPCCode: CodeUnauthenticated, Description: desc}
	}
	cases := []struct {
		name string
		auth []string
		want Case
	}{
		{"authz_role", tok(ScopeApprove, map[string]any{"realm_access": map[string]any{"roles": []string{"user", RoleApprover}}}), ok(ScopeApprove)},
		{"authz_role_missing", tok(ScopeApprove, map[string]any{"realm_access": map[string]any{"roles": []string{"user"}}}),
			forbidden(ScopeApprove, "the route requires scope 'orders:approve' and role 'approver'")},
		{"authz_padded_scope", tok("", map[string]any{"scope": "  " + Scope + "   profile "}), ok("")},
		{"authz_step_up", tok(ScopePay, map[string]any{"acr": ACRGold, "auth_time": fresh}), ok(ScopePay)},
		{"authz_step_up_acr", tok(ScopePay, map[string]any{"acr": "bronze", "auth_time": fresh}),
			stepUp(`acr_values="gold"`, `acr_values="gold"`)},
		{"authz_step_up_max_age", tok(ScopePay, map[string]any{"acr": ACRGold, "auth_time": old}),
			stepUp(`max_age="300"`, `max_age="300"`)},
		{"authz_step_up_both", tok(ScopePay, nil), stepUp(`acr_values="gold", max_age="300"`, `acr_values="gold" max_age="300"`)},
		{"authz_delegated", tok(ScopeDelegate, map[string]any{"act": map[string]any{"sub": Actor}, "authorization_details": order("read", "approve")}), ok(ScopeDelegate)},
		{"authz_delegated_earlier_actor", tok(ScopeDelegate, map[string]any{
			"act": map[string]any{"sub": "frontend", "act": map[string]any{"sub": Actor}}, "authorization_details": order("approve")}),
			forbidden(ScopeDelegate, "the route requires scope 'orders:delegate' and actor 'gateway'")},
		{"authz_detail_wrong_action", tok(ScopeDelegate, map[string]any{"act": map[string]any{"sub": Actor}, "authorization_details": order("read")}),
			forbidden(ScopeDelegate, "the route requires scope 'orders:delegate' and authorization_details of type 'order' with actions 'approve'")},
		{"authz_claim_check", tok(Scope, map[string]any{"tenant": BlockedTenant}), refused(middleware.ErrClaimRejected, middleware.RuleValidators, "tenant not served")},
		{"authz_strict_profile", tok(Scope, map[string]any{"jti": nil}), refused(middleware.ErrMissingClaim, middleware.RuleProfile, "required claim missing")},
	}
	out := make([]Case, len(cases))
	for i, c := range cases {
		out[i] = c.want
		out[i].Name, out[i].Authorization = c.name, c.auth
		if out[i].Kind == nil {
			out[i].Verdict = "accept"
		}
	}
	return out
}
