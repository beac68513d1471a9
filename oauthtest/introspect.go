package oauthtest

import (
	"maps"
	"net/http"
	"time"
)

// serveIntrospection answers RFC 7662 §2 introspection requests from
// authenticated clients: {"active": false} for a token that is unknown,
// revoked, expired or not yet valid, else the token's claims; as a signed
// JWT (RFC 9701) when the request accepts application/token-introspection+jwt.
func (s *Server) serveIntrospection(w http.ResponseWriter, r *http.Request) {
	form, e := parseForm(w, r)
	if e != nil {
		e.write(w)
		return
	}
	c, e := s.authenticate(r, form)
	if e == nil && c.AuthMethod == AuthNone {
		e = invalidClient("", "public clients may not introspect")
	}
	if e != nil {
		e.write(w)
		return
	}
	tok := form.Get("token")
	if tok == "" {
		invalidRequest("missing token parameter").write(w)
		return
	}
	if wantsIntrospectionJWT(r) {
		s.writeIntrospectionJWT(w, c.ID, s.Introspect(tok))
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, s.Introspect(tok), "no-store")
}

// Introspect returns the RFC 7662 §2.2 introspection response the server
// gives for token, without going through HTTP or its faults: {"active": false}
// when the token is unknown, revoked, expired or not yet valid; otherwise its
// claims with "active": true, "token_type" "Bearer" ("DPoP" for a token
// bound to a DPoP key, RFC 9449 §6.2) and "username" set to "sub" (unless
// the token's claims set them). JWTs from [Server.Token] are
// known while their signing key is published.
func (s *Server) Introspect(token string) map[string]any {
	now := s.now()
	s.mu.Lock()
	revoked := s.tokens.isRevoked(token)
	claims, opaque := s.tokens.opaque[token]
	s.mu.Unlock()
	if !opaque && !revoked {
		claims = s.ownJWTClaims(token)
	}
	if revoked || claims == nil || !current(claims, now) {
		return map[string]any{"active": false}
	}
	resp := maps.Clone(claims)
	resp["active"] = true
	if _, ok := resp["token_type"]; !ok {
		resp["token_type"] = tokenType(claims)
	}
	if _, ok := resp["username"]; !ok && resp["sub"] != nil {
		resp["username"] = resp["sub"]
	}
	return resp
}

// current reports whether now is within the claims' "nbf" and "exp".
func current(c map[string]any, now time.Time) bool {
	if nbf, ok := numericDate(c["nbf"]); ok && now.Before(nbf) {
		return false
	}
	return !expired(c, now)
}

// ownJWTClaims returns the claims of a JWT signed by one of the published
// keys with its own algorithm, or nil.
func (s *Server) ownJWTClaims(token string) map[string]any {
	d, err := decodeJWS(token)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	k := s.keys.publishedKey(d.header.Kid)
	s.mu.Unlock()
	if k == nil || k.alg != d.header.Alg || !verify(k.alg, k.priv.Public(), []byte(d.input), d.sig) {
		return nil
	}
	return d.claims
}
