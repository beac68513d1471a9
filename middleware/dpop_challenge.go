package middleware

import "net/http"

// dpopUse says how a request uses DPoP (RFC 9449 §7.1).
type dpopUse uint8

const (
	dpopScheme dpopUse = 1 << iota // Authorization: DPoP
	dpopProof                      // a DPoP header
)

// usesDPoP reports whether a request with header h presents its token with
// the DPoP scheme and whether it carries a DPoP proof.
func usesDPoP(h http.Header) dpopUse {
	var u dpopUse
	if len(h["Dpop"]) > 0 {
		u |= dpopProof
	}
	if a := h["Authorization"]; len(a) == 1 && hasScheme(trimOWS(a[0]), "dpop ") {
		u |= dpopScheme
	}
	return u
}

// setChallenges sets the WWW-Authenticate challenges answering e: one per
// scheme the guard accepts (RFC 9449 §7.1: both Bearer and DPoP when both
// are), the error attributes on the challenge of the scheme the request
// used, or on DPoP's for the errors only DPoP has. An answer to a request
// that uses DPoP carries the current server nonce (RFC 9449 §9), if any.
func (g *Guard) setChallenges(h http.Header, e *Error, use dpopUse) {
	h.Del("WWW-Authenticate")
	bearer, accDPoP := g.v.acceptsSchemes(g.mode)
	if !accDPoP {
		if c := challenge(e, g.prefix); c != "" {
			h.Set("WWW-Authenticate", c)
		}
		return
	}
	if use != 0 || e.Reason == ErrUseDPoPNonce {
		g.setNonce(h)
	}
	onDPoP := !bearer || use&dpopScheme != 0 || proofCode(e.Reason) != ""
	if bearer {
		if c := g.bearerChallenge(e, !onDPoP); c != "" {
			h.Add("WWW-Authenticate", c)
		}
	}
	if c := g.dpopChallenge(e, onDPoP); c != "" {
		h.Add("WWW-Authenticate", c)
	}
}

// bearerChallenge is the Bearer challenge, with e's attributes when
// withError.
func (g *Guard) bearerChallenge(e *Error, withError bool) string {
	if e.Code() == "" && e.Kind != ErrMissingToken {
		return "" // 503: no challenge
	}
	if !withError {
		return g.prefix
	}
	return challenge(e, g.prefix)
}

// dpopChallenge is the DPoP challenge (RFC 9449 §7.1): realm, algs, and
// with e's attributes when withError.
func (g *Guard) dpopChallenge(e *Error, withError bool) string {
	if e.Code() == "" && e.Kind != ErrMissingToken {
		return ""
	}
	prefix := g.dpopPrefix + `, algs="` + g.v.dpop.algList + `"`
	if !withError {
		return prefix
	}
	return challenge(e, prefix)
}

// setNonce sets the DPoP-Nonce header to the validator's current nonce, when
// nonces are on.
func (g *Guard) setNonce(h http.Header) {
	if n := g.v.DPoPNonce(); n != "" {
		h["Dpop-Nonce"] = []string{n}
	}
}
