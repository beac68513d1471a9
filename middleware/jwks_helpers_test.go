package middleware_test

import (
	"testing"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// The validator's side of the key-source tests; the fixtures both sides
// share are in internal/guardtest (jwks.go).

// jwksValidator returns a validator for as's tokens with keys. A negative
// cacheSize turns the verified-token cache off, so that every validation
// looks its key up.
func jwksValidator(t *testing.T, as *oauthtest.Server, keys jwks.Source, clock *guardtest.Clock, cacheSize int) *middleware.Validator {
	t.Helper()
	cfg := &middleware.Config{CacheSize: cacheSize}
	if clock != nil {
		cfg.Now = clock.Now
	}
	v, err := middleware.NewValidator(middleware.Issuer{
		URL:        as.Issuer(),
		Audiences:  []string{oauthtest.DefaultAudience},
		Keys:       keys,
		Algorithms: middleware.DefaultAlgorithms(),
	}, cfg)
	if err != nil {
		t.Fatalf("NewValidator = %v", err)
	}
	return v
}

// jwksMustValidate fails the test unless v accepts token.
func jwksMustValidate(t *testing.T, v *middleware.Validator, token, what string) *middleware.Claims {
	t.Helper()
	c, err := v.Validate(t.Context(), token)
	if err != nil {
		t.Fatalf("%s: Validate = %v, want nil error", what, err)
	}
	return c
}
