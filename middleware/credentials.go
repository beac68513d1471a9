package middleware

import (
	"context"
	"crypto/x509"

	"github.com/rsguard/rsguard/scopes"
)

// Credentials are what one request presents to be authenticated, as any front
// door sees them: net/http, Echo, Gin, gRPC, Connect, MCP and the CLI each
// translate their request into Credentials and hand it to
// [Validator.Authenticate] or [Validator.Admit], the core's one entry point.
// Nothing in it is specific to HTTP framing.
//
// The zero value presents no token. Fields that a front door cannot fill (a
// gRPC call has no HTTP method) are left zero; the checks that need them
// refuse a token that depends on them rather than skip them.
type Credentials struct {
	// Authorization holds the values of the Authorization header field
	// (RFC 9110 §11.6.2), or of gRPC's "authorization" metadata, in order.
	// More than one value is invalid_request (RFC 6750 §2).
	Authorization []string
	// Token is an access token found elsewhere than in Authorization: the
	// "access_token" query or form parameter (RFC 6750 §2.2–2.3), a cookie
	// or another header (see [TokenSource]). "" when none. A request
	// presenting a token both here and in Authorization is invalid_request:
	// RFC 6750 §2 allows one method per request.
	Token string
	// DPoP holds the values of the DPoP header field (RFC 9449 §4.1), for
	// sender-constrained tokens.
	DPoP []string
	// Method is the request method ("GET"), for DPoP's "htm" (RFC 9449 §4.2).
	Method string
	// URI is the absolute target URI of the request as the client addressed
	// it, for DPoP's "htu" (RFC 9449 §4.2): scheme, authority and path; the
	// query and fragment are ignored.
	URI string
	// PeerCertificate is the client certificate of the TLS connection (or,
	// behind a TLS-terminating proxy, the one the trusted proxy forwarded),
	// for certificate-bound tokens (RFC 8705 §3). nil when none.
	PeerCertificate *x509.Certificate
	// DPoPMode, when not [DPoPInherit], overrides the issuers' [Issuer.DPoP]
	// for this request: a route's own mode.
	DPoPMode DPoPMode
	// Route names what the request is for, for [Hooks] only (it never
	// changes a decision): the route pattern ("GET /orders/{id}", the
	// request's Pattern, which an [http.ServeMux] sets, and the Echo and
	// Gin adapters set to their framework's route, "/orders/:id"; else the
	// path) or the RPC method ("/pkg.Service/Method"). Metrics keep it as an attribute, so a front
	// door should give a low-cardinality name. "" when none.
	Route string
}

// Authenticate is the core's entry point: it finds the one access token the
// credentials present, validates it (see [Validator.Validate]) and checks
// that its sender constraint, if any, is met. It returns the claims, or an
// [*Error]: ErrMissingToken when no token is presented, ErrInvalidRequest
// for malformed credentials (two tokens, a malformed Authorization value),
// otherwise what validation returns. It is [Validator.Admit] without a
// requirement, and reports its decision to [Hooks].Decided likewise.
func (v *Validator) Authenticate(ctx context.Context, cred *Credentials) (*Claims, error) {
	return v.decide(ctx, cred, nil, nil, false)
}

// Admit authenticates the credentials and checks that the claims satisfy
// req (nil: a valid token only). It is [Validator.Authenticate] followed by
// the requirement check, in the one order every front door uses. A token
// that lacks what req needs is an [*Error] matching ErrInsufficientScope that
// names what would satisfy req (RFC 6750 §3). The outcome, whichever it is,
// reaches [Hooks].Decided once.
func (v *Validator) Admit(ctx context.Context, cred *Credentials, req scopes.Requirement) (*Claims, error) {
	return v.decide(ctx, cred, req, nil, false)
}

// presented returns the single token of cred and its scheme: from the
// Authorization value (Bearer or DPoP), or from Token (a bearer token). None
// is ErrMissingToken; both is ErrMultipleTokens.
func presented(cred *Credentials) (presentation, error) {
	if cred == nil {
		return presentation{}, errMissing
	}
	scheme, token, err := ParseAuthorizationScheme(cred.Authorization)
	switch {
	case err != nil:
		return presentation{}, err
	case token != "" && cred.Token != "":
		return presentation{}, errMultipleTokens
	case token == "":
		token = cred.Token
	}
	if token == "" {
		return presentation{}, errMissing
	}
	return presentation{token: token, dpop: scheme == SchemeDPoP}, nil
}
