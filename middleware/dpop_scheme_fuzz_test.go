package middleware_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/middleware"
)

// schemeGrammar is RFC 6750 §2.1 and RFC 9449 §7.1 transcribed literally:
// the Bearer or DPoP scheme, then one token68-like b64token.
var schemeGrammar = regexp.MustCompile(`^[ \t]*((?i:bearer)|(?i:dpop)) +([A-Za-z0-9\-._~+/]+=*)[ \t]*$`)

// FuzzParseAuthorizationScheme checks the one Authorization parser for both
// schemes against the grammar: it never panics, accepts exactly what the
// grammar accepts with the right scheme and token, and a value it refuses
// with an error names its scheme; ParseAuthorization never returns a DPoP
// token.
func FuzzParseAuthorizationScheme(f *testing.F) {
	for _, s := range []string{"DPoP abc", "dpop a.b.c", "DPoP", "DPoP a b", "DPoPx y", "Bearer abc", " DPoP  a=  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		scheme, token, err := middleware.ParseAuthorizationScheme([]string{v})
		bearerTok, _ := middleware.ParseAuthorization([]string{v})
		m := schemeGrammar.FindStringSubmatch(v)
		if m != nil {
			want := middleware.SchemeBearer
			if strings.EqualFold(m[1], "dpop") {
				want = middleware.SchemeDPoP
			}
			if err != nil || token != m[2] || scheme != want {
				t.Fatalf("ParseAuthorizationScheme(%q) = %q, %q, %v; want %q, %q", v, scheme, token, err, want, m[2])
			}
			if (want == middleware.SchemeDPoP) != (bearerTok == "") {
				t.Fatalf("ParseAuthorization(%q) = %q", v, bearerTok)
			}
			return
		}
		if token != "" || bearerTok != "" {
			t.Fatalf("ParseAuthorizationScheme(%q) = %q, %q; want refusal", v, scheme, token)
		}
		if err != nil && scheme == "" {
			t.Fatalf("ParseAuthorizationScheme(%q) = error %v without its scheme", v, err)
		}
	})
}
