package connectguard

import (
	"context"
	"net/http"
)

// Handler wraps the handler of a Connect service so that the interceptor
// sees the HTTP layer of its calls, and returns path unchanged; it has the
// shape of a generated constructor's result, so that
//
//	mux.Handle(guard.Handler(ordersv1connect.NewOrdersHandler(svc, connect.WithInterceptors(guard))))
//
// serves the service with DPoP (RFC 9449) and certificate-bound tokens
// (RFC 8705) checked over Connect exactly as net/http's [middleware.Guard]
// checks them. See [Interceptor.Wrap].
func (i *Interceptor) Handler(path string, h http.Handler) (string, http.Handler) {
	return path, i.Wrap(h)
}

// Wrap returns h with each request's *http.Request recorded in its context,
// where [Interceptor.Authorize] finds what a sender-constrained token is
// checked against: the request method and the target URI the client
// addressed (a DPoP proof's "htm" and "htu", RFC 9449 §4.3; see
// [Config.ExternalURL] and [Config.TrustedProxies]) and the TLS client
// certificate (RFC 8705 §3; behind a trusted proxy, its RFC 9440
// Client-Cert header). Connect derives a handler's context from the
// request's, so the interceptor of any Connect handler inside h sees them.
//
// Without Wrap, the interceptor sees only the call's headers: bearer tokens
// work as before, but the core refuses every DPoP-bound or certificate-bound
// token as "token is sender-constrained" rather than skip its check. Wrap
// panics on a nil h or an Interceptor not made by [New].
func (i *Interceptor) Wrap(h http.Handler) http.Handler {
	i.mustBeMade()
	if h == nil {
		panic("connectguard: Wrap with a nil handler")
	}
	return &wrapped{next: h}
}

type wrapped struct{ next http.Handler }

func (w *wrapped) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.next.ServeHTTP(rw, r.WithContext(&requestContext{Context: r.Context(), r: r}))
}

// requestContext carries the *http.Request of a wrapped call.
type requestContext struct {
	context.Context
	r *http.Request
}

type requestKey struct{}

func (c *requestContext) Value(key any) any {
	if _, ok := key.(requestKey); ok {
		return c
	}
	return c.Context.Value(key)
}

// requestFrom returns the request that [Interceptor.Wrap] recorded in ctx, or
// nil.
func requestFrom(ctx context.Context) *http.Request {
	if c, ok := ctx.Value(requestKey{}).(*requestContext); ok {
		return c.r
	}
	return nil
}
