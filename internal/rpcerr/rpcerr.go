// Package rpcerr is how the RPC adapters (adapters/grpcguard,
// adapters/connectguard) answer a refusal of the core: the status code of
// each category and the status message. gRPC and Connect number their codes
// alike (google.golang.org/grpc/codes, connect.Code), so one table serves
// both without this module depending on either.
package rpcerr

import (
	"strings"

	"github.com/rsguard/rsguard/middleware"
)

// Status codes, numbered as gRPC and Connect number them.
const (
	InvalidArgument  uint32 = 3
	PermissionDenied uint32 = 7
	Unavailable      uint32 = 14
	Unauthenticated  uint32 = 16
)

// Code returns the status code that answers a refusal of category kind (an
// [*middleware.Error]'s Kind):
//
//	ErrMissingToken, ErrInvalidToken  Unauthenticated
//	ErrInsufficientScope              PermissionDenied
//	ErrInvalidRequest                 InvalidArgument
//	ErrUnavailable, anything else     Unavailable
func Code(kind error) uint32 {
	switch kind {
	case middleware.ErrMissingToken, middleware.ErrInvalidToken:
		return Unauthenticated
	case middleware.ErrInsufficientScope:
		return PermissionDenied
	case middleware.ErrInvalidRequest:
		return InvalidArgument
	}
	return Unavailable
}

// Message returns the status message of the refusal e: prefix ("grpcguard:
// "), the reason as the challenge's error_description says it, for a
// missing scope the scope that would satisfy the requirement, and for a
// step-up refusal (RFC 9470 §3) what a new authentication must meet:
// `(acr_values="gold" max_age="300")`. It never holds the token.
func Message(prefix string, e *middleware.Error) string {
	msg := prefix + middleware.SafeDescription(e)
	if e.Kind == middleware.ErrInsufficientScope && e.Scope != "" {
		msg += ` (scope="` + e.Scope + `")` // scope-tokens: no quote or backslash (RFC 6749 §3.3)
	}
	if acr, maxAge := middleware.StepUpAttributes(e); acr != "" || maxAge != "" {
		var parts []string
		if acr != "" {
			parts = append(parts, `acr_values="`+acr+`"`)
		}
		if maxAge != "" {
			parts = append(parts, `max_age="`+maxAge+`"`)
		}
		msg += " (" + strings.Join(parts, " ") + ")"
	}
	return msg
}

// StepUpChallenge returns, for a step-up refusal (RFC 9470 §3), the
// WWW-Authenticate challenge an HTTP front door sends (without realm), for
// RPC front doors to put in trailer or header metadata; "" for any other
// refusal.
func StepUpChallenge(e *middleware.Error) string {
	if acr, maxAge := middleware.StepUpAttributes(e); acr == "" && maxAge == "" {
		return ""
	}
	return middleware.Challenge(e, "")
}
