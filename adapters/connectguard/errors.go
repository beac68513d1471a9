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
// holds the headers net/http's guard answers it with (WWW-Authenticate with
// the Bearer and, when DPoP is accepted, DPoP challenges; DPoP-Nonce;
// Cache-Control; Retry-After): the guard writes them for a request with the
// call's headers h. A call whose context ended is answered as such, rather
// than as the failure it caused.
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
	i.guard.WriteError(headerWriter(ce.Meta()), &http.Request{Header: h}, e)
	return ce
}

// headerWriter is an http.ResponseWriter that keeps the headers only.
type headerWriter http.Header

func (w headerWriter) Header() http.Header       { return http.Header(w) }
func (headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (headerWriter) WriteHeader(int)             {}

// moveHeaders moves the answer headers from the metadata of err, a refusal
// of [Interceptor.Authorize], to the call's response headers h.
func moveHeaders(err error, h http.Header) {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return
	}
	meta := ce.Meta()
	for k, vs := range meta {
		h[k] = append(h[k], vs...)
		delete(meta, k)
	}
}
