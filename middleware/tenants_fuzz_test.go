package middleware

import (
	"strings"
	"testing"
)

// FuzzTenantTemplate: a template parses or is refused without panic; an
// issuer it matches is exactly the template with the tenant in the
// placeholder's place, and the tenant can hold nothing that changes the
// URL's structure ('/', '?', '#', '%', '@', ':').
func FuzzTenantTemplate(f *testing.F) {
	f.Add("https://login.microsoftonline.com/{tenantid}/v2.0", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0")
	f.Add("https://login.microsoftonline.com/{tenantid}/v2.0", "https://login.microsoftonline.com/a/../b/v2.0")
	f.Add("https://x.test/{tenantid}", "https://x.test/")
	f.Add("https://x.test/{tenantid}/", "https://x.test/../")
	f.Add("http://127.0.0.1:8080/t/{tenantid}", "http://127.0.0.1:8080/t/{tenantid}")
	f.Add("https://{tenantid}.x.test/", "https://a.x.test/")
	f.Fuzz(func(t *testing.T, tmpl, iss string) {
		tp, err := parseTemplate(tmpl)
		if err != nil {
			return
		}
		if tp.expand(TenantPlaceholder) != tmpl {
			t.Fatalf("template %q splits into %q, %q", tmpl, tp.prefix, tp.suffix)
		}
		tenant, ok := tp.match(iss)
		if !ok {
			return
		}
		if tp.expand(tenant) != iss {
			t.Fatalf("match(%q) = %q, which does not rebuild the issuer", iss, tenant)
		}
		if !validTenant(tenant) || strings.ContainsAny(tenant, "/?#%@:{}") || tenant == "." || tenant == ".." {
			t.Fatalf("match(%q) = tenant %q, which could change the URL", iss, tenant)
		}
	})
}
