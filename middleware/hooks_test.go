package middleware

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/middleware/jwks"
)

// TestSlogHooksForeignError checks that SlogHooks logs an [*Error] built by
// a key source or introspector of the user's own, which may leave Reason
// nil, without panicking on the request's path.
func TestSlogHooksForeignError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string // in the log line
	}{
		{"no reason", &Error{Kind: ErrInvalidToken, Description: "revoked"}, `code=invalid_token reason=""`},
		{"reason", InvalidToken(ErrExpired, nil), `reason="token expired"`},
		{"plain error", errors.New("boom"), `reason="authorization server unavailable"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := SlogHooks(slog.New(slog.NewTextHandler(&buf, nil)))
			h.Decided(context.Background(), DecisionEvent{Issuer: "https://as", Err: tt.err})
			if got := buf.String(); !strings.Contains(got, tt.want) {
				t.Errorf("SlogHooks logged %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

// TestStartNeedsItsEndHook checks that Start opens only operations whose end
// hook is set, so that a tracer never opens a span nothing ends.
func TestStartNeedsItsEndHook(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		hooks Hooks
		want  []Operation // the operations Start opens, in order
	}{
		{"no end hooks", Hooks{}, nil},
		{"decisions", Hooks{Decided: func(context.Context, DecisionEvent) {}}, []Operation{OpDecision}},
		{"introspection", Hooks{Introspected: func(context.Context, IntrospectionEvent) {}}, []Operation{OpIntrospection}},
		{"fetch and discovery", Hooks{KeysFetched: func(context.Context, jwks.FetchEvent) {}, Discovered: func(context.Context, jwks.DiscoveryEvent) {}}, []Operation{OpKeyFetch, OpDiscovery}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []Operation
			h := tt.hooks
			h.Start = func(ctx context.Context, op Operation) context.Context {
				got = append(got, op)
				return ctx
			}
			for _, op := range []Operation{OpDecision, OpKeyFetch, OpDiscovery, OpIntrospection} {
				if ctx := h.start(context.Background(), op); ctx == nil {
					t.Fatalf("start(%v) returned a nil context", op)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Start opened %v, want %v", got, tt.want)
			}
		})
	}
	var nilHooks *Hooks
	if nilHooks.start(context.Background(), OpDecision) == nil {
		t.Error("nil Hooks: start returned a nil context")
	}
	if s := Operation(9).String(); s != "unknown" || OpKeyFetch.String() != "jwks_fetch" {
		t.Errorf("Operation names: %q, %q", s, OpKeyFetch.String())
	}
}
