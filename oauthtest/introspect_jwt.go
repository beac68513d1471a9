package oauthtest

import (
	"mime"
	"net/http"
	"strings"
)

// ContentTypeIntrospectionJWT is the media type of a JWT introspection
// response (RFC 9701 §5, §12.2).
const ContentTypeIntrospectionJWT = "application/token-introspection+jwt"

// wantsIntrospectionJWT reports whether the request's Accept header asks
// for a JWT response (RFC 9701 §4).
func wantsIntrospectionJWT(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == ContentTypeIntrospectionJWT {
				return true
			}
		}
	}
	return false
}

// writeIntrospectionJWT answers with resp as an RFC 9701 §5 JWT signed by
// the server's current key: header "typ" "token-introspection+jwt", claims
// "iss" (this server), "aud" (the calling client), "iat" and the RFC 7662
// answer under "token_introspection", altered by the overrides of
// [Server.SetIntrospectionJWT].
func (s *Server) writeIntrospectionJWT(w http.ResponseWriter, clientID string, resp map[string]any) {
	s.mu.Lock()
	k := s.keys.current
	s.mu.Unlock()
	claims := map[string]any{
		"iss": s.issuer, "aud": clientID, "iat": s.now().Unix(), "token_introspection": resp,
	}
	header := map[string]any{"typ": "token-introspection+jwt", "alg": k.alg, "kid": k.kid}
	s.mu.Lock()
	override(claims, s.introspectionJWT.Claims)
	override(header, s.introspectionJWT.Header)
	s.mu.Unlock()
	tok, err := encodeJWS(header, claims, k)
	if err != nil {
		http.Error(w, "oauthtest: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", ContentTypeIntrospectionJWT)
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(tok))
}

// IntrospectionJWTOverrides alter the JWT introspection responses of a
// [Server], so that a test can make each one RFC 9701 §5 refuses: a nil
// value deletes a member.
type IntrospectionJWTOverrides struct {
	Header map[string]any // e.g. {"typ": "JWT"}
	Claims map[string]any // e.g. {"aud": "someone-else"}
}

// SetIntrospectionJWT sets the overrides of later JWT introspection
// responses (the zero value: none).
func (s *Server) SetIntrospectionJWT(o IntrospectionJWTOverrides) {
	s.mu.Lock()
	s.introspectionJWT = o
	s.mu.Unlock()
}
