package middleware_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// misconfigRecorder records the Misconfigured hook's calls.
type misconfigRecorder struct {
	mu  sync.Mutex
	got []middleware.Misconfiguration
}

func (r *misconfigRecorder) hooks() *middleware.Hooks {
	return &middleware.Hooks{Misconfigured: func(_ context.Context, m middleware.Misconfiguration) {
		r.mu.Lock()
		r.got = append(r.got, m)
		r.mu.Unlock()
	}}
}

func (r *misconfigRecorder) list() []middleware.Misconfiguration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]middleware.Misconfiguration(nil), r.got...)
}

func misconfigValidator(t *testing.T, as *oauthtest.Server, iss middleware.Issuer, h *middleware.Hooks) *middleware.Validator {
	t.Helper()
	keys, err := jwks.NewRemote(t.Context(), as.Issuer(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keys.Close() })
	iss.Keys = keys
	if len(iss.Audiences) == 0 {
		iss.Audiences = []string{oauthtest.DefaultAudience}
	}
	v, err := middleware.NewValidator(iss, &middleware.Config{Hooks: h, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMisconfigurationLoggedOnce: each refusal the configuration causes is
// reported once per distinct cause, with the expected and received values;
// its hint is in the refusal for the CLI; the client's description stays
// generic.
func TestMisconfigurationLoggedOnce(t *testing.T) {
	as := guardtest.Server(t, nil, "ES256")
	for _, tc := range []struct {
		name     string
		iss      middleware.Issuer
		token    func(i int) string
		rule     middleware.Rule
		expected string
		received string
		hint     string
		reason   error
	}{
		{name: "typ JWT", iss: middleware.Issuer{URL: as.Issuer()},
			token: func(i int) string {
				return as.Token(oauthtest.TokenOptions{Header: map[string]any{"typ": "JWT"}, Subject: fmt.Sprint("u", i)})
			},
			rule: middleware.RuleTyp, expected: `["at+jwt"]`, received: `"JWT"`, hint: "CompatTypes", reason: middleware.ErrWrongType},
		{name: "issuer with a trailing slash", iss: middleware.Issuer{URL: as.Issuer() + "/"},
			token: func(i int) string { return as.Token(oauthtest.TokenOptions{Subject: fmt.Sprint("u", i)}) },
			rule:  middleware.RuleIss, expected: fmt.Sprintf("%q", as.Issuer()+"/"), received: fmt.Sprintf("%q", as.Issuer()), hint: "trailing slash", reason: middleware.ErrIssuerMismatch},
		{name: "another audience", iss: middleware.Issuer{URL: as.Issuer(), Audiences: []string{"https://orders.example.test"}},
			token: func(i int) string { return as.Token(oauthtest.TokenOptions{Subject: fmt.Sprint("u", i)}) },
			rule:  middleware.RuleAud, expected: `["https://orders.example.test"]`, received: fmt.Sprintf("[%q]", oauthtest.DefaultAudience), hint: "another audience", reason: middleware.ErrAudienceMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec misconfigRecorder
			v := misconfigValidator(t, as, tc.iss, rec.hooks())
			for i := range 5 {
				_, err := v.Validate(context.Background(), tc.token(i))
				if !errors.Is(err, tc.reason) {
					t.Fatalf("Validate = %v, want %v", err, tc.reason)
				}
				m := middleware.MisconfigurationOf(err)
				if m == nil || !strings.Contains(m.Hint, tc.hint) {
					t.Fatalf("refusal's misconfiguration = %+v, want a hint with %q", m, tc.hint)
				}
				if d := middleware.AsError(err).Description; strings.Contains(d, tc.hint) {
					t.Errorf("description %q shows the hint to the client", d)
				}
			}
			got := rec.list()
			if len(got) != 1 {
				t.Fatalf("Misconfigured called %d times for 5 refusals of one cause, want 1", len(got))
			}
			if m := got[0]; m.Rule != tc.rule || m.Expected != tc.expected || m.Received != tc.received {
				t.Errorf("Misconfigured(%+v), want rule %s expected %s received %s", m, tc.rule, tc.expected, tc.received)
			}
		})
	}
}

// TestMisconfigurationBounded: received values are quoted and truncated,
// and an attacker varying them reaches at most 64 reports.
func TestMisconfigurationBounded(t *testing.T) {
	as := guardtest.Server(t, nil, "ES256")
	var rec misconfigRecorder
	v := misconfigValidator(t, as, middleware.Issuer{URL: as.Issuer(), Audiences: []string{"https://orders.example.test"}}, rec.hooks())
	long := strings.Repeat("é", 100) + "\n\x00"
	for i := range 100 {
		v.Validate(context.Background(), as.Token(oauthtest.TokenOptions{Audience: []string{fmt.Sprint(i, long)}}))
	}
	got := rec.list()
	if len(got) != 64 {
		t.Fatalf("%d reports for 100 distinct audiences, want the bound, 64", len(got))
	}
	for _, m := range got {
		if len(m.Received) > 2*70 || !strings.HasSuffix(m.Received, "…]") || strings.ContainsAny(m.Received, "\n\x00") {
			t.Fatalf("Received = %s, want quoted and truncated", m.Received)
		}
	}
}

// TestSlogHooksMisconfigured: SlogHooks logs a misconfiguration at Error with
// what was expected and received and the hint.
func TestSlogHooksMisconfigured(t *testing.T) {
	as := guardtest.Server(t, nil, "ES256")
	var buf bytes.Buffer
	h := middleware.SlogHooks(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError})))
	v := misconfigValidator(t, as, middleware.Issuer{URL: as.Issuer()}, h)
	for range 3 {
		v.Validate(context.Background(), as.Token(oauthtest.TokenOptions{Header: map[string]any{"typ": "JWT"}}))
	}
	out := buf.String()
	if strings.Count(out, "level=ERROR") != 1 || !strings.Contains(out, `received="\"JWT\""`) || !strings.Contains(out, "CompatTypes") {
		t.Errorf("log = %q, want one Error line with the received typ and the hint", out)
	}
}

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"JWT", `"JWT"`},
		{"a\nb", `"a\nb"`},
		{strings.Repeat("x", 64), `"` + strings.Repeat("x", 64) + `"`},
		{strings.Repeat("x", 65), `"` + strings.Repeat("x", 64) + `"…`},
		{strings.Repeat("x", 63) + "é", `"` + strings.Repeat("x", 63) + `"…`},
	} {
		if got := middleware.Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestMisconfigurationSwappedKeys: an issuer given another issuer's key
// source refuses its tokens as of an unknown key, with a hint that names
// the issuer whose set holds the key.
func TestMisconfigurationSwappedKeys(t *testing.T) {
	a, b := guardtest.Server(t, nil, "ES256"), guardtest.Server(t, nil, "ES256")
	keysOf := func(as *oauthtest.Server) *jwks.Remote {
		rk, err := jwks.NewRemote(t.Context(), as.Issuer(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rk.Close() })
		return rk
	}
	aud := []string{oauthtest.DefaultAudience}
	v, err := middleware.NewMultiIssuerValidator([]middleware.Issuer{
		{URL: a.Issuer(), Audiences: aud, Keys: keysOf(b)}, // swapped
		{URL: b.Issuer(), Audiences: aud, Keys: keysOf(a)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Validate(context.Background(), a.Token(oauthtest.TokenOptions{}))
	m := middleware.MisconfigurationOf(err)
	if !errors.Is(err, middleware.ErrUnknownKey) || m == nil || !strings.Contains(m.Received, b.Issuer()) || !strings.Contains(m.Hint, "another configured issuer") {
		t.Fatalf("Validate(a's token, keys swapped) = %v (%+v), want unknown key with a hint naming b's set", err, m)
	}
	// A kid no configured set holds is an unknown key, not a misconfiguration.
	_, err = v.Validate(context.Background(), a.Token(oauthtest.TokenOptions{Header: map[string]any{"kid": "nobody's"}}))
	if !errors.Is(err, middleware.ErrUnknownKey) || middleware.MisconfigurationOf(err) != nil {
		t.Errorf("Validate(unknown kid) = %v, want unknown key without a misconfiguration", err)
	}
}
