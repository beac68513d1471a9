package connectguard

import (
	"context"
	"errors"
	"net/http"

	"connectrpc.com/connect"

	"github.com/rsguard/rsguard/internal/rpcerr"
	"github.com/rsguard/rsguard/middleware"
)

// refusal turns a refusal of the core, for a call with request headers h,
// into a Connect error whose metadata holds the answer headers net/http's
// guard would send ([middleware.Guard.ErrorHeaders]: the challenges, the
// DPoP-Nonce, Cache-Control, Retry-After). A call whose context ended is
// answered as such, rather than as the failure it caused.
func (i *Interceptor) refusal(ctx context.Context, h http.Header, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		c := connect.CodeCanceled
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			c = connect.CodeDeadlineExceeded
		}
		return connect.NewError(c, ctxErr)
	}
	e := middleware.AsError(err)
	ce := connect.NewError(connect.Code(rpcerr.Code(e.Kind)), errors.New(rpcerr.Message("connectguard: ", e)))
	i.guard.ErrorHeaders(ce.Meta(), h, e)
	return ce
}

// answerHeaders are the RFC 6750 headers of a refusal, which [refusal] puts
// in the error's metadata.
var answerHeaders = [...]string{"Www-Authenticate", "Cache-Control", "Retry-After", "Dpop-Nonce"}

// moveHeaders moves the answer headers from the metadata of err, a refusal
// of [Interceptor.Authorize], to the call's response headers h.
func moveHeaders(err error, h http.Header) {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return
	}
	meta := ce.Meta()
	for _, k := range answerHeaders {
		if vs := meta[k]; len(vs) > 0 {
			h[k] = vs
			delete(meta, k)
		}
	}
}
