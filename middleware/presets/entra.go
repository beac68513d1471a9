package presets

import (
	"context"

	"github.com/rsguard/rsguard/middleware"
)

// Microsoft Entra ID's token versions: an API's app manifest chooses one
// ("accessTokenAcceptedVersion": 2 for v2; null or 1 for v1), whatever
// endpoint the client used.
const (
	entraV1Issuer = "https://sts.windows.net/"           // + tenant + "/"
	entraV2Issuer = "https://login.microsoftonline.com/" // + tenant + "/v2.0"
	entraV2JWKS   = "https://login.microsoftonline.com/{tenantid}/discovery/v2.0/keys"
)

// EntraID returns the issuer of a Microsoft Entra ID tenant's v2.0 access
// tokens for an API: "iss" https://login.microsoftonline.com/{tenantID}/v2.0
// (tenantID the directory's GUID: "iss" never holds a domain name), "aud"
// the API's application (client) ID — v2 tokens carry it, not the
// Application ID URI — RS256, "typ" JWT, "ver" 2.0 and "tid" the tenant.
// Delegated permissions are in "scp" (space-delimited), read as scopes;
// application permissions (app roles) in "roles", read as
// [middleware.Claims.Roles]; the client is in "azp" (see
// [RequireClient]). Entra ID's keys name their issuer (the JWK "issuer"
// member), which the validator checks against "iss".
//
// Tokens for Microsoft Graph (aud 00000003-0000-0000-c000-000000000000)
// carry a "nonce" header and cannot be verified by an API: have clients
// request tokens for the API's own scope.
func EntraID(tenantID, audience string) middleware.Issuer {
	return entra(entraV2Issuer+tenantID+"/v2.0", audience, "2.0", tenantID)
}

// EntraIDv1 is [EntraID] for v1.0 access tokens: "iss"
// https://sts.windows.net/{tenantID}/ (with the trailing slash), "aud" the
// API's Application ID URI (api://…) or client ID, "ver" 1.0, the client in
// "appid".
func EntraIDv1(tenantID, audience string) middleware.Issuer {
	return entra(entraV1Issuer+tenantID+"/", audience, "1.0", tenantID)
}

// EntraIDMultiTenant returns the issuer template of a multi-tenant Entra ID
// API's v2.0 access tokens: any tenant of tenants (its Allowed list, or
// AllowAnyTenant) with "iss" https://login.microsoftonline.com/{tenantid}/v2.0
// and "tid" that tenant, each tenant's keys fetched from its own
// https://login.microsoftonline.com/{tenantid}/discovery/v2.0/keys and used
// for its tokens only. tenants' JWKSURL and Claim are set here; its bounds
// are kept. The checks are those of [EntraID].
func EntraIDMultiTenant(audience string, tenants middleware.Tenants) middleware.Issuer {
	tenants.Claim = "tid"
	tenants.JWKSURL = entraV2JWKS
	iss := entra(entraV2Issuer+middleware.TenantPlaceholder+"/v2.0", audience, "2.0", "")
	iss.Tenants = &tenants
	return iss
}

func entra(url, audience, version, tenant string) middleware.Issuer {
	checks := []func(context.Context, *middleware.Claims) error{
		claimIs("ver", version, "the token is not an Entra ID v"+version+" access token"),
	}
	if tenant != "" {
		checks = append(checks, claimIs("tid", tenant, "the token is of another Entra ID tenant"))
	}
	return middleware.Issuer{
		URL:        url,
		Audiences:  []string{audience},
		Algorithms: rsOnly,
		Types:      []string{"JWT"},
		ScopeClaim: "scp",
		RoleClaims: []string{"roles"},
		Validators: checks,
	}
}
