package connectguard

import (
	"context"
	"errors"
	"net/http"

	"connectrpc.com/connect"

	"github.com/rsguard/rsguard/internal/rpcerr"
	"github.com/rsguard/rsguard/middleware"
)

// refusal turns a refusal of the core into a Connect error whose metadata
// holds the RFC 6750 answer headers. A call whose context ended is answered
// as such, rather than as the failure it caused.
func (i *Interceptor) refusal(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		c := connect.CodeCanceled
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			c = connect.CodeDeadlineExceeded
		}
		return connect.NewError(c, ctxErr)
	}
	e := middleware.AsError(err)
	ce := connect.NewError(connect.Code(rpcerr.Code(e.Kind)), errors.New(rpcerr.Message("connectguard: ", e)))
	meta := ce.Meta()
	if c := middleware.Challenge(e, i.realm); c != "" {
		meta.Set("WWW-Authenticate", c)
	}
	meta.Set("Cache-Control", "no-store")
	if e.Kind == middleware.ErrUnavailable {
		meta.Set("Retry-After", i.retryAfter)
	}
	return ce
}

// answerHeaders are the RFC 6750 headers of a refusal, which [refusal] puts
// in the error's metadata.
var answerHeaders = [...]string{"WWW-Authenticate", "Cache-Control", "Retry-After"}

// moveHeaders moves the answer headers from the metadata of err, a refusal
// of [Interceptor.Authorize], to the call's response headers h.
func moveHeaders(err error, h http.Header) {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return
	}
	meta := ce.Meta()
	for _, k := range answerHeaders {
		if v := meta.Get(k); v != "" {
			h.Set(k, v)
			meta.Del(k)
		}
	}
}
