package middleware

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// ErrBodyTooLarge is the reason of the invalid_request error returned when
// [GuardConfig.AllowFormToken] is set and a form-encoded request body exceeds
// [GuardConfig.MaxFormSize].
var ErrBodyTooLarge = errors.New("middleware: form body too large")

// Errors of request parsing; preallocated, as they carry no per-request data.
var (
	errMultipleTokens  = newError(ErrInvalidRequest, ErrMultipleTokens, nil)
	errMalformedHeader = newError(ErrInvalidRequest, ErrMalformedHeader, nil)
	errMalformedParam  = &Error{Kind: ErrInvalidRequest, Reason: ErrMalformed, Description: "malformed access_token parameter"}
	// The parse error is not kept: it may quote the query, and so the token.
	errMalformedQuery = &Error{Kind: ErrInvalidRequest, Reason: ErrMalformed, Description: "malformed query string"}
	errBodyTooLarge   = newError(ErrInvalidRequest, ErrBodyTooLarge, nil)
)

// ParseAuthorization extracts the bearer token from the values of the
// Authorization request header (RFC 6750 §2.1), or of gRPC's "authorization"
// metadata:
//
//	credentials = "Bearer" 1*SP b64token
//	b64token    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//
// The scheme is matched case-insensitively (RFC 7235 §2.1); leading and
// trailing white space of the field value is ignored (RFC 9110 §5.5).
//
// It returns ("", nil) when the request carries no bearer credentials: no
// value, an empty value, or another scheme such as Basic. RFC 6750 §3.1 treats
// an unsupported authentication method like the lack of any, so the answer is
// a challenge without an error code.
//
// It returns an [*Error] matching [ErrInvalidRequest] (400, RFC 6750 §3.1)
// when the request is malformed: more than one value ([ErrMultipleTokens]), or
// a Bearer value that is not exactly one b64token ([ErrMalformedHeader]). Such
// a request is a client bug that a new token would not fix, so it is not
// answered invalid_token (which tells clients to refresh). Spring Security
// answers 401 invalid_token here instead.
func ParseAuthorization(values []string) (token string, err error) {
	switch len(values) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", errMultipleTokens
	}
	v := trimOWS(values[0])
	const scheme = "bearer"
	if len(v) < len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return "", nil // another scheme, or none
	}
	rest := v[len(scheme):]
	if rest == "" {
		return "", errMalformedHeader // "Bearer" without credentials
	}
	if rest[0] != ' ' {
		if tchar(rest[0]) {
			return "", nil // a longer scheme name, such as "Bearerish"
		}
		return "", errMalformedHeader // "Bearer\tx", "Bearer,x"...
	}
	token = strings.TrimLeft(rest, " ")
	if !IsB64Token(token) {
		return "", errMalformedHeader
	}
	return token, nil
}

// IsB64Token reports whether s matches the b64token syntax of RFC 6750 §2.1:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func IsB64Token(s string) bool {
	n := len(s)
	for n > 0 && s[n-1] == '=' {
		n--
	}
	if n == 0 {
		return false
	}
	s = s[:n]
	// Branch-free over blocks of 8: this runs on every request.
	var bad byte
	i := 0
	for ; i+8 <= len(s); i += 8 {
		b := s[i : i+8]
		bad |= notB64token[b[0]] | notB64token[b[1]] | notB64token[b[2]] | notB64token[b[3]] |
			notB64token[b[4]] | notB64token[b[5]] | notB64token[b[6]] | notB64token[b[7]]
	}
	for ; i < len(s); i++ {
		bad |= notB64token[s[i]]
	}
	return bad == 0
}

// notB64token is 1 for the bytes outside the b64token alphabet.
var notB64token = func() (t [256]byte) {
	for i := range t {
		t[i] = 1
	}
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/" {
		t[c] = 0
	}
	return t
}()

// tchar reports whether c may appear in an RFC 9110 §5.6.2 token, such as an
// auth-scheme.
func tchar(c byte) bool {
	return c < 0x80 && ((notB64token[c] == 0 && c != '/') || strings.IndexByte("!#$%&'*^`|", c) >= 0)
}

// trimOWS removes leading and trailing SP and HTAB (RFC 9110 §5.6.3).
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// tokenSource says where a request's token came from.
type tokenSource uint8

const (
	fromNone tokenSource = iota
	fromHeader
	fromQuery
	fromForm
)

// extract finds the token r carries outside the Authorization header, when
// the guard allows it: in the "access_token" query parameter (RFC 6750 §2.3)
// or form-encoded body parameter (§2.2), into cred.Token. It reports where the
// token came from; more than one parameter is invalid_request, and so is a
// parameter beside an Authorization token ([Validator.Authenticate]). When
// query tokens are allowed, a query string that does not parse is
// invalid_request too: the application might read a token in it that the
// guard did not see, or the other way round.
func (g *Guard) extract(r *http.Request, cred *Credentials) (tokenSource, error) {
	src := fromNone
	var err error
	if g.allowQuery && r.URL != nil && r.URL.RawQuery != "" {
		q, perr := url.ParseQuery(r.URL.RawQuery)
		if perr != nil {
			return fromNone, errMalformedQuery
		}
		if cred.Token, src, err = addParam(cred.Token, src, q["access_token"], fromQuery); err != nil {
			return fromNone, err
		}
	}
	if g.allowForm && formEligible(r) {
		vals, err := readForm(r, g.maxForm)
		if err != nil {
			return fromNone, err
		}
		if cred.Token, src, err = addParam(cred.Token, src, vals["access_token"], fromForm); err != nil {
			return fromNone, err
		}
	}
	return src, nil
}

// addParam adds the values of an access_token parameter to what was found so
// far: a second token is invalid_request.
func addParam(token string, src tokenSource, vals []string, from tokenSource) (string, tokenSource, error) {
	switch {
	case len(vals) == 0:
		return token, src, nil
	case len(vals) > 1 || src != fromNone:
		return "", fromNone, errMultipleTokens
	case !isVSChars(vals[0]):
		return "", fromNone, errMalformedParam
	}
	return vals[0], from, nil
}

// isVSChars reports whether s is a non-empty access token in the syntax of
// RFC 6749 Appendix A.12: 1*VSCHAR, VSCHAR = %x20-7E.
func isVSChars(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// formEligible reports whether r may carry a form-encoded body token
// (RFC 6750 §2.2): a single-part application/x-www-form-urlencoded body, with a
// method whose content has defined semantics (POST, PUT, PATCH; never GET).
func formEligible(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return false
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// readForm reads at most limit bytes of the body, parses it as a form and puts
// an identical body back, so the handler can still read or parse it.
func readForm(r *http.Request, limit int64) (url.Values, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if int64(len(body)) > limit {
		return nil, errBodyTooLarge
	}
	if err != nil {
		return nil, &Error{Kind: ErrInvalidRequest, Reason: ErrMalformed, Description: "unreadable request body", Err: err}
	}
	orig := r.Body
	r.Body = struct {
		io.Reader
		io.Closer
	}{bytes.NewReader(body), orig}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &Error{Kind: ErrInvalidRequest, Reason: ErrMalformed, Description: "malformed form body", Err: err}
	}
	return vals, nil
}
