package oauthtest

import (
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Client authentication methods (RFC 7591 §2, RFC 7523 §2.2), for
// [Client.AuthMethod].
const (
	AuthClientSecretBasic = "client_secret_basic" // HTTP Basic, RFC 6749 §2.3.1
	AuthClientSecretPost  = "client_secret_post"  // form parameters, RFC 6749 §2.3.1
	AuthPrivateKeyJWT     = "private_key_jwt"     // JWT assertion, RFC 7523 §2.2
	// AuthBearer authenticates a protected resource at the introspection
	// endpoint with an access token of its own (RFC 7662 §2.1), the client's
	// [Client.BearerToken]. It is not a registered metadata value and is not
	// listed in the metadata.
	AuthBearer = "bearer"
	// AuthNone is a public client (RFC 7591 §2): it may redeem authorization
	// codes, protected by PKCE, but not use the introspection endpoint or the
	// client credentials grant.
	AuthNone = "none"
)

// Client is a registered OAuth 2.0 client (RFC 6749 §2), or a protected
// resource allowed to call the introspection endpoint (RFC 7662 §2.1).
type Client struct {
	// ID is the client identifier.
	ID string
	// Secret is the client secret for client_secret_basic and
	// client_secret_post. It may hold any characters.
	Secret string
	// Scopes are the scopes the client may request; they are also its
	// default scope (RFC 6749 §3.3).
	Scopes []string
	// AuthMethod is how the client must authenticate: [AuthClientSecretBasic]
	// (default), [AuthClientSecretPost], [AuthPrivateKeyJWT], [AuthBearer] or
	// [AuthNone]. Any other method is refused with invalid_client.
	AuthMethod string
	// PublicKey verifies the client's private_key_jwt assertions: an
	// *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	PublicKey crypto.PublicKey
	// BearerToken is the access token the client presents to the
	// introspection endpoint with the [AuthBearer] method.
	BearerToken string
	// RedirectURIs are the registered redirection URIs, compared exactly
	// (RFC 6749 §3.1.2.3).
	RedirectURIs []string
	// OpaqueTokens makes the token endpoint issue opaque access tokens to this
	// client instead of JWTs. Default false (JWTs).
	OpaqueTokens bool
}

const (
	schemeBasic  = "basic"
	schemeBearer = "bearer"

	// assertionType is the client_assertion_type of RFC 7523 §2.2.
	assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// maxAssertionLifetime bounds how far in the future a client assertion's
	// "exp" may be, so that remembered "jti"s are forgotten in time.
	maxAssertionLifetime = time.Hour + time.Minute
	// maxUsedJTIs is the size above which expired "jti"s are forgotten.
	maxUsedJTIs = 1024
)

// authenticate authenticates the client of a token or introspection request
// by the one method it used (RFC 6749 §2.3), which must be its registered
// [Client.AuthMethod].
func (s *Server) authenticate(r *http.Request, form url.Values) (*Client, *oauthError) {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	scheme = strings.ToLower(scheme)
	var methods []string
	switch scheme {
	case "":
	case schemeBasic:
		methods = append(methods, AuthClientSecretBasic)
	case schemeBearer:
		methods = append(methods, AuthBearer)
	default:
		return nil, invalidClient("", "unsupported Authorization scheme")
	}
	if form.Has("client_secret") {
		methods = append(methods, AuthClientSecretPost)
	}
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		methods = append(methods, AuthPrivateKeyJWT)
	}
	switch len(methods) {
	case 0:
		methods = append(methods, AuthNone)
	case 1:
	default:
		return nil, invalidRequest("more than one client authentication method")
	}
	switch methods[0] {
	case AuthClientSecretBasic:
		return s.authBasic(cred, form)
	case AuthBearer:
		return s.authBearer(cred)
	case AuthClientSecretPost:
		return s.authPost(form)
	case AuthPrivateKeyJWT:
		return s.authAssertion(form)
	}
	return s.authNone(form)
}

// registered returns the client id if it registered method.
func (s *Server) registered(id, method string) *Client {
	c := s.client(id)
	if c == nil || orDefault(c.AuthMethod, AuthClientSecretBasic) != method {
		return nil
	}
	return c
}

// authBasic checks HTTP Basic credentials, the client ID and secret each
// form-urlencoded before base64 (RFC 6749 §2.3.1).
func (s *Server) authBasic(cred string, form url.Values) (*Client, *oauthError) {
	refused := invalidClient(schemeBasic, "client authentication failed")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return nil, refused
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, refused
	}
	if id, err = url.QueryUnescape(id); err != nil {
		return nil, refused
	}
	if secret, err = url.QueryUnescape(secret); err != nil {
		return nil, refused
	}
	if form.Has("client_id") && form.Get("client_id") != id {
		return nil, refused
	}
	c := s.registered(id, AuthClientSecretBasic)
	if c == nil || !secretEqual(c.Secret, secret) {
		return nil, refused
	}
	return c, nil
}

// authPost checks client_id and client_secret form parameters
// (RFC 6749 §2.3.1).
func (s *Server) authPost(form url.Values) (*Client, *oauthError) {
	c := s.registered(form.Get("client_id"), AuthClientSecretPost)
	if c == nil || !secretEqual(c.Secret, form.Get("client_secret")) {
		return nil, invalidClient("", "client authentication failed")
	}
	return c, nil
}

// authBearer finds the client whose [Client.BearerToken] was presented.
func (s *Server) authBearer(cred string) (*Client, *oauthError) {
	cred = strings.TrimSpace(cred)
	s.mu.Lock()
	clients := slices.Collect(maps.Values(s.clients))
	s.mu.Unlock()
	var found *Client
	for _, c := range clients {
		if c.AuthMethod == AuthBearer && c.BearerToken != "" && secretEqual(c.BearerToken, cred) {
			found = c
		}
	}
	if found == nil || cred == "" {
		return nil, invalidClient(schemeBearer, "client authentication failed")
	}
	return found, nil
}

// authNone identifies a public client by its client_id.
func (s *Server) authNone(form url.Values) (*Client, *oauthError) {
	c := s.registered(form.Get("client_id"), AuthNone)
	if c == nil {
		return nil, invalidClient("", "client authentication required")
	}
	return c, nil
}

// secretEqual compares secrets in constant time, their lengths included.
func secretEqual(want, got string) bool {
	a, b := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(got))
	return want != "" && subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// authAssertion checks a private_key_jwt client assertion (RFC 7523 §2.2,
// §3): signed by the client's registered key, "iss" and "sub" the client ID,
// "aud" naming this server, unexpired, and its "jti" never seen before.
func (s *Server) authAssertion(form url.Values) (*Client, *oauthError) {
	refused := invalidClient("", "client assertion refused")
	if form.Get("client_assertion_type") != assertionType {
		return nil, refused
	}
	d, err := decodeJWS(form.Get("client_assertion"))
	if err != nil {
		return nil, refused
	}
	id, _ := d.claims["iss"].(string)
	if sub, _ := d.claims["sub"].(string); sub != id || id == "" {
		return nil, refused
	}
	if form.Has("client_id") && form.Get("client_id") != id {
		return nil, refused
	}
	c := s.registered(id, AuthPrivateKeyJWT)
	if c == nil || c.PublicKey == nil || !slices.Contains(assertionAlgs, d.header.Alg) ||
		!verify(d.header.Alg, c.PublicKey, []byte(d.input), d.sig) {
		return nil, refused
	}
	if !s.assertionAudience(d.claims["aud"]) {
		return nil, refused
	}
	if !s.assertionFresh(id, d.claims) {
		return nil, refused
	}
	return c, nil
}

// assertionAudience reports whether aud (a string or an array) names the
// issuer, the token endpoint or the introspection endpoint (RFC 7523 §3).
func (s *Server) assertionAudience(aud any) bool {
	ok := func(a any) bool {
		return a == s.issuer || a == s.TokenURL() || a == s.IntrospectionURL()
	}
	if list, isList := aud.([]any); isList {
		return slices.ContainsFunc(list, ok)
	}
	return ok(aud)
}

// assertionFresh checks "exp", "nbf" and the single use of "jti", then
// remembers the "jti" until "exp".
func (s *Server) assertionFresh(id string, claims map[string]any) bool {
	now := s.now()
	exp, ok := numericDate(claims["exp"])
	if !ok || !now.Before(exp) || exp.Sub(now) > maxAssertionLifetime {
		return false
	}
	if nbf, ok := numericDate(claims["nbf"]); ok && now.Add(time.Minute).Before(nbf) {
		return false
	}
	jti, _ := claims["jti"].(string)
	if jti == "" {
		return false
	}
	return s.useJTI(id+"\x00"+jti, exp, now)
}

// useJTI records key (a client assertion's or a DPoP proof's "jti", with
// what scopes it) as used until until, and reports whether it was new.
func (s *Server) useJTI(key string, until, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, seen := s.usedJTIs[key]; seen && now.Before(u) {
		return false
	}
	if len(s.usedJTIs) >= maxUsedJTIs {
		maps.DeleteFunc(s.usedJTIs, func(_ string, u time.Time) bool { return !now.Before(u) })
	}
	s.usedJTIs[key] = until
	return true
}
