package introspection_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

const apiAudience = "https://api.example.test"

// hybrid is one validator with JWKS and introspection for one issuer.
type hybrid struct {
	as *oauthtest.Server
	v  *middleware.Validator
}

func newHybrid(t *testing.T) *hybrid {
	t.Helper()
	as := oauthtest.NewServer(&oauthtest.Config{Audience: apiAudience})
	t.Cleanup(as.Close)
	as.AddClient(oauthtest.Client{ID: testClientID, Secret: testSecret})
	keys, err := jwks.NewRemote(context.Background(), as.Issuer(), nil)
	if err != nil {
		t.Fatalf("NewRemoteKeys: %v", err)
	}
	t.Cleanup(func() { _ = keys.Close() })
	in, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic(testClientID, testSecret), nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{
		URL: as.Issuer(), Audiences: []string{apiAudience}, Keys: keys, Introspector: in,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &hybrid{as: as, v: v}
}

func (h *hybrid) introspections() int { return h.as.Requests(oauthtest.EndpointIntrospection) }

// A JWT from the trusted issuer is validated locally, with no introspection
// request; an opaque token goes to introspection.
func TestHybridValidator(t *testing.T) {
	h := newHybrid(t)
	ctx := context.Background()
	jwt := h.as.Token(oauthtest.TokenOptions{Subject: "jwt-user", Scopes: []string{"read"}})
	for range 3 {
		c, err := h.v.Validate(ctx, jwt)
		if err != nil || c.Subject != "jwt-user" {
			t.Fatalf("Validate(JWT) = %+v, %v; want jwt-user", c, err)
		}
	}
	if n := h.introspections(); n != 0 {
		t.Errorf("introspection requests after JWTs = %d, want 0", n)
	}

	opaque := h.as.OpaqueToken(oauthtest.TokenOptions{Subject: "opaque-user", Scopes: []string{"write"}})
	for range 3 {
		c, err := h.v.Validate(ctx, opaque)
		if err != nil || c.Subject != "opaque-user" || !c.Scopes.Has("write") || c.Issuer != h.as.Issuer() {
			t.Fatalf("Validate(opaque) = %+v, %v; want opaque-user from %s", c, err, h.as.Issuer())
		}
	}
	if n := h.introspections(); n != 1 {
		t.Errorf("introspection requests after one opaque token thrice = %d, want 1", n)
	}
}

// A JWT from an untrusted issuer is refused without introspection, even
// though an introspector is configured: it never becomes "opaque".
func TestHybridUntrustedJWTNotIntrospected(t *testing.T) {
	h := newHybrid(t)
	other := oauthtest.NewServer(&oauthtest.Config{Audience: apiAudience})
	defer other.Close()
	_, err := h.v.Validate(context.Background(), other.Token(oauthtest.TokenOptions{}))
	if !isKind(err, middleware.ErrInvalidToken, middleware.ErrIssuerMismatch) {
		t.Errorf("Validate(JWT from another issuer) = %v, want invalid_token ErrIssuerMismatch", err)
	}
	if n := h.introspections(); n != 0 {
		t.Errorf("introspection requests = %d, want 0", n)
	}
}

func TestHybridInactiveAndOutage(t *testing.T) {
	h := newHybrid(t)
	ctx := context.Background()
	revoked := h.as.OpaqueToken(oauthtest.TokenOptions{})
	h.as.Revoke(revoked)
	_, err := h.v.Validate(ctx, revoked)
	checkInactive(t, err)
	if e := middleware.AsError(err); e.Code() != middleware.CodeInvalidToken {
		t.Errorf("Validate(revoked).Code() = %q, want invalid_token", e.Code())
	}

	h.as.SetFault(oauthtest.EndpointIntrospection, oauthtest.Fault{Status: 500})
	fresh := h.as.OpaqueToken(oauthtest.TokenOptions{})
	_, err = h.v.Validate(ctx, fresh)
	checkUnavailable(t, err, fresh)
	if e := middleware.AsError(err); e.Code() != "" {
		t.Errorf("Validate during outage: Code() = %q, want none (503)", e.Code())
	}
}

// The core checks introspected claims like a JWT's where present (RFC 7662
// §4): the introspector passes them through unchanged.
func TestHybridChecksIntrospectedClaims(t *testing.T) {
	clk := newClock()
	now := clk.Now().Unix()
	e := newEndpoint(t)
	const issuer = "https://as.example.test"
	in := newIntrospector(t, e, &introspection.Config{Now: clk.Now})
	v, err := middleware.NewValidator(middleware.Issuer{URL: issuer, Audiences: []string{apiAudience}, Introspector: in},
		&middleware.Config{Now: clk.Now, ClockSkew: -1})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		body   string
		reason error // nil: accepted
		calls  int64 // endpoint calls for two validations
	}{
		{"all present", fmt.Sprintf(`{"active":true,"iss":%q,"aud":%q,"exp":%d,"sub":"u"}`, issuer, apiAudience, now+60), nil, 1},
		{"minimal", `{"active":true,"sub":"u"}`, nil, 1},
		{"bearer type", `{"active":true,"token_type":"Bearer"}`, nil, 1},
		{"expired", fmt.Sprintf(`{"active":true,"exp":%d}`, now-1), middleware.ErrExpired, 2},
		{"not yet valid", fmt.Sprintf(`{"active":true,"nbf":%d}`, now+60), middleware.ErrNotYetValid, 1},
		{"other issuer", `{"active":true,"iss":"https://evil.example.test"}`, middleware.ErrIssuerMismatch, 1},
		{"other audience", `{"active":true,"aud":"https://other.example.test"}`, middleware.ErrAudienceMismatch, 1},
		{"refresh token", `{"active":true,"token_type":"refresh_token"}`, middleware.ErrWrongType, 1},
		{"inactive", `{"active":false}`, middleware.ErrInactive, 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := fmt.Sprintf("opaque-%d", i)
			e.set(token, tt.body)
			before := e.calls.Load()
			for range 2 { // the second answer comes from the introspection cache
				c, err := v.Validate(context.Background(), token)
				if tt.reason == nil {
					if err != nil || c == nil {
						t.Fatalf("Validate(%s) = %v, %v; want accepted", tt.name, c, err)
					}
					continue
				}
				if !isKind(err, middleware.ErrInvalidToken, tt.reason) {
					t.Fatalf("Validate(%s) = %v, want invalid_token %v", tt.name, err, tt.reason)
				}
			}
			// Results are cached whatever the core decides, except one
			// already past its "exp".
			if n := e.calls.Load() - before; n != tt.calls {
				t.Errorf("endpoint calls = %d, want %d", n, tt.calls)
			}
		})
	}
}

// A token cached as active stops being accepted at its "exp", even though
// the cache entry would have lived longer without it.
func TestHybridCachedTokenExpires(t *testing.T) {
	clk := newClock()
	e := newEndpoint(t)
	e.set(testToken, fmt.Sprintf(`{"active":true,"exp":%d}`, clk.Now().Add(10*time.Second).Unix()))
	in := newIntrospector(t, e, &introspection.Config{Now: clk.Now, CacheTTL: time.Hour})
	v, err := middleware.NewValidator(middleware.Issuer{URL: "https://as.example.test", Audiences: []string{apiAudience}, Introspector: in},
		&middleware.Config{Now: clk.Now, ClockSkew: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Validate(context.Background(), testToken); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second)
	e.fail(503, nil) // the refetch fails: the old result must not be reused
	_, err = v.Validate(context.Background(), testToken)
	checkUnavailable(t, err, testToken)
}
