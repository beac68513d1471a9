// Package presets returns [middleware.Issuer] configurations for the identity
// providers that issue access tokens before or beside RFC 9068: Microsoft
// Entra ID, Amazon Cognito, Keycloak, Okta, Auth0 and Firebase. Each preset
// is as strict as the provider's tokens allow: the issuer as the provider
// spells it, the "typ" values it sends and no other, the claim that names
// the audience, and the provider's own claim rules (Cognito's "token_use",
// Entra ID's "ver" and "tid", Keycloak's "typ": "Bearer"), set as
// [middleware.Issuer.Validators].
//
// A preset leaves Keys nil: give the Issuer to [middleware.NewIssuerValidator],
// which discovers the provider's keys, or set Keys yourself.
//
//	v, err := middleware.NewIssuerValidator(ctx, presets.Cognito("eu-west-1", "eu-west-1_AbCdEf123", "7d8fe2hkp1k8e3v2jcm0example"), nil)
//
// The README's compatibility table lists every preset, what it sets and why.
package presets

import (
	"context"
	"fmt"
	"strings"

	"github.com/rsguard/rsguard/middleware"
)

// rsOnly is the algorithm every one of these providers signs with.
var rsOnly = []string{"RS256"}

// claimIs returns a check that the string claim name equals want, refusing
// with description otherwise.
func claimIs(name, want, description string) func(context.Context, *middleware.Claims) error {
	return func(_ context.Context, c *middleware.Claims) error {
		var got string
		if ok, err := c.Claim(name, &got); err != nil || !ok || got != want {
			return middleware.RejectClaims(description)
		}
		return nil
	}
}

// RequireClient returns an [middleware.Issuer.Validators] check that the
// token was issued to one of the client IDs: the first present of
// "client_id" (RFC 9068, Cognito), "azp" (Entra ID v2, Keycloak, Auth0),
// "appid" (Entra ID v1) and "cid" (Okta). Use it when only known clients may
// call the API:
//
//	iss := presets.EntraID(tenant, audience)
//	iss.Validators = append(iss.Validators, presets.RequireClient("6e74172b-be56-4843-9ff4-e66a39bb12e3"))
func RequireClient(ids ...string) func(context.Context, *middleware.Claims) error {
	return func(_ context.Context, c *middleware.Claims) error {
		for _, name := range []string{"client_id", "azp", "appid", "cid"} {
			var got string
			if ok, err := c.Claim(name, &got); err == nil && ok {
				for _, id := range ids {
					if got == id {
						return nil
					}
				}
				break
			}
		}
		return middleware.RejectClaims("the token was issued to a client this API does not accept")
	}
}

// Cognito returns the issuer of an Amazon Cognito user pool's access tokens:
// "iss" https://cognito-idp.{region}.amazonaws.com/{userPoolID}, RS256,
// no "typ". Cognito access tokens carry no "aud": the app client is in
// "client_id", which must be one of clientIDs ([middleware.Issuer.AudienceClaim]).
// "token_use" must be "access": Cognito's ID tokens are signed by the same
// keys and carry the client in "aud", and would otherwise pass. Scopes are
// in "scope"; the user's groups in "cognito:groups", read as
// [middleware.Claims.Roles].
func Cognito(region, userPoolID string, clientIDs ...string) middleware.Issuer {
	return middleware.Issuer{
		URL:           fmt.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", region, userPoolID),
		Audiences:     clientIDs,
		AudienceClaim: "client_id",
		Algorithms:    rsOnly,
		Types:         []string{""},
		RoleClaims:    []string{"cognito:groups"},
		Validators:    []func(context.Context, *middleware.Claims) error{claimIs("token_use", "access", `the token is not a Cognito access token ("token_use")`)},
	}
}

// Keycloak returns the issuer of a Keycloak realm's access tokens: "iss"
// {baseURL}/realms/{realm} (Keycloak 17 and later drop the "/auth" prefix;
// include it in baseURL for older servers), "typ" JWT (or at+jwt), and the
// "typ" claim "Bearer", which Keycloak's ID and refresh tokens, signed by
// the same keys, do not have.
//
// Keycloak's "aud" holds only "account" unless the client has an Audience
// mapper: add one (Client scopes, Mappers, By configuration, Audience)
// naming audience — accepting "account" would accept every token of the
// realm, whatever API it was requested for. The client is in "azp"
// ([middleware.Claims.ClientID]; see [RequireClient]). The realm's roles
// ("realm_access.roles") and the roles of the API's own client
// ("resource_access.{audience}.roles") are [middleware.Claims.Roles].
func Keycloak(baseURL, realm, audience string) middleware.Issuer {
	return middleware.Issuer{
		URL:        strings.TrimSuffix(baseURL, "/") + "/realms/" + realm,
		Audiences:  []string{audience},
		Types:      []string{"JWT", "at+jwt"},
		RoleClaims: []string{"realm_access.roles", `resource_access."` + audience + `".roles`},
		Validators: []func(context.Context, *middleware.Claims) error{claimIs("typ", "Bearer", "the token is not a Keycloak access token")},
	}
}

// Okta returns the issuer of an Okta custom authorization server's access
// tokens: "iss" https://{domain}/oauth2/{authServerID} ("default" for the
// default custom server), "aud" as configured on the server (api://default
// by default), RS256, untyped or "JWT". The client is in "cid" (see
// [RequireClient]), the user in "uid" and "sub", scopes in "scp".
//
// Tokens of the org authorization server (issuer https://{domain}, header
// "typ" application/okta-internal-at+jwt) are meant for Okta's own APIs and
// cannot be verified locally: Okta does not publish their keys for
// resource servers. Use [OktaOrg] to introspect them.
func Okta(domain, authServerID, audience string) middleware.Issuer {
	return middleware.Issuer{
		URL:        "https://" + domain + "/oauth2/" + authServerID,
		Audiences:  []string{audience},
		Algorithms: rsOnly,
		Types:      []string{"", "JWT"},
		ScopeClaim: "scp",
	}
}

// OktaOrg returns the issuer of an Okta org authorization server's tokens,
// resolved through its introspection endpoint
// (https://{domain}/oauth2/v1/introspect, RFC 7662; make in with the
// introspection package and the client's credentials): their audience is
// https://{domain}.
func OktaOrg(domain string, in middleware.Introspector) middleware.Issuer {
	return middleware.Issuer{URL: "https://" + domain, Audiences: []string{"https://" + domain}, Introspector: in}
}

// Auth0 returns the issuer of an Auth0 tenant's access tokens: "iss"
// https://{domain}/ — with the trailing slash Auth0 puts there — RS256,
// "typ" JWT (the default "Auth0" token profile) or at+jwt (the "RFC 9068"
// profile). A token requested with the openid scope has an "aud" array of
// the API and https://{domain}/userinfo: it is accepted when audience is
// among them. Scopes are in "scope"; with RBAC and "Add Permissions in the
// Access Token" set, the API's permissions are in "permissions": set
// ScopeClaim to "permissions" to check them instead.
func Auth0(domain, audience string) middleware.Issuer {
	return middleware.Issuer{
		URL:        "https://" + domain + "/",
		Audiences:  []string{audience},
		Algorithms: rsOnly,
		Types:      []string{"JWT", "at+jwt"},
	}
}

// Firebase returns the issuer of Firebase Authentication (Google Identity
// Platform) ID tokens, which Firebase apps send to their back ends: "iss"
// https://securetoken.google.com/{projectID}, "aud" the project ID, RS256,
// "typ" JWT, and a non-empty "sub" (the user's uid), as Firebase's "verify ID
// tokens" guide requires. Their keys are published at
// https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com,
// which the issuer's discovery document names.
//
// Google's own OAuth access tokens (ya29.…) are opaque and Google offers no
// RFC 7662 introspection endpoint for them: an API that accepts Google users
// verifies Google-signed ID tokens (issuer https://accounts.google.com, "aud"
// its client ID) or has its callers sign in through Firebase or Identity
// Platform, whose tokens this preset verifies.
func Firebase(projectID string) middleware.Issuer {
	return middleware.Issuer{
		URL:        "https://securetoken.google.com/" + projectID,
		Audiences:  []string{projectID},
		Algorithms: rsOnly,
		Types:      []string{"JWT"},
		Validators: []func(context.Context, *middleware.Claims) error{func(_ context.Context, c *middleware.Claims) error {
			if c.Subject == "" {
				return middleware.RejectClaims(`the Firebase token has no "sub"`)
			}
			return nil
		}},
	}
}
