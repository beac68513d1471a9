// Package connectguard protects Connect services (connectrpc.com/connect)
// with rsguard: a connect.Interceptor that takes an OAuth 2.0 bearer token
// from the Authorization header (RFC 6750 §2.1), validates it with a
// [middleware.Validator] and checks the scopes a procedure table requires,
// for unary and streaming procedures and for the Connect, gRPC and gRPC-Web
// protocols alike.
//
// It is glue only: the interceptor translates a call's headers into
// [middleware.Credentials] and hands them to the core's one entry point,
// [middleware.Validator.Admit], so a procedure refuses exactly the tokens a
// net/http handler refuses. The procedure table is grpcguard's: it fails
// closed, so a procedure that no entry names is denied. Refusals are Connect
// errors:
//
//	ErrMissingToken, ErrInvalidToken  connect.CodeUnauthenticated    (HTTP 401 in the Connect protocol)
//	ErrInsufficientScope              connect.CodePermissionDenied   (403)
//	ErrInvalidRequest                 connect.CodeInvalidArgument    (400; e.g. two Authorization values)
//	ErrUnavailable                    connect.CodeUnavailable        (503; keys or introspection unreachable)
//	procedure not in the table        connect.CodePermissionDenied   (403)
//
// The answer carries the headers net/http's [middleware.Guard] writes, by
// its code ([middleware.Guard.ErrorHeaders]): the challenges
// (WWW-Authenticate, RFC 6750 §3, with a DPoP one beside the Bearer one when
// DPoP is accepted, RFC 9449 §7.1), the DPoP-Nonce (§9), "Cache-Control:
// no-store", and for Unavailable a Retry-After. The interceptor sends them as HTTP
// response headers, in every protocol and for streams too — not as error
// metadata, which the gRPC protocols send as HTTP trailers, where these
// fields are not allowed (RFC 9110 §6.5.1) and net/http drops them. A Connect
// client finds them in connect.Error.Meta, a plain HTTP client of a unary
// Connect-protocol call in the response beside the status (401, 403, 400,
// 503). The message names the reason ("connectguard: token expired"), never
// the token. An admitted call's handler finds the claims with
// [middleware.FromContext].
//
// With Config.Metadata the challenges name the protected resource metadata
// document (RFC 9728), which [Interceptor.MetadataHandler] serves at
// [Interceptor.MetadataPath] beside the services.
//
// Mount each handler with [Interceptor.Handler] (or [Interceptor.Wrap]) for
// sender-constrained tokens: DPoP (RFC 9449; htm POST, htu the URL called)
// and certificate-bound tokens (RFC 8705) are then checked as over net/http.
// Without it the interceptor sees only the call's headers and refuses them
// as "token is sender-constrained".
package connectguard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"connectrpc.com/connect"

	"github.com/rsguard/rsguard/internal/methodtable"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// ErrTable is matched by the error [New] returns for a malformed or
// contradictory procedure table.
var ErrTable = errors.New("connectguard: invalid procedure table")

// Config is the procedure table of an [Interceptor] and its answers'
// settings. The zero value denies every procedure (fail closed).
type Config struct {
	// Procedures maps procedures to the scope requirement of their calls
	// (nil: a valid token, whatever its scopes). A key is a full procedure
	// name, "/pkg.Service/Method" (connect.Spec.Procedure), or a service
	// default, "/pkg.Service/*", which applies to the procedures of the
	// service that have no entry of their own. Default: none.
	Procedures map[string]scopes.Requirement
	// Public lists procedures (or "/pkg.Service/*" patterns) that anyone may
	// call without a token, such as the gRPC health service
	// ("/grpc.health.v1.Health/*"). No token is looked at for them and their
	// handlers find no claims. The most specific entry wins over a service
	// pattern. Default: none.
	Public []string
	// Realm is the realm of the WWW-Authenticate challenge (RFC 6750 §3).
	// Default [middleware.DefaultRealm] ("api").
	Realm string
	// RetryAfter is the Retry-After of an Unavailable answer, rounded up to
	// whole seconds (RFC 9110 §10.2.3). Default [middleware.DefaultRetryAfter]
	// (10s); a negative value is the default too.
	RetryAfter time.Duration
	// DPoPMode, when not [middleware.DPoPInherit], overrides the issuers'
	// [middleware.Issuer.DPoP] for the procedures of this interceptor, as
	// [middleware.GuardConfig.DPoPMode] does for a net/http guard (make one
	// interceptor per mode). Default: the issuers' modes.
	DPoPMode middleware.DPoPMode
	// ExternalURL is the absolute URL under which clients reach the server,
	// for the "htu" of DPoP proofs (RFC 9449 §4.3), as
	// [middleware.GuardConfig.ExternalURL]. It takes effect for calls that
	// pass through [Interceptor.Handler] or [Interceptor.Wrap]. Default: the
	// request's own scheme and Host, or what a trusted proxy forwarded.
	ExternalURL string
	// TrustedProxies lists the peers whose forwarding headers (Forwarded,
	// X-Forwarded-Proto, X-Forwarded-Host) and RFC 9440 Client-Cert header
	// are believed, as [middleware.GuardConfig.TrustedProxies], for calls
	// that pass through [Interceptor.Handler] or [Interceptor.Wrap]. Default
	// none: those headers are ignored, whoever sends them.
	TrustedProxies []netip.Prefix
	// Metadata, when set, describes the protected resource (RFC 9728 §2), as
	// [middleware.GuardConfig.Metadata] does for a net/http guard: the
	// challenge of every Unauthenticated answer, and of a PermissionDenied
	// for missing scopes, carries the URL of its document in a
	// resource_metadata attribute (§5.1), so that clients find the
	// authorization server, and
	// [Interceptor.MetadataHandler] serves the document at
	// [Interceptor.MetadataPath]. Default nil: no document, no attribute.
	Metadata *middleware.ResourceMetadata
}

// Interceptor is a connect.Interceptor that authorizes calls by procedure.
// Give it to a handler with connect.WithInterceptors; on a client it does
// nothing. It is safe for concurrent use.
type Interceptor struct {
	v     *middleware.Validator
	table *methodtable.Table
	guard *middleware.Guard // the answers' headers and the HTTP layer's credentials
	mode  middleware.DPoPMode
}

var _ connect.Interceptor = (*Interceptor)(nil)

// New returns an interceptor that validates tokens with v and authorizes
// procedures as cfg says; cfg may be nil (every procedure denied). Every
// procedure that cfg does not name is denied with CodePermissionDenied,
// token or not: a procedure missing from the table is a server
// misconfiguration, and failing closed keeps a new procedure from being
// served unprotected by accident. New returns an error matching [ErrTable]
// for a malformed or contradictory table, and an error for a nil v or a
// Realm or RetryAfter that [middleware.NewGuard] refuses.
func New(v *middleware.Validator, cfg *Config) (*Interceptor, error) {
	if v == nil {
		return nil, errors.New("connectguard: New needs a validator")
	}
	if cfg == nil {
		cfg = &Config{}
	}
	b := methodtable.NewBuilder(ErrTable)
	b.AddRequirements(cfg.Procedures)
	b.AddPublic(cfg.Public...)
	t, err := b.Build()
	if err != nil {
		return nil, err
	}
	for _, c := range []byte(cfg.Realm) {
		if c < 0x20 || c > 0x7e {
			return nil, errors.New("connectguard: Config.Realm must be printable ASCII")
		}
	}
	g, err := middleware.NewGuard(v, &middleware.GuardConfig{Realm: cfg.Realm, RetryAfter: max(cfg.RetryAfter, 0),
		DPoPMode: cfg.DPoPMode, ExternalURL: cfg.ExternalURL, TrustedProxies: cfg.TrustedProxies, Metadata: cfg.Metadata})
	if err != nil {
		return nil, fmt.Errorf("connectguard: %w", err)
	}
	return &Interceptor{v: v, table: t, guard: g, mode: cfg.DPoPMode}, nil
}

// WrapUnary implements connect.Interceptor: a unary call reaches next only
// if [Interceptor.Authorize] admits it, with the claims in its context.
// Connect calls it when the handler is built; it panics if i was not made by
// [New].
func (i *Interceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	i.mustBeMade()
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().IsClient {
			return next(ctx, req)
		}
		ctx, err := i.Authorize(ctx, req.Spec().Procedure, req.Header())
		info, ok := connect.CallInfoForHandlerContext(ctx)
		switch {
		case err != nil && ok:
			moveHeaders(err, info.ResponseHeader())
		case ok:
			i.admittedHeaders(ctx, info.ResponseHeader(), req.Header())
		}
		if err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

// WrapStreamingClient implements connect.Interceptor: client streams pass
// through unchanged.
func (i *Interceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler implements connect.Interceptor: a stream reaches next
// only if [Interceptor.Authorize] admits it, with the claims in its context,
// before any message is read. Like WrapUnary, it panics if i was not made by
// [New].
func (i *Interceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	i.mustBeMade()
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		ctx, err := i.Authorize(ctx, conn.Spec().Procedure, conn.RequestHeader())
		if err != nil {
			moveHeaders(err, conn.ResponseHeader())
			return err
		}
		i.admittedHeaders(ctx, conn.ResponseHeader(), conn.RequestHeader())
		return next(ctx, conn)
	}
}

// Authorize decides a call to procedure ("/pkg.Service/Method") with request
// headers h, for the interceptor and for servers that compose their own. A
// public procedure is admitted as is, without looking at any token.
// Otherwise the single Authorization value must hold a bearer token that the
// validator accepts and whose scopes satisfy the procedure's requirement;
// Authorize then returns ctx with the claims ([middleware.NewContext]). A
// refusal is a *connect.Error (see the package documentation) whose
// metadata holds the answer's RFC 6750 headers.
//
// The HTTP layer's part of the credentials — the request method and target
// URI a DPoP proof must match (RFC 9449 §4.3) and the TLS client certificate
// of a certificate-bound token (RFC 8705 §3) — is taken from the
// *http.Request that [Interceptor.Handler] or [Interceptor.Wrap] put in
// ctx, by the code net/http's [middleware.Guard] uses
// ([middleware.Guard.RequestCredentials]). Without it, a Connect
// interceptor sees neither the request's URL nor its TLS state: the core
// then refuses every sender-constrained token (DPoP, certificate-bound) as
// "token is sender-constrained" rather than skip its check.
func (i *Interceptor) Authorize(ctx context.Context, procedure string, h http.Header) (context.Context, error) {
	r, ok := i.table.Lookup(procedure)
	if !ok {
		return ctx, connect.NewError(connect.CodePermissionDenied, errNotInTable)
	}
	if r.Public {
		return ctx, nil
	}
	cred := middleware.Credentials{Authorization: h.Values("Authorization"), DPoP: h.Values("DPoP"), DPoPMode: i.mode, Route: procedure}
	if hr := requestFrom(ctx); hr != nil {
		if err := i.guard.RequestCredentials(hr, &cred); err != nil {
			return ctx, i.refusal(ctx, h, err)
		}
	}
	claims, err := i.v.Admit(ctx, &cred, r.Requirement)
	if err != nil {
		return ctx, i.refusal(ctx, h, err)
	}
	return middleware.NewContext(ctx, claims), nil
}

// admittedHeaders sets the response headers of an admitted call to a
// protected procedure (ctx holds its claims): the DPoP-Nonce when the call
// uses DPoP (RFC 9449 §9), as net/http's guard does.
func (i *Interceptor) admittedHeaders(ctx context.Context, resp, req http.Header) {
	if _, ok := middleware.FromContext(ctx); ok {
		i.guard.AdmittedHeaders(resp, req)
	}
}

// MetadataPath returns the path at which to serve [Interceptor.MetadataHandler]
// on the server's mux (RFC 9728 §3.1), "" without Config.Metadata.
func (i *Interceptor) MetadataPath() string {
	i.mustBeMade()
	return i.guard.MetadataPath()
}

// MetadataURL returns the URL of the metadata document, the
// resource_metadata of the challenges, "" without Config.Metadata.
func (i *Interceptor) MetadataURL() string {
	i.mustBeMade()
	return i.guard.MetadataURL()
}

// MetadataHandler serves the protected resource metadata document (see
// [middleware.Guard.MetadataHandler]); 404 without Config.Metadata.
func (i *Interceptor) MetadataHandler() http.Handler {
	i.mustBeMade()
	return i.guard.MetadataHandler()
}

// mustBeMade panics, at wiring time, for an Interceptor not made by New
// (whose calls would all be denied, since it has no table).
func (i *Interceptor) mustBeMade() {
	if i == nil || i.v == nil {
		panic("connectguard: Interceptor not made by connectguard.New")
	}
}

var errNotInTable = errors.New("connectguard: procedure not in the authorization table")
