package middleware

import (
	"context"
	"errors"
	"testing"

	"github.com/rsguard/rsguard/middleware/jwks"
)

// nilKeys is a buggy jwks.Source that returns neither a key nor an error.
type nilKeys struct{}

func (nilKeys) LookupKey(context.Context, string) (*jwks.Key, error) { return nil, nil }

// nilIntrospector is a buggy Introspector that returns neither claims nor an
// error.
type nilIntrospector struct{}

func (nilIntrospector) Introspect(context.Context, string) (*Claims, error) { return nil, nil }

// TestForeignNilResults checks that a user's jwks.Source or Introspector that
// returns (nil, nil) makes Validate answer ErrUnavailable — neither accept
// nor blame the token — instead of panicking on the request's path.
func TestForeignNilResults(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "ES256")
	tests := []struct {
		name   string
		is     Issuer
		token  string
		reason error
	}{
		{"key source", Issuer{URL: testIssuer, Audiences: []string{testAudience}, Keys: nilKeys{}}, k.token(), ErrKeysUnavailable},
		{"introspector, opaque", Issuer{URL: testIssuer, Audiences: []string{testAudience}, Introspector: nilIntrospector{}}, "opaque-token", ErrIntrospectionError},
		{"introspector, JWT", Issuer{URL: testIssuer, Audiences: []string{testAudience}, Introspector: nilIntrospector{}}, k.token(), ErrIntrospectionError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewValidator(tt.is, &Config{Now: fixedNow(testNow)})
			if err != nil {
				t.Fatal(err)
			}
			c, err := v.Validate(context.Background(), tt.token)
			if c != nil || !errors.Is(err, ErrUnavailable) || !errors.Is(err, tt.reason) {
				t.Errorf("Validate(%.20q…) = %v, %v; want nil, %v and %v", tt.token, c, err, ErrUnavailable, tt.reason)
			}
		})
	}
}
