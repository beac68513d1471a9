package oauthtest

import (
	"crypto/sha256"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/rsguard/rsguard/internal/jose"
)

// authCode is an issued authorization code (RFC 6749 §4.1.2).
type authCode struct {
	clientID    string
	redirectURI string
	challenge   string
	scopes      []string
	resources   []string // RFC 8707 resource indicators, the token's audience
	subject     string
	expires     time.Time
	used        bool   // redeemed once: further attempts fail
	issued      string // the access token issued for it, revoked on reuse
}

// serveAuthorize is the authorization endpoint (RFC 6749 §4.1.1) with PKCE
// (RFC 7636 §4.3, S256 only). It approves at once, for the subject named by
// "login_hint" or else [DefaultSubject], and redirects with "code", "state"
// and "iss" (RFC 9207). An unknown client or an unregistered redirect_uri is
// answered with 400 and no redirect (RFC 6749 §4.1.2.1).
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for _, name := range []string{"client_id", "redirect_uri"} {
		if len(q[name]) > 1 {
			http.Error(w, "oauthtest: parameter "+name+" repeated", http.StatusBadRequest)
			return
		}
	}
	c := s.client(q.Get("client_id"))
	if c == nil {
		http.Error(w, "oauthtest: unknown client_id", http.StatusBadRequest)
		return
	}
	redirectURI := q.Get("redirect_uri")
	target, err := url.Parse(redirectURI)
	if !slices.Contains(c.RedirectURIs, redirectURI) || err != nil {
		http.Error(w, "oauthtest: redirect_uri not registered for this client", http.StatusBadRequest)
		return
	}
	params := url.Values{"iss": {s.issuer}}
	if state := q.Get("state"); state != "" {
		params.Set("state", state)
	}
	if granted, resources, e := checkAuthorization(c, q); e != nil {
		params.Set("error", e.code)
		params.Set("error_description", e.desc)
	} else {
		params.Set("code", s.newCode(c, redirectURI, q.Get("code_challenge"), granted, resources, q.Get("login_hint")))
	}
	redirect(w, r, target, params)
}

// checkAuthorization checks an authorization request's parameters and
// returns the granted scopes and the resource indicators (RFC 8707 §2.1).
func checkAuthorization(c *Client, q url.Values) ([]string, []string, *oauthError) {
	for name, vs := range q {
		if len(vs) > 1 && name != resourceParam {
			return nil, nil, invalidRequest("parameter " + name + " repeated")
		}
	}
	if q.Get("response_type") != "code" {
		return nil, nil, &oauthError{code: "unsupported_response_type", desc: "only response_type=code is supported"}
	}
	if q.Get("code_challenge_method") != "S256" {
		return nil, nil, invalidRequest("code_challenge_method must be S256")
	}
	if ch, err := jose.Decode(q.Get("code_challenge")); err != nil || len(ch) != sha256.Size {
		return nil, nil, invalidRequest("code_challenge must be a base64url SHA-256 hash")
	}
	resources, e := resourcesOf(q[resourceParam])
	if e != nil {
		return nil, nil, e
	}
	granted, e := grantedScopes(c, q.Get("scope"))
	return granted, resources, e
}

// redirect sends the user agent back to target with params added to its
// query (RFC 6749 §4.1.2).
func redirect(w http.ResponseWriter, r *http.Request, target *url.URL, params url.Values) {
	q := target.Query()
	for k, v := range params {
		q[k] = v
	}
	u := *target
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// newCode stores and returns a fresh authorization code.
func (s *Server) newCode(c *Client, redirectURI, challenge string, granted, resources []string, subject string) string {
	code := randomString(32)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	maps.DeleteFunc(s.codes, func(_ string, ac *authCode) bool { return !now.Before(ac.expires) })
	s.codes[code] = &authCode{
		clientID:    c.ID,
		redirectURI: redirectURI,
		challenge:   challenge,
		scopes:      granted,
		resources:   resources,
		subject:     orDefault(subject, DefaultSubject),
		expires:     now.Add(AuthCodeLifetime),
	}
	return code
}

// redeemCode exchanges an authorization code (RFC 6749 §4.1.3), checking the
// client, the redirect_uri and the PKCE code_verifier (RFC 7636 §4.6). A code
// is good once: a second attempt fails and revokes the token issued with the
// first (RFC 6749 §4.1.2).
func (s *Server) redeemCode(c *Client, form url.Values, jkt string) (map[string]any, *oauthError) {
	code := form.Get("code")
	if code == "" {
		return nil, invalidRequest("missing code")
	}
	verifier := form.Get("code_verifier")
	if verifier == "" {
		return nil, invalidRequest("missing code_verifier")
	}
	now := s.now()
	s.mu.Lock()
	ac := s.codes[code]
	if ac == nil || !now.Before(ac.expires) {
		s.mu.Unlock()
		return nil, invalidGrant("unknown or expired code")
	}
	if ac.used {
		s.tokens.revoke(ac.issued)
		s.mu.Unlock()
		return nil, invalidGrant("code already used")
	}
	ac.used = true
	s.mu.Unlock()
	if ac.clientID != c.ID || form.Get("redirect_uri") != ac.redirectURI {
		return nil, invalidGrant("code was issued to another client or redirect_uri")
	}
	if !validVerifier(verifier) {
		return nil, invalidGrant("malformed code_verifier")
	}
	sum := sha256.Sum256([]byte(verifier))
	if !secretEqual(ac.challenge, b64(sum[:])) {
		return nil, invalidGrant("code_verifier does not match code_challenge")
	}
	// The token request may narrow the resources the authorization request
	// named (RFC 8707 §2.2), never widen them.
	resources, e := resourcesOf(form[resourceParam])
	if e != nil {
		return nil, e
	}
	for _, r := range resources {
		if len(ac.resources) > 0 && !slices.Contains(ac.resources, r) {
			return nil, invalidTarget("resource not named in the authorization request")
		}
	}
	if len(resources) == 0 {
		resources = ac.resources
	}
	resp := s.issue(c, ac.subject, ac.scopes, resources, jkt)
	s.mu.Lock()
	ac.issued = resp["access_token"].(string)
	s.mu.Unlock()
	return resp, nil
}

// validVerifier reports whether v is a code_verifier of RFC 7636 §4.1:
// 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}
