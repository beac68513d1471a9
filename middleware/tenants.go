package middleware

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rsguard/rsguard/middleware/jwks"
)

// TenantPlaceholder is the placeholder of an issuer template: Microsoft
// Entra ID's multi-tenant discovery documents (/common, /organizations)
// publish "https://login.microsoftonline.com/{tenantid}/v2.0" as the issuer.
const TenantPlaceholder = "{tenantid}"

// Defaults for [Tenants] fields left zero.
const (
	DefaultMaxTenants          = 100 // key sources kept at once
	DefaultNewTenantsPerMinute = 10  // key sources created per minute
)

// maxTenantLen bounds the tenant part of an issuer: Entra ID's are GUIDs (36
// characters); a longer one is not a tenant.
const maxTenantLen = 64

// Tenants makes an [Issuer] the template of many tenants' issuers: its URL
// holds [TenantPlaceholder] once, and a token's "iss" is accepted when it is
// the URL with a tenant in the placeholder's place — a tenant of Allowed, or
// any tenant with AllowAnyTenant. The match is made on the token's claims
// before any key lookup, so a token naming an issuer outside the template or
// a tenant outside the list causes no network call. Each tenant gets its own
// key source (a [jwks.Remote], fetched on the first token of the tenant),
// used for that tenant's tokens only: a token of tenant A never verifies
// with tenant B's keys. At most MaxTenants key sources are kept; the least
// recently used is closed when another is needed.
type Tenants struct {
	// Allowed lists the accepted tenants, compared exactly. Required unless
	// AllowAnyTenant is set.
	Allowed []string
	// AllowAnyTenant accepts a token of every tenant of the provider —
	// including a tenant that whoever wants a token can create. Use it only
	// when the API authorizes each tenant itself (the tenant is in the
	// claims: Claims.Issuer, or the Claim below). Default false.
	AllowAnyTenant bool
	// Claim names a claim that must equal the tenant in "iss", checked
	// with it, before any key lookup ("tid" for Entra ID). Default none.
	Claim string
	// JWKSURL is the template of a tenant's JWK Set URL, with
	// [TenantPlaceholder] ("https://login.microsoftonline.com/{tenantid}/discovery/v2.0/keys").
	// Default: each tenant's keys are discovered from its issuer
	// ([jwks.NewRemote]).
	JWKSURL string
	// MaxTenants bounds the tenants whose key sources are kept at once.
	// Size it above the tenants active at once: beyond it, sources are
	// evicted and remade in turn (each remade source fetches its keys
	// again, within NewTenantsPerMinute). An evicted source is closed once
	// the lookups that were using it end.
	// Default [DefaultMaxTenants] (100).
	MaxTenants int
	// NewTenantsPerMinute bounds how many tenants' key sources are made
	// per minute (each costs a discovery and a JWKS fetch). A token of a
	// tenant without a key source while the bound is reached is answered
	// ErrUnavailable (503, reason ErrKeysUnavailable): it may be valid.
	// Default [DefaultNewTenantsPerMinute] (10).
	NewTenantsPerMinute int
}

// template is an issuer URL split around its placeholder.
type template struct{ prefix, suffix string }

// parseTemplate splits u around its one [TenantPlaceholder].
func parseTemplate(u string) (template, error) {
	before, after, ok := strings.Cut(u, TenantPlaceholder)
	if !ok {
		return template{}, fmt.Errorf("middleware: issuer template %q has no %s", u, TenantPlaceholder)
	}
	if strings.Contains(after, TenantPlaceholder) {
		return template{}, fmt.Errorf("middleware: issuer template %q has %s twice", u, TenantPlaceholder)
	}
	if !strings.HasPrefix(before, "https://") && !strings.HasPrefix(before, "http://") || !strings.Contains(strings.TrimPrefix(strings.TrimPrefix(before, "https://"), "http://"), "/") {
		return template{}, fmt.Errorf("middleware: issuer template %q: the placeholder must be in the path of an http(s) URL", u)
	}
	return template{before, after}, nil
}

// match returns the tenant of iss, if iss is the template's URL with a
// tenant in the placeholder's place.
func (t template) match(iss string) (string, bool) {
	if len(iss) <= len(t.prefix)+len(t.suffix) || !strings.HasPrefix(iss, t.prefix) || !strings.HasSuffix(iss, t.suffix) {
		return "", false
	}
	tenant := iss[len(t.prefix) : len(iss)-len(t.suffix)]
	return tenant, validTenant(tenant)
}

// expand returns the template with tenant in the placeholder's place.
func (t template) expand(tenant string) string { return t.prefix + tenant + t.suffix }

// validTenant reports whether s can be a tenant: 1 to 64 letters, digits,
// '-', '_' or '.', and not a dot segment. A tenant never holds '/', '%', '?'
// or '#', so it cannot change the path, the query or the host of a URL made
// from a template.
func validTenant(s string) bool {
	if s == "" || len(s) > maxTenantLen || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// tenantIssuer is an [Issuer] whose URL is a template, with the key
// sources of its tenants.
type tenantIssuer struct {
	*issuer
	tmpl    template
	jwks    template // zero when keys are discovered
	allowed map[string]bool
	keys    *tenantKeys
}

func newTenantIssuer(is *issuer, rkc *jwks.Config, now func() time.Time) (*tenantIssuer, error) {
	t := is.Tenants
	if is.Keys != nil {
		return nil, fmt.Errorf("middleware: issuer template %q: Keys must be nil: each tenant gets its own key source", is.URL)
	}
	if is.Introspector != nil {
		return nil, fmt.Errorf("middleware: issuer template %q: an Introspector cannot serve a template", is.URL)
	}
	if len(t.Allowed) == 0 && !t.AllowAnyTenant {
		return nil, fmt.Errorf("middleware: issuer template %q: Tenants.Allowed is empty and AllowAnyTenant is not set", is.URL)
	}
	if t.MaxTenants < 0 || t.NewTenantsPerMinute < 0 {
		return nil, fmt.Errorf("middleware: issuer template %q: negative Tenants bound", is.URL)
	}
	tmpl, err := parseTemplate(is.URL)
	if err != nil {
		return nil, err
	}
	ti := &tenantIssuer{issuer: is, tmpl: tmpl, allowed: make(map[string]bool, len(t.Allowed))}
	for _, a := range t.Allowed {
		if !validTenant(a) {
			return nil, fmt.Errorf("middleware: issuer template %q: tenant %q is not a valid tenant", is.URL, a)
		}
		ti.allowed[a] = true
	}
	if t.JWKSURL != "" {
		if ti.jwks, err = parseTemplate(t.JWKSURL); err != nil {
			return nil, err
		}
	}
	ti.keys = newTenantKeys(ti, rkc, now)
	return ti, nil
}

// resolve returns the issuer of the tenant of c's "iss" (which matched the
// template as tenant), with that tenant's key source: no network call is
// made here, the source fetches on its first lookup.
func (ti *tenantIssuer) resolve(c *Claims, tenant string) (*issuer, error) {
	if !ti.Tenants.AllowAnyTenant && !ti.allowed[tenant] {
		return nil, misconfigured(invalid(ErrIssuerMismatch), tenantHint(ti, tenant))
	}
	if name := ti.Tenants.Claim; name != "" {
		var got string
		if ok, err := c.Claim(name, &got); err != nil || !ok || got != tenant {
			return nil, newError(ErrInvalidToken, ErrIssuerMismatch,
				fmt.Errorf("the %q claim is not the tenant of \"iss\"", name)).at(RuleIss)
		}
	}
	return ti.keys.issuer(tenant, c.Issuer)
}

// templateOf returns the template issuer iss matches, and its tenant.
func (v *Validator) templateOf(iss string) (*tenantIssuer, string) {
	for _, ti := range v.templates {
		if tenant, ok := ti.tmpl.match(iss); ok {
			return ti, tenant
		}
	}
	return nil, ""
}

var errTenantRate = Unavailable(ErrKeysUnavailable, errors.New("middleware: new-tenant discovery rate reached (Tenants.NewTenantsPerMinute)"))
