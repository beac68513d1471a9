package middleware

import (
	"encoding/json"
	"net/http"
)

// defaultGuard writes errors for requests that did not pass through a guard.
var defaultGuard, _ = newGuard(nil)

// WriteError answers err as RFC 6750 §3 prescribes, with the settings of the
// guard that let r through (its realm, Retry-After and ErrorHandler), or with
// the defaults if none did. Handlers use it for errors from [Authorize]; any
// error that is not an [*Error] is answered 503 (see [AsError]). Nothing is
// written to w before.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	g := defaultGuard
	if a, ok := r.Context().Value(guardKey{}).(*authContext); ok {
		g = a.guard
	}
	g.WriteError(w, r, err)
}

// WriteError answers err: the status of [Status]; WWW-Authenticate as
// [Challenge] builds it with the guard's realm (none for 503) and, when the
// guard accepts DPoP, a DPoP challenge beside it (RFC 9449 §7.1) and the
// DPoP-Nonce header for requests that use DPoP; for 401 and 403, the
// resource_metadata of [GuardConfig.Metadata] in every challenge; Cache-Control:
// no-store; for 503 a Retry-After of [GuardConfig.RetryAfter]; then the body
// of [GuardConfig.ErrorHandler], if set, else none.
func (g *Guard) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e := AsError(err)
	status := statusOf(e)
	var dpop dpopUse
	if r != nil {
		dpop = usesDPoP(r.Header)
	}
	g.setHeaders(w.Header(), e, status, dpop)
	if g.onError == nil {
		w.WriteHeader(status)
		return
	}
	ew := &errorWriter{ResponseWriter: w, g: g, e: e, status: status, dpop: dpop}
	g.onError(ew, r, status, e)
	ew.WriteHeader(status)
}

func (g *Guard) setHeaders(h http.Header, e *Error, status int, dpop dpopUse) {
	g.setChallenges(h, e, dpop)
	if g.scope401 != "" && status == http.StatusUnauthorized && (e.Code() == "" || e.Code() == "invalid_token") {
		appendChallengeAttr(h, `scope="`+g.scope401+`"`)
	}
	g.addResourceMetadata(h, status)
	h.Set("Cache-Control", "no-store")
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", g.retryAfter)
	}
}

// errorWriter is the ResponseWriter given to an ErrorHandler: the status and
// the standard headers are the guard's, whatever the handler does.
type errorWriter struct {
	http.ResponseWriter
	g      *Guard
	e      *Error
	status int
	dpop   dpopUse // how the request used DPoP
	wrote  bool
}

// WriteHeader writes the guard's status, whatever code is.
func (w *errorWriter) WriteHeader(int) {
	if w.wrote {
		return
	}
	w.wrote = true
	w.g.setHeaders(w.Header(), w.e, w.status, w.dpop)
	w.ResponseWriter.WriteHeader(w.status)
}

func (w *errorWriter) Write(b []byte) (int, error) {
	w.WriteHeader(w.status)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets [http.ResponseController] reach the underlying writer.
func (w *errorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ProblemDetails is a [GuardConfig.ErrorHandler] that writes an RFC 9457
// problem details object, with the RFC 6750 error code and, for
// insufficient_scope, the scopes as extension members (for
// insufficient_user_authentication, acr_values and max_age, RFC 9470 §3):
//
//	{"type":"about:blank","title":"Forbidden","status":403,
//	 "detail":"the token lacks a required scope","error":"insufficient_scope","scope":"orders:write"}
func ProblemDetails(w http.ResponseWriter, _ *http.Request, status int, err *Error) {
	p := struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail,omitempty"`
		Error  string `json:"error,omitempty"`
		Scope  string `json:"scope,omitempty"`
		ACR    string `json:"acr_values,omitempty"`
		MaxAge string `json:"max_age,omitempty"`
	}{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: safeDescription(err), Error: err.Code()}
	if err.Kind == ErrInsufficientScope {
		p.Scope = scopeAttr(err.Scope)
	}
	p.ACR, p.MaxAge = stepUpAttrs(err)
	body, _ := json.Marshal(p)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Write(append(body, '\n'))
}
