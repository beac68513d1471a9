package middleware

import (
	"errors"
	"net/http"
	"net/textproto"
)

// TokenSource finds an access token that a request carries somewhere other
// than the Authorization header: a cookie, another header. The [Guard] asks
// each of [GuardConfig.TokenSources] and puts what they find in
// [Credentials.Token]; RFC 6750 §2's rule holds across all of them and the
// Authorization header: a request that presents more than one token is
// answered 400 invalid_request.
//
// Token returns the token, "" when r carries none there, or an error for a
// malformed one (an [*Error] of category ErrInvalidRequest; any other error
// is answered as ErrUnavailable, see [AsError]). It must not keep r, and must
// be safe for concurrent use.
type TokenSource interface {
	Token(r *http.Request) (string, error)
}

// CookieToken returns a [TokenSource] that reads the token from the cookie
// name (RFC 6265 §5.4), as browser front ends that keep the token in an
// HttpOnly cookie send it. Two cookies of that name are two tokens. Cookies
// are sent by browsers on cross-site requests too: protect state-changing
// routes against CSRF (SameSite=Strict or Lax cookies, or an anti-CSRF
// token) before accepting them. CookieToken panics if name is empty.
func CookieToken(name string) TokenSource {
	if name == "" {
		panic("middleware: CookieToken with an empty name")
	}
	return cookieToken(name)
}

type cookieToken string

func (c cookieToken) Token(r *http.Request) (string, error) {
	cookies := r.CookiesNamed(string(c))
	switch {
	case len(cookies) == 0:
		return "", nil
	case len(cookies) > 1:
		return "", errMultipleTokens
	case !isVSChars(cookies[0].Value):
		return "", errMalformedParam
	}
	return cookies[0].Value, nil
}

// HeaderToken returns a [TokenSource] that reads the token, as is, from the
// request header field name (for example "X-Access-Token", set by a gateway).
// More than one field value is two tokens. HeaderToken panics if name is
// empty or is Authorization, which the guard always reads.
func HeaderToken(name string) TokenSource {
	canon := textproto.CanonicalMIMEHeaderKey(name)
	if name == "" || canon == "Authorization" {
		panic("middleware: HeaderToken needs a header other than Authorization")
	}
	return headerToken(canon)
}

type headerToken string

func (h headerToken) Token(r *http.Request) (string, error) {
	vals := r.Header[string(h)]
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1:
		return "", errMultipleTokens
	case !isVSChars(vals[0]):
		return "", errMalformedParam
	}
	return vals[0], nil
}

// fromSources asks each source in turn, adding what it finds to cred.Token:
// a second token is invalid_request.
func fromSources(r *http.Request, sources []TokenSource, cred *Credentials, src tokenSource) (tokenSource, error) {
	for _, s := range sources {
		tok, err := s.Token(r)
		if err != nil {
			return fromNone, err
		}
		if tok == "" {
			continue
		}
		if src != fromNone {
			return fromNone, errMultipleTokens
		}
		cred.Token, src = tok, fromOther
	}
	return src, nil
}

var errNilSource = errors.New("middleware: GuardConfig.TokenSources holds a nil TokenSource")
