package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/middleware"
)

func TestStatusAndChallenge(t *testing.T) {
	missing := &middleware.Error{Kind: middleware.ErrMissingToken, Reason: middleware.ErrMissingToken, Description: "no access token"}
	tests := []struct {
		name      string
		err       error
		realm     string
		status    int
		challenge string
	}{
		{"nil", nil, "api", 200, ""},
		{"missing", missing, "api", 401, `Bearer realm="api"`},
		{"missing, no realm", missing, "", 401, `Bearer`},
		{"expired", middleware.InvalidToken(middleware.ErrExpired, nil), "api", 401,
			`Bearer realm="api", error="invalid_token", error_description="token expired"`},
		{"expired, no realm", middleware.InvalidToken(middleware.ErrExpired, nil), "", 401,
			`Bearer error="invalid_token", error_description="token expired"`},
		{"cause never shown", middleware.InvalidToken(middleware.ErrBadSignature, errors.New("secret eyJhbGciOi")), "api", 401,
			`Bearer realm="api", error="invalid_token", error_description="signature verification failed"`},
		{"wrapped", fmt.Errorf("handler: %w", middleware.InvalidToken(middleware.ErrInactive, nil)), "api", 401,
			`Bearer realm="api", error="invalid_token", error_description="token not active"`},
		{"insufficient scope", middleware.InsufficientScope("orders:read admin"), "api", 403,
			`Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:read admin"`},
		{"insufficient scope, bad tokens dropped", middleware.InsufficientScope("ok bad\"one  x\u00e9 z"), "api", 403,
			`Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="ok z"`},
		{"insufficient scope, none valid", middleware.InsufficientScope("\"\""), "api", 403,
			`Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope"`},
		{"invalid request", &middleware.Error{Kind: middleware.ErrInvalidRequest, Reason: middleware.ErrMultipleTokens, Description: "more than one access token in request"}, "api", 400,
			`Bearer realm="api", error="invalid_request", error_description="more than one access token in request"`},
		{"unavailable", middleware.Unavailable(middleware.ErrKeysUnavailable, errors.New("timeout")), "api", 503, ""},
		{"unknown error is unavailable", errors.New("boom"), "api", 503, ""},
		{"canceled is unavailable", context.Canceled, "api", 503, ""},
		{"realm escaping", missing, `a"b\c`, 401, `Bearer realm="a\"b\\c"`},
		{"realm control chars", missing, "a\r\nX-Injected: 1\u00e9", 401, `Bearer realm="a??X-Injected: 1?"`},
		{"description sanitized", &middleware.Error{Kind: middleware.ErrInvalidToken, Description: "bad \"kid\" \\ \r\n\x00 caf\u00e9\x7f"}, "api", 401,
			`Bearer realm="api", error="invalid_token", error_description="bad 'kid' ? ??? caf??"`},
		{"description empty", &middleware.Error{Kind: middleware.ErrInvalidToken}, "api", 401,
			`Bearer realm="api", error="invalid_token"`},
		{"description truncated", &middleware.Error{Kind: middleware.ErrInvalidToken, Description: strings.Repeat("x", 300)}, "api", 401,
			`Bearer realm="api", error="invalid_token", error_description="` + strings.Repeat("x", 256) + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := middleware.Status(tt.err); got != tt.status {
				t.Errorf("Status(%v) = %d, want %d", tt.err, got, tt.status)
			}
			got := middleware.Challenge(tt.err, tt.realm)
			if got != tt.challenge {
				t.Errorf("Challenge(%v, %q) =\n  %s\nwant\n  %s", tt.err, tt.realm, got, tt.challenge)
			}
			for i := 0; i < len(got); i++ {
				if got[i] < 0x20 || got[i] > 0x7e {
					t.Errorf("Challenge(%v) has byte %#x", tt.err, got[i])
				}
			}
		})
	}
}

func TestSafeDescription(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{middleware.InvalidToken(middleware.ErrExpired, errors.New("exp 123")), "token expired"},
		{errors.New("dial tcp: secret-host"), "authorization server unavailable"},
		{&middleware.Error{Kind: middleware.ErrInvalidToken, Description: "a\"b\\c\td"}, "a'b?c?d"},
	}
	for _, tt := range tests {
		if got := middleware.SafeDescription(tt.err); got != tt.want {
			t.Errorf("SafeDescription(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestChallengeScope checks GuardConfig.ChallengeScope: the scope attribute
// of the 401 challenges for a missing or invalid token, of each scheme's
// challenge, before resource_metadata; not of a 403 (which names its own
// scopes), a step-up 401, a DPoP proof's 401, a 400 or a 503; and a
// ChallengeScope that is not valid scope tokens is refused.
func TestChallengeScope(t *testing.T) {
	f := newHTFixture(t)
	const scope = `scope="mcp:tools profile"`
	md := `resource_metadata="https://api.example.test/.well-known/oauth-protected-resource"`
	missing := &middleware.Error{Kind: middleware.ErrMissingToken, Reason: middleware.ErrMissingToken}
	stepUp := middleware.AsError(f.v.Check(&middleware.Claims{ACR: "pwd"}, middleware.ACR("mfa")))
	if stepUp.Code() != middleware.CodeInsufficientUserAuthentication {
		t.Fatalf("Check(acr pwd, ACR(mfa)) = %v, want a step-up refusal", stepUp)
	}
	tests := []struct {
		name string
		cfg  middleware.GuardConfig
		err  error
		want []string
	}{
		{"missing", middleware.GuardConfig{}, missing, []string{`Bearer realm="api", ` + scope}},
		{"invalid", middleware.GuardConfig{}, middleware.InvalidToken(middleware.ErrExpired, nil),
			[]string{`Bearer realm="api", error="invalid_token", error_description="token expired", ` + scope}},
		{"insufficient scope", middleware.GuardConfig{}, middleware.InsufficientScope("orders:write"),
			[]string{`Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:write"`}},
		{"step-up", middleware.GuardConfig{}, stepUp, []string{middleware.Challenge(stepUp, "api")}},
		{"invalid request", middleware.GuardConfig{}, &middleware.Error{Kind: middleware.ErrInvalidRequest, Reason: middleware.ErrMultipleTokens},
			[]string{`Bearer realm="api", error="invalid_request"`}},
		{"unavailable", middleware.GuardConfig{}, middleware.Unavailable(middleware.ErrKeysUnavailable, nil), nil},
		{"with metadata", middleware.GuardConfig{Metadata: &middleware.ResourceMetadata{Resource: htAudience}}, missing,
			[]string{`Bearer realm="api", ` + scope + `, ` + md}},
		{"with DPoP", middleware.GuardConfig{DPoPMode: middleware.DPoPAllowed}, missing,
			[]string{`Bearer realm="api", ` + scope, `DPoP realm="api", algs="` + strings.Join(f.v.DPoPAlgorithms(), " ") + `", ` + scope}},
		{"DPoP proof", middleware.GuardConfig{DPoPMode: middleware.DPoPAllowed}, &middleware.Error{Kind: middleware.ErrInvalidToken, Reason: middleware.ErrDPoPMalformed},
			nil}, // checked against the guard without ChallengeScope below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plainCfg := tt.cfg
			cfg := tt.cfg
			cfg.ChallengeScope = "mcp:tools profile"
			g, plain := htGuard(t, f.v, &cfg), htGuard(t, f.v, &plainCfg)
			h, hp := http.Header{}, http.Header{}
			status, plainStatus := g.ErrorHeaders(h, http.Header{}, tt.err), plain.ErrorHeaders(hp, http.Header{}, tt.err)
			want := tt.want
			if tt.name == "DPoP proof" {
				want = hp.Values("WWW-Authenticate") // unchanged by ChallengeScope
				if len(want) == 0 || strings.Contains(strings.Join(want, "\n"), "scope=") {
					t.Fatalf("the DPoP proof refusal's challenges %q", want)
				}
			}
			if got := h.Values("WWW-Authenticate"); !slices.Equal(got, want) || status != plainStatus {
				t.Errorf("WWW-Authenticate =\n  %q (status %d)\nwant\n  %q (status %d)", got, status, want, plainStatus)
			}
		})
	}
	for _, bad := range []string{`a"b`, "a  b", " a", "caf\u00e9"} {
		if _, err := middleware.NewGuard(f.v, &middleware.GuardConfig{ChallengeScope: bad}); err == nil {
			t.Errorf("NewGuard(ChallengeScope %q) succeeded, want an error", bad)
		}
	}
}
