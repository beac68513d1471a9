package middleware

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// The hints a [Misconfiguration] gives, computed here only: the log and the
// rsguard CLI read them from the refusal.

// provider is what the hints know of an identity provider: how to recognize
// its issuer and which preset (package middleware/presets) fits its tokens.
type provider struct {
	name   string
	preset string
	match  func(u *url.URL) bool
}

var providers = []provider{
	{"Microsoft Entra ID", "presets.EntraID", func(u *url.URL) bool {
		return u.Host == "login.microsoftonline.com" || u.Host == "sts.windows.net"
	}},
	{"Amazon Cognito", "presets.Cognito", func(u *url.URL) bool {
		return strings.HasPrefix(u.Host, "cognito-idp.") && strings.HasSuffix(u.Host, ".amazonaws.com")
	}},
	{"Okta", "presets.Okta", func(u *url.URL) bool {
		return hostUnder(u, "okta.com", "oktapreview.com", "okta-emea.com")
	}},
	{"Auth0", "presets.Auth0", func(u *url.URL) bool { return hostUnder(u, "auth0.com") }},
	{"Firebase", "presets.Firebase", func(u *url.URL) bool { return u.Host == "securetoken.google.com" }},
	{"Keycloak", "presets.Keycloak", func(u *url.URL) bool { return strings.Contains(u.Path, "/realms/") }},
}

func hostUnder(u *url.URL, domains ...string) bool {
	for _, d := range domains {
		if strings.HasSuffix(u.Host, "."+d) {
			return true
		}
	}
	return false
}

// providerOf returns the provider whose issuer iss looks like, or nil.
func providerOf(iss string) *provider {
	u, err := url.Parse(iss)
	if err != nil || u.Scheme != "https" {
		return nil
	}
	for i := range providers {
		if providers[i].match(u) {
			return &providers[i]
		}
	}
	return nil
}

// typHint explains a "typ" refusal of a token from a trusted issuer when the
// type is the one providers that predate RFC 9068 send, or none.
func typHint(is *issuer, typ string, present bool, iss string) *Misconfiguration {
	m := &Misconfiguration{Rule: RuleTyp, Issuer: is.URL, Expected: quoteList(is.types), Received: "no typ"}
	if present {
		m.Received = Quote(typ)
	}
	nt := normalizeType(typ)
	switch {
	case strings.EqualFold(nt, "okta-internal-at+jwt"):
		m.Hint = "this is an access token of an Okta org authorization server, meant for Okta's own APIs: it cannot be verified locally; use a custom authorization server (presets.Okta) or introspection"
	case present && !strings.EqualFold(nt, "JWT"):
		return nil
	default:
		what := `typ is "JWT"`
		if !present {
			what = "header has no typ"
		}
		if p := providerOf(iss); p != nil {
			m.Hint = fmt.Sprintf("this token's %s, as %s issues; use the %s preset (middleware/presets) or Types: middleware.CompatTypes()", what, p.name, p.preset)
		} else {
			m.Hint = fmt.Sprintf("this token's %s, as Keycloak, Entra ID, Cognito, Auth0 and Okta issue; use the preset for your provider (middleware/presets) or Types: middleware.CompatTypes()", what)
		}
	}
	return m
}

// issHint explains an "iss" refusal when the token's issuer is a near miss
// of a configured one: a trailing slash, letter case, Entra ID's other token
// version. Any other untrusted issuer is a token from elsewhere, not a
// misconfiguration.
func issHint(iss string, configured []*issuer) *Misconfiguration {
	for _, is := range configured {
		want := is.URL
		var hint string
		switch {
		case strings.TrimSuffix(want, "/") == strings.TrimSuffix(iss, "/"):
			hint = `the issuers differ by a trailing slash, and "iss" is compared exactly (RFC 9068 §4): set Issuer.URL to the token's "iss" as the provider's discovery document spells it`
		case strings.EqualFold(want, iss):
			hint = `the issuers differ in letter case, and "iss" is compared exactly (RFC 9068 §4): set Issuer.URL to the token's "iss"`
		case entraVersionSwap(want, iss):
			hint = `this Entra ID token is of the other version (v1 issuers are https://sts.windows.net/{tid}/, v2 https://login.microsoftonline.com/{tid}/v2.0): set "accessTokenAcceptedVersion" in the API's app manifest, or use presets.EntraIDv1 or presets.EntraID to match`
		default:
			continue
		}
		return &Misconfiguration{Rule: RuleIss, Issuer: want, Expected: Quote(want), Received: Quote(iss), Hint: hint}
	}
	return nil
}

// entraVersionSwap reports whether a and b are the v1 and v2 issuers of one
// Entra ID tenant, in either order.
func entraVersionSwap(a, b string) bool {
	tenant := func(s string) string {
		if t, ok := strings.CutPrefix(s, "https://sts.windows.net/"); ok {
			return strings.TrimSuffix(t, "/")
		}
		if t, ok := strings.CutPrefix(s, "https://login.microsoftonline.com/"); ok {
			return strings.TrimSuffix(t, "/v2.0")
		}
		return ""
	}
	ta, tb := tenant(a), tenant(b)
	return ta != "" && ta == tb && a != b
}

// tenantHint explains the refusal of a tenant outside the allow-list.
func tenantHint(t *tenantIssuer, tenant string) *Misconfiguration {
	return &Misconfiguration{Rule: RuleIss, Issuer: t.URL, Expected: "a tenant of Tenants.Allowed " + quoteList(t.Tenants.Allowed),
		Received: Quote(tenant), Hint: "add the tenant to Tenants.Allowed, or set Tenants.AllowAnyTenant to accept every tenant"}
}

// audHint explains an audience refusal of a token whose signature verified:
// the issuer meant it for another audience than the configured ones.
func audHint(is *issuer, got []string) *Misconfiguration {
	m := &Misconfiguration{Rule: RuleAud, Issuer: is.URL, Expected: quoteList(is.Audiences), Received: quoteList(got)}
	if is.AudienceClaim != "" {
		m.Expected = Quote(is.AudienceClaim) + " in " + m.Expected
	}
	switch {
	case slices.Equal(got, []string{"account"}):
		m.Hint = `Keycloak puts only "account" in "aud" unless an Audience mapper (a client scope of the client, Mappers, Audience) adds this API's identifier: add one naming an audience of Issuer.Audiences`
	case slices.ContainsFunc(got, func(g string) bool { return nearAudience(g, is.Audiences) }):
		m.Hint = `an audience differs from a configured one by a trailing slash or letter case, and audiences are compared exactly: list it in Issuer.Audiences as the token spells it`
	default:
		m.Hint = "the token was issued for another audience: list this API's identifier as the provider puts it in tokens (Entra ID v2: the application ID; v1: the Application ID URI) in Issuer.Audiences, or have the client request a token for this API"
	}
	return m
}

func nearAudience(got string, want []string) bool {
	for _, w := range want {
		if strings.EqualFold(strings.TrimSuffix(w, "/"), strings.TrimSuffix(got, "/")) {
			return true
		}
	}
	return false
}

// keyIssuerHint explains the refusal of a token signed with a key that its
// JWK Set publishes for another issuer (Entra ID's per-key "issuer").
func keyIssuerHint(is *issuer, keyIssuer, iss string) *Misconfiguration {
	return &Misconfiguration{Rule: RuleKey, Issuer: is.URL, Expected: "the key's issuer " + Quote(keyIssuer), Received: Quote(iss),
		Hint: `the JWK Set publishes this key for another issuer ("issuer" member): the key source is another tenant's or issuer's; give each issuer its own key source`}
}
