package middleware

import (
	"errors"
	"strings"
	"time"

	"github.com/rsguard/rsguard/middleware/jwks"
)

// RFC 6750 §3.1 error codes, as carried by [Error.Code].
const (
	CodeInvalidRequest    = "invalid_request"
	CodeInvalidToken      = "invalid_token"
	CodeInsufficientScope = "insufficient_scope"
	// RFC 9449 §7.1 and §9: a refused DPoP proof, and a proof without the
	// server's current nonce. Both are of category ErrInvalidToken.
	CodeInvalidDPoPProof = "invalid_dpop_proof"
	CodeUseDPoPNonce     = "use_dpop_nonce"
)

// Categories. Every error the validator and the middleware return matches
// exactly one of them with [errors.Is]; the edge (HTTP, gRPC) maps the category
// to a status, never the reason.
var (
	// ErrMissingToken: the request carried no access token (RFC 6750 §3.1:
	// a 401 challenge without an error code).
	ErrMissingToken = errors.New("middleware: no access token")
	// ErrInvalidRequest: the request is malformed (RFC 6750 invalid_request, 400).
	ErrInvalidRequest = errors.New("middleware: invalid request")
	// ErrInvalidToken: the token was refused (RFC 6750 invalid_token, 401).
	ErrInvalidToken = errors.New("middleware: invalid token")
	// ErrInsufficientScope: the token lacks a required scope (RFC 6750
	// insufficient_scope, 403).
	ErrInsufficientScope = errors.New("middleware: insufficient scope")
	// ErrUnavailable: the authorization server could not be reached to obtain keys
	// or introspect the token; the token was neither accepted nor refused (503).
	ErrUnavailable = errors.New("middleware: authorization server unavailable")
)

// Reasons. Each refusal also matches one of these with [errors.Is].
var (
	ErrMalformed          = errors.New("middleware: malformed token")
	ErrTokenTooLarge      = errors.New("middleware: token too large")
	ErrUnsupportedFormat  = errors.New("middleware: unsupported token format")
	ErrDisallowedAlg      = errors.New("middleware: algorithm not allowed")
	ErrWrongType          = errors.New("middleware: wrong token type")
	ErrUnknownCritical    = errors.New("middleware: unsupported critical header")
	ErrUnknownKey         = jwks.ErrUnknownKey // the same value: errors.Is matches either
	ErrKeyMismatch        = errors.New("middleware: key cannot verify this algorithm")
	ErrBadSignature       = errors.New("middleware: signature verification failed")
	ErrExpired            = errors.New("middleware: token expired")
	ErrNotYetValid        = errors.New("middleware: token not yet valid")
	ErrMissingClaim       = errors.New("middleware: required claim missing")
	ErrIssuerMismatch     = errors.New("middleware: untrusted issuer")
	ErrAudienceMismatch   = errors.New("middleware: audience not accepted")
	ErrInactive           = errors.New("middleware: token not active")
	ErrMultipleTokens     = errors.New("middleware: more than one access token in request")
	ErrMalformedHeader    = errors.New("middleware: malformed authorization header")
	ErrKeysUnavailable    = errors.New("middleware: signing keys unavailable")
	ErrIntrospectionError = errors.New("middleware: introspection failed")
	// ErrRequirementUnmet: the token's scopes meet the route's requirement
	// but its other claims (roles, claim rules, actor, authorization
	// details) do not; category ErrInsufficientScope (403).
	ErrRequirementUnmet = errors.New("middleware: the token does not meet the route's requirement")
	// ErrClaimRejected: a claim check of the issuer ([Issuer.Validators])
	// refused the token; category ErrInvalidToken (401).
	ErrClaimRejected = errors.New("middleware: token refused by a claim check")
)

// Error is the error returned for every refused or undecided token. It carries
// the category (one of ErrMissingToken, ErrInvalidRequest, ErrInvalidToken,
// ErrInsufficientScope, ErrUnavailable), the reason (one of the reason
// sentinels), a description safe to send to the client, and for
// insufficient_scope the scopes that would satisfy the requirement.
//
// Neither Description nor Error ever contains the token or key material. The
// validator may return the same *Error to several callers: treat it as
// read-only.
type Error struct {
	Kind        error  // category sentinel
	Reason      error  // reason sentinel; may equal Kind
	Description string // safe for RFC 6750 error_description
	Scope       string // for ErrInsufficientScope: space-separated scopes (RFC 6750 §3)
	// ACRValues and MaxAge, for ErrInsufficientUserAuthentication, are what
	// a new authentication of the user must meet: the challenge's
	// acr_values and max_age (RFC 9470 §3); nil and 0 for none.
	ACRValues []string
	MaxAge    time.Duration
	Err       error // underlying cause, if any
	// Rule names the check that refused the token (see [Rule] and
	// [Validator.Checks]); "" in an *Error a caller built without one.
	Rule Rule
}

// Code returns the RFC 6750 error code for the category, or "" for
// ErrMissingToken and ErrUnavailable, which have none.
func (e *Error) Code() string {
	switch e.Kind {
	case ErrInvalidRequest:
		return CodeInvalidRequest
	case ErrInvalidToken:
		if c := proofCode(e.Reason); c != "" {
			return c
		}
		if e.Reason == ErrInsufficientUserAuthentication {
			return CodeInsufficientUserAuthentication
		}
		return CodeInvalidToken
	case ErrInsufficientScope:
		return CodeInsufficientScope
	}
	return ""
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("middleware: ")
	if c := e.Code(); c != "" {
		b.WriteString(c)
		b.WriteString(": ")
	}
	b.WriteString(e.Description)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the category, the reason and the cause, so that errors.Is
// matches any of them.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 3)
	for _, err := range []error{e.Kind, e.Reason, e.Err} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// newError returns an *Error of the given category and reason whose description
// is the reason's text without the package prefix, and whose rule is the
// reason's ([ruleOf]).
func newError(kind, reason error, cause error) *Error {
	return &Error{Kind: kind, Reason: reason, Description: describe(reason), Err: cause, Rule: ruleOf(reason)}
}

func describe(reason error) string {
	if reason == nil {
		return "" // an *Error built by a caller may leave Reason nil
	}
	s := reason.Error()
	if d, ok := strings.CutPrefix(s, "middleware: "); ok {
		return d
	}
	return strings.TrimPrefix(s, "jwks: ") // ErrUnknownKey
}

// invalid returns an invalid_token error for reason.
func invalid(reason error) *Error { return newError(ErrInvalidToken, reason, nil) }

// InvalidToken returns an invalid_token [*Error] for the given reason sentinel,
// with an optional cause. Key sources and introspectors use it so that their
// refusals carry the same categories as the validator's.
func InvalidToken(reason, cause error) *Error { return newError(ErrInvalidToken, reason, cause) }

// Unavailable returns an [ErrUnavailable] [*Error]: the token could not be
// checked because the authorization server could not be reached. reason is
// ErrKeysUnavailable or ErrIntrospectionError.
func Unavailable(reason, cause error) *Error { return newError(ErrUnavailable, reason, cause) }

// InsufficientScope returns an [ErrInsufficientScope] [*Error] naming the scopes
// that would satisfy the requirement (space-separated).
func InsufficientScope(scope string) *Error {
	e := newError(ErrInsufficientScope, ErrInsufficientScope, nil)
	e.Description = "the token lacks a required scope"
	e.Scope = scope
	return e
}

// AsError converts any error into an [*Error]: an *Error in err's chain is
// returned as is; anything else becomes ErrUnavailable (the safe answer for an
// error whose meaning is unknown: neither accept nor blame the client's token).
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Unavailable(ErrUnavailable, err)
}
