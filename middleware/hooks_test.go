package middleware

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
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
