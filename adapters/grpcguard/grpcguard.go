// Package grpcguard protects gRPC servers with rsguard: unary and stream
// server interceptors that take an OAuth 2.0 bearer token from the
// "authorization" metadata (RFC 6750 §2.1), validate it with a
// [middleware.Validator] and check the scopes a method table requires; and,
// for clients, per-RPC credentials that send tokens from an
// oauth2.TokenSource over secure connections only.
//
// It is glue only: the interceptors translate a call's metadata and TLS peer
// into [middleware.Credentials] and hand them to the core's one entry point,
// [middleware.Validator.Admit]; extraction, validation, scope evaluation and
// the descriptions of refusals come from the core, so a gRPC method refuses exactly the tokens a
// net/http handler refuses. The interceptors map the core's categories to
// status codes:
//
//	ErrMissingToken, ErrInvalidToken  codes.Unauthenticated
//	ErrInsufficientScope              codes.PermissionDenied
//	ErrInvalidRequest                 codes.InvalidArgument (e.g. two authorization values)
//	ErrUnavailable                    codes.Unavailable (keys or introspection unreachable)
//	method not in the table           codes.PermissionDenied
//
// The status message names the reason ("grpcguard: token expired"), never the
// token. A step-up refusal (RFC 9470: the route's [middleware.ACR] or
// [middleware.MaxAge] not met) is codes.Unauthenticated; gRPC has no
// WWW-Authenticate, so its message ends with the challenge's attributes —
// `(acr_values="gold" max_age="300")` — and the call's trailer metadata
// [TrailerChallenge] holds the whole challenge an HTTP client would get,
// for clients that parse it rather than the message.
//
// Sender-constrained tokens: a certificate-bound token (RFC 8705 §3) is
// checked against the client certificate of the call's TLS connection, so
// mutual TLS makes it work as over HTTPS. DPoP (RFC 9449) defines proofs of
// an HTTP method and URI only, and gRPC has no standard mapping: by default
// a DPoP-bound token is refused over gRPC ("token is sender-constrained"),
// whatever "dpop" metadata the call carries. [WithDPoP] opts in to a
// mapping the client must follow. An admitted call's handler finds the claims with
// [middleware.FromContext], on its context or its stream's.
//
// The happy path:
//
//	guard, err := grpcguard.New(validator,
//		grpcguard.WithMethods(map[string]scopes.Requirement{"/orders.v1.Orders/*": scopes.AllOf("orders:read")}),
//		grpcguard.WithPublic(grpcguard.HealthService))
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(guard.UnaryServerInterceptor()),
//		grpc.ChainStreamInterceptor(guard.StreamServerInterceptor()))
//	pb.RegisterOrdersServer(srv, orders)
//	err = guard.CheckServices(srv) // names a misspelt table entry
//
// With go-grpc-middleware, [Guard.AuthFunc] and [AuthFunc] are its
// auth.AuthFunc, for its auth interceptors and its selector.
package grpcguard

import (
	"context"
	"errors"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/rsguard/rsguard/internal/methodtable"
	"github.com/rsguard/rsguard/internal/rpcerr"
	"github.com/rsguard/rsguard/middleware"
)

// Guard authorizes gRPC calls by method, with the table given to [New]. It is
// safe for concurrent use.
type Guard struct {
	v     *middleware.Validator
	table *methodtable.Table
	dpop  bool // WithDPoP: map calls to htm and htu
}

// New returns a guard that validates tokens with v and authorizes methods as
// the options say ([WithMethods], [WithPublic]). Every method that no option
// names is denied with codes.PermissionDenied, token or not: a method missing
// from the table is a server misconfiguration, and failing closed keeps a new
// method from being served unprotected by accident. (A method the server has
// not registered never reaches an interceptor: gRPC answers it
// codes.Unimplemented itself, unless grpc.UnknownServiceHandler is set, whose
// calls the stream interceptor denies like any other.) New returns an error
// matching [ErrTable] for a malformed or contradictory table.
func New(v *middleware.Validator, opts ...Option) (*Guard, error) {
	if v == nil {
		return nil, errors.New("grpcguard: New needs a validator")
	}
	c := config{table: methodtable.NewBuilder(ErrTable)}
	for _, opt := range opts {
		opt(&c)
	}
	t, err := c.table.Build()
	if err != nil {
		return nil, err
	}
	return &Guard{v: v, table: t, dpop: c.dpop}, nil
}

// UnaryServerInterceptor returns an interceptor that calls the handler only
// for calls that [Guard.Authorize] admits, with the claims in its context.
//
// It panics on a nil or zero Guard (not made by [New]).
func (g *Guard) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	g.wire()
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := g.Authorize(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor returns an interceptor that calls the handler only
// for streams that [Guard.Authorize] admits, with a stream whose Context
// carries the claims.
//
// It panics on a nil or zero Guard (not made by [New]).
func (g *Guard) StreamServerInterceptor() grpc.StreamServerInterceptor {
	g.wire()
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := g.Authorize(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		if ctx != ss.Context() {
			ss = &serverStream{ServerStream: ss, ctx: ctx}
		}
		return handler(srv, ss)
	}
}

// wire panics when an interceptor is made of a guard that cannot work.
func (g *Guard) wire() {
	if g == nil || g.v == nil {
		panic("grpcguard: a Guard not made by grpcguard.New")
	}
}

// callCredentials translates the call's metadata and peer into what the core
// reads: the "authorization" and "dpop" values and the TLS client
// certificate (for certificate-bound tokens, RFC 8705 §3). It sets no method
// or URI: see [WithDPoP].
func callCredentials(ctx context.Context) middleware.Credentials {
	cred := middleware.Credentials{
		Authorization: metadata.ValueFromIncomingContext(ctx, "authorization"),
		DPoP:          metadata.ValueFromIncomingContext(ctx, "dpop"),
	}
	if p, ok := peer.FromContext(ctx); ok {
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(ti.State.PeerCertificates) > 0 {
			cred.PeerCertificate = ti.State.PeerCertificates[0]
		}
	}
	return cred
}

// serverStream is a grpc.ServerStream whose context carries the claims.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *serverStream) Context() context.Context { return s.ctx }

// Authorize decides a call to fullMethod ("/pkg.Service/Method") whose
// incoming metadata is in ctx, for the interceptors and for servers that
// compose their own. A public method is admitted as is, without looking at
// any token. Otherwise the single "authorization" value must hold a bearer
// token that the validator accepts and whose scopes satisfy the method's
// requirement; Authorize then returns ctx with the claims
// ([middleware.NewContext]). A refusal is a gRPC status error (see the
// package documentation for the codes).
func (g *Guard) Authorize(ctx context.Context, fullMethod string) (context.Context, error) {
	r, ok := g.table.Lookup(fullMethod)
	if !ok {
		return ctx, status.Error(codes.PermissionDenied, "grpcguard: method not in the authorization table")
	}
	if r.Public {
		return ctx, nil
	}
	cred := callCredentials(ctx)
	cred.Route = fullMethod // for the hooks
	if g.dpop {
		cred.Method, cred.URI = dpopTarget(ctx, fullMethod)
	}
	return admitCred(ctx, g.v, &cred, r.Requirement)
}

// statusOf turns a refusal of the core into a status error. A call whose
// context ended is answered as such, rather than as the failure it caused.
func statusOf(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return status.FromContextError(ctxErr).Err()
	}
	e := middleware.AsError(err)
	if ch := rpcerr.StepUpChallenge(e); ch != "" {
		// The challenge an HTTP client would get, for clients that read
		// trailers; outside a gRPC server (Authorize called directly) there
		// is no trailer to set.
		_ = grpc.SetTrailer(ctx, metadata.Pairs(TrailerChallenge, ch))
	}
	return status.Error(codes.Code(rpcerr.Code(e.Kind)), rpcerr.Message("grpcguard: ", e))
}

// TrailerChallenge is the trailer metadata key of a step-up refusal (RFC
// 9470 §3): its value is the WWW-Authenticate challenge an HTTP front door
// sends, e.g. `Bearer error="insufficient_user_authentication",
// error_description="…", acr_values="gold", max_age="300"`. The status
// message carries acr_values and max_age too.
const TrailerChallenge = "www-authenticate"
