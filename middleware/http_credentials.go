package middleware

import "net/http"

// RequestCredentials fills, from r's HTTP layer, what cred needs beside the
// token, exactly as the guard's own handlers do: the request method (DPoP's
// "htm", RFC 9449 §4.2), the DPoP proofs, and when r uses DPoP the target
// URI the client addressed ("htu", §4.3: [GuardConfig.ExternalURL] and the
// path, else the scheme and host a trusted proxy forwarded, else r's own);
// the client certificate for certificate-bound tokens (RFC 8705 §3: r's TLS
// peer certificate, or behind a trusted proxy its RFC 9440 Client-Cert
// header, see [GuardConfig.TrustedProxies]); and the guard's
// [GuardConfig.DPoPMode]. It leaves the token fields (Authorization, Token)
// alone. It is for front doors that see the *http.Request but authenticate
// elsewhere, such as a Connect interceptor. A malformed Client-Cert header
// from a trusted proxy is an [*Error] matching ErrInvalidRequest.
func (g *Guard) RequestCredentials(r *http.Request, cred *Credentials) error {
	cred.Method, cred.DPoPMode = r.Method, g.mode
	trusted := g.proxy.fromTrustedProxy(r)
	cert, err := g.proxy.clientCertificate(r, trusted)
	if err != nil {
		return err
	}
	cred.PeerCertificate = cert
	if cred.DPoP = r.Header["Dpop"]; usesDPoP(r.Header) != 0 {
		cred.URI = g.proxy.requestURI(r, trusted)
	}
	return nil
}

// ErrorHeaders sets on h the headers with which the guard answers err to a
// request whose header is req, as [Guard.WriteError] does before writing the
// status: the WWW-Authenticate challenges (RFC 6750 §3; a DPoP challenge
// beside the Bearer one when the guard accepts DPoP, RFC 9449 §7.1), the
// DPoP-Nonce for a request that uses DPoP (§9), the resource_metadata of
// [GuardConfig.Metadata], "Cache-Control: no-store" and for 503 a
// Retry-After. It returns the status ([Status]). It is for front doors that
// answer in a framing of their own, such as Connect's errors.
func (g *Guard) ErrorHeaders(h, req http.Header, err error) int {
	e := AsError(err)
	status := statusOf(e)
	g.setHeaders(h, e, status, usesDPoP(req))
	return status
}

// AdmittedHeaders sets on h the headers with which the guard answers a
// request it admitted, whose header is req, beside the handler's own: the
// current DPoP-Nonce when the request uses DPoP (RFC 9449 §9) and the
// guard's validator issues nonces.
func (g *Guard) AdmittedHeaders(h, req http.Header) {
	if usesDPoP(req) != 0 {
		g.setNonce(h)
	}
}
