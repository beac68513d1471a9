package middleware_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/middleware"
)

// bearerGrammar is RFC 6750 §2.1 transcribed literally (with the field
// value's surrounding white space, RFC 9110 §5.5), as the reference.
var bearerGrammar = regexp.MustCompile(`^[ \t]*(?i:bearer) +([A-Za-z0-9\-._~+/]+=*)[ \t]*$`)

// FuzzParseAuthorization checks that ParseAuthorization never panics, accepts
// exactly what the RFC 6750 grammar accepts and returns that token, and
// treats every other scheme as no credentials.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer a.b.c", "Bearer", "Bearer a b", "Basic eA==", "Bearer\tx", "Bearer ==", "Bearerx y", "  Bearer  a=  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		token, err := middleware.ParseAuthorization([]string{v})
		m := bearerGrammar.FindStringSubmatch(v)
		if m != nil {
			if err != nil || token != m[1] {
				t.Fatalf("ParseAuthorization(%q) = %q, %v, want %q (RFC 6750 §2.1)", v, token, err, m[1])
			}
			return
		}
		if token != "" {
			t.Fatalf("ParseAuthorization(%q) = %q, want refusal (not RFC 6750 §2.1)", v, token)
		}
		// A refusal is an error exactly when the scheme is Bearer.
		trimmed := strings.TrimLeft(v, " \t")
		bearer := len(trimmed) >= 6 && strings.EqualFold(trimmed[:6], "bearer") &&
			(len(strings.TrimRight(trimmed, " \t")) == 6 || !isTChar(trimmed[6]))
		if (err != nil) != bearer {
			t.Fatalf("ParseAuthorization(%q) error = %v, want error %v", v, err, bearer)
		}
		if err != nil && middleware.Status(err) != 400 {
			t.Fatalf("Status(ParseAuthorization(%q)) = %d, want 400", v, middleware.Status(err))
		}
	})
}

func isTChar(c byte) bool {
	return c < 0x80 && (('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0)
}
