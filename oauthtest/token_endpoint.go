package oauthtest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/rsguard/rsguard/scopes"
)

// serveToken is the token endpoint (RFC 6749 §3.2) for the client
// credentials grant (§4.4) and the authorization code grant (§4.1.3) with
// PKCE (RFC 7636 §4.5). A request with a valid DPoP proof gets a token bound
// to the proof's key (RFC 9449 §5); one naming resources (RFC 8707) a token
// for them.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	form, e := parseForm(w, r)
	if e != nil {
		e.write(w)
		return
	}
	c, e := s.authenticate(r, form)
	if e == nil && c.AuthMethod == AuthBearer {
		e = invalidClient(schemeBearer, "bearer authentication is for introspection only")
	}
	if e != nil {
		e.write(w)
		return
	}
	s.offerDPoPNonce(w)
	jkt, e := s.checkDPoPProof(r)
	if e != nil {
		e.write(w)
		return
	}
	var resp map[string]any
	switch gt := form.Get("grant_type"); gt {
	case "client_credentials":
		resp, e = s.clientCredentials(c, form, jkt)
	case "authorization_code":
		resp, e = s.redeemCode(c, form, jkt)
	case "":
		e = invalidRequest("missing grant_type")
	default:
		e = &oauthError{status: http.StatusBadRequest, code: "unsupported_grant_type"}
	}
	if e != nil {
		e.write(w)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp, "no-store")
}

// clientCredentials grants a confidential client a token for itself
// (RFC 6749 §4.4); "sub" is the client ID (RFC 9068 §2.2).
func (s *Server) clientCredentials(c *Client, form url.Values, jkt string) (map[string]any, *oauthError) {
	if c.AuthMethod == AuthNone {
		return nil, &oauthError{status: http.StatusBadRequest, code: "unauthorized_client",
			desc: "public clients may not use client_credentials"}
	}
	granted, e := grantedScopes(c, form.Get("scope"))
	if e != nil {
		return nil, e
	}
	resources, e := resourcesOf(form[resourceParam])
	if e != nil {
		return nil, e
	}
	return s.issue(c, c.ID, granted, resources, jkt), nil
}

// grantedScopes returns the requested scopes if the client may have them all,
// or its registered scopes when it requested none (RFC 6749 §3.3).
func grantedScopes(c *Client, requested string) ([]string, *oauthError) {
	if requested == "" {
		return c.Scopes, nil
	}
	set, err := scopes.Parse(requested)
	if err != nil {
		return nil, invalidScope("malformed scope")
	}
	for _, sc := range set.List() {
		if !slices.Contains(c.Scopes, sc) {
			return nil, invalidScope("scope " + sc + " not allowed for this client")
		}
	}
	return set.List(), nil
}

// issue mints an access token for the resources (its audience; none:
// [Config.Audience]), bound to the DPoP key jkt unless it is "", and returns
// the RFC 6749 §5.1 response (token_type "DPoP" for a bound token, RFC 9449
// §5).
func (s *Server) issue(c *Client, subject string, granted, resources []string, jkt string) map[string]any {
	opts := TokenOptions{Subject: subject, ClientID: c.ID, Scopes: granted, Audience: resources, JKT: jkt}
	var tok string
	if c.OpaqueTokens {
		tok = s.OpaqueToken(opts)
	} else {
		tok = s.Token(opts)
	}
	resp := map[string]any{
		"access_token": tok,
		"token_type":   tokenType(map[string]any{"cnf": confirmation(opts)}),
		"expires_in":   int64(s.lifetime.Seconds()),
	}
	if len(granted) > 0 {
		resp["scope"] = strings.Join(granted, " ")
	}
	return resp
}
