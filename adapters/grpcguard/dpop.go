package grpcguard

import (
	"context"

	"google.golang.org/grpc/metadata"
)

// WithDPoP accepts DPoP-bound tokens (RFC 9449) over gRPC, with a mapping
// of calls to HTTP that RFC 9449 does not define and the client must follow:
// the token in "authorization: DPoP <token>" metadata, the proof in "dpop"
// metadata, its "htm" POST (gRPC's HTTP/2 method) and its "htu"
// "https://<authority>/<package.Service>/<Method>", where authority is the
// call's :authority (the target the client dialed). Nonces, replay and
// every other check are the core's, as over HTTP. Without it, DPoP-bound
// tokens are refused over gRPC.
func WithDPoP() Option {
	return func(c *config) { c.dpop = true }
}

// dpopTarget returns the method and URI that [WithDPoP] maps a call to, or
// empty ones when the call has no single :authority (then no proof can
// match and DPoP-bound tokens are refused).
func dpopTarget(ctx context.Context, fullMethod string) (method, uri string) {
	auth := metadata.ValueFromIncomingContext(ctx, ":authority")
	if len(auth) != 1 || auth[0] == "" {
		return "", ""
	}
	return "POST", "https://" + auth[0] + fullMethod
}
