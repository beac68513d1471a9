package middleware_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/middleware"
)

func TestParseAuthorization(t *testing.T) {
	long := strings.Repeat("a", 10000)
	tests := []struct {
		name   string
		values []string
		token  string
		reason error // nil: no error
	}{
		{"absent", nil, "", nil},
		{"empty value", []string{""}, "", nil},
		{"bearer", []string{"Bearer abc.DEF-_~+/9=="}, "abc.DEF-_~+/9==", nil},
		{"lower-case scheme", []string{"bearer abc"}, "abc", nil},
		{"mixed-case scheme", []string{"BeArEr abc"}, "abc", nil},
		{"several spaces (1*SP)", []string{"Bearer   abc"}, "abc", nil},
		{"surrounding white space", []string{" \tBearer abc \t"}, "abc", nil},
		{"long token", []string{"Bearer " + long}, long, nil},
		{"basic", []string{"Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, "", nil},
		{"digest", []string{`Digest username="a"`}, "", nil},
		{"dpop", []string{"DPoP abc"}, "", nil},
		{"longer scheme", []string{"Bearerx abc"}, "", nil},
		{"short value", []string{"Bea"}, "", nil},
		{"no credentials", []string{"Bearer"}, "", middleware.ErrMalformedHeader},
		{"only spaces after scheme", []string{"Bearer    "}, "", middleware.ErrMalformedHeader},
		{"tab separator", []string{"Bearer\tabc"}, "", middleware.ErrMalformedHeader},
		{"comma after scheme", []string{"Bearer,abc"}, "", middleware.ErrMalformedHeader},
		{"two tokens", []string{"Bearer abc def"}, "", middleware.ErrMalformedHeader},
		{"combined challenges", []string{"Bearer abc, Bearer def"}, "", middleware.ErrMalformedHeader},
		{"inner tab", []string{"Bearer ab\tc"}, "", middleware.ErrMalformedHeader},
		{"padding in the middle", []string{"Bearer ab=c"}, "", middleware.ErrMalformedHeader},
		{"only padding", []string{"Bearer ==="}, "", middleware.ErrMalformedHeader},
		{"quoted token", []string{`Bearer "abc"`}, "", middleware.ErrMalformedHeader},
		{"auth-param form", []string{`Bearer token="abc"`}, "", middleware.ErrMalformedHeader},
		{"non-ASCII", []string{"Bearer ab\u00e7"}, "", middleware.ErrMalformedHeader},
		{"NUL", []string{"Bearer ab\x00"}, "", middleware.ErrMalformedHeader},
		{"newline", []string{"Bearer ab\nc"}, "", middleware.ErrMalformedHeader},
		{"two values", []string{"Bearer abc", "Bearer abc"}, "", middleware.ErrMultipleTokens},
		{"bearer and basic", []string{"Basic eA==", "Bearer abc"}, "", middleware.ErrMultipleTokens},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, err := middleware.ParseAuthorization(tt.values)
			if token != tt.token || (err == nil) != (tt.reason == nil) {
				t.Fatalf("ParseAuthorization(%q) = %q, %v, want %q, %v", tt.values, token, err, tt.token, tt.reason)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, tt.reason) || !errors.Is(err, middleware.ErrInvalidRequest) {
				t.Errorf("ParseAuthorization(%q) = %v, want invalid_request (%v)", tt.values, err, tt.reason)
			}
			if middleware.Status(err) != 400 {
				t.Errorf("Status(%v) = %d, want 400", err, middleware.Status(err))
			}
		})
	}
}

func TestIsB64Token(t *testing.T) {
	for s, want := range map[string]bool{
		"a": true, "A0-._~+/": true, "abc==": true, "a=": true,
		"": false, "=": false, "a=b": false, "a b": false, "a,b": false, "a\"": false, "é": false,
	} {
		if got := middleware.IsB64Token(s); got != want {
			t.Errorf("IsB64Token(%q) = %v, want %v", s, got, want)
		}
	}
}
