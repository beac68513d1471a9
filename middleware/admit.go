package middleware

import (
	"net/http"

	"github.com/rsguard/rsguard/scopes"
)

// Admit makes, for a framework adapter (Echo, Gin …), the decision that the
// handlers of [Guard.Require] and [Guard.Protect] make before calling the next
// handler, so that every front door answers a request alike. It
// authenticates r (see [Guard.Authenticate]) and checks req (nil: a valid
// token only).
//
// When r is admitted, it returns r with the claims in its context: a new
// request, or r itself when r's context already holds claims this guard's
// validator verified. [FromContext] reads them, the guard's own handlers and
// Admit do not validate them again, and [WriteError] answers with this
// guard's settings. When the token came from the query (RFC 6750 §2.3),
// Admit has set "Cache-Control: private" on w.
//
// Otherwise it has answered w with [Guard.WriteError] (RFC 6750 §3: 401, 400,
// 403 or 503) and returns nil; the adapter must then stop the request
// without writing anything more.
func (g *Guard) Admit(w http.ResponseWriter, r *http.Request, req scopes.Requirement) *http.Request {
	return g.admit(w, r, req, false)
}

// admit is Admit, and for optional also lets through a request without a
// token, anonymously.
func (g *Guard) admit(w http.ResponseWriter, r *http.Request, req scopes.Requirement, optional bool) *http.Request {
	if c, err := g.verified(r.Context()); c != nil || err != nil {
		if err := g.v.recheck(r.Context(), routeOf(r), c, err, req); err != nil {
			g.WriteError(w, r, err)
			return nil
		}
		return r
	}
	c, src, err := g.decide(r, req, optional)
	if err != nil {
		g.WriteError(w, r, err)
		return nil
	}
	if c == nil { // anonymous, on an Optional route
		return r.WithContext(&authContext{Context: r.Context(), guard: g})
	}
	if src == fromQuery {
		w.Header().Set("Cache-Control", "private")
	}
	dpop := usesDPoP(r.Header)
	if dpop != 0 {
		g.setNonce(w.Header())
	}
	return r.WithContext(&authContext{Context: r.Context(), claims: c, guard: g, dpop: dpop&dpopScheme != 0})
}

// routeOf names r's route for the hooks: the pattern of the router that
// matched it (an [http.ServeMux]; the Echo and Gin adapters set Pattern to
// their framework's), else its path.
func routeOf(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	if r.URL != nil {
		return r.URL.Path
	}
	return ""
}
