package rpcerr

import (
	"errors"
	"testing"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
)

// TestCode checks the table against guardtest's, which numbers the codes
// every RPC front door must answer.
func TestCode(t *testing.T) {
	for _, tt := range []struct {
		kind error
		want uint32
	}{
		{middleware.ErrMissingToken, guardtest.CodeUnauthenticated},
		{middleware.ErrInvalidToken, guardtest.CodeUnauthenticated},
		{middleware.ErrInsufficientScope, guardtest.CodePermissionDenied},
		{middleware.ErrInvalidRequest, guardtest.CodeInvalidArgument},
		{middleware.ErrUnavailable, guardtest.CodeUnavailable},
		{errors.New("other"), guardtest.CodeUnavailable},
	} {
		if got := Code(tt.kind); got != tt.want {
			t.Errorf("Code(%v) = %d, want %d", tt.kind, got, tt.want)
		}
	}
}

func TestMessage(t *testing.T) {
	f := guardtest.New(t)
	for _, c := range f.Cases() {
		if c.Kind == nil {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			_, err := f.Validator.Admit(t.Context(), &middleware.Credentials{Authorization: c.Authorization}, guardtest.Requirement)
			msg := Message("x: ", middleware.AsError(err))
			c.CheckGRPC(t, Code(middleware.AsError(err).Kind), msg, "")
			if c.Name == "missing_scope" && msg != `x: the token lacks a required scope (scope="`+guardtest.Scope+`")` {
				t.Errorf("message = %q, want the scope named", msg)
			}
		})
	}
}
