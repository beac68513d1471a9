package middleware

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rsguard/rsguard/scopes"
)

// maxDescription bounds the error_description attribute, in bytes.
const maxDescription = 256

// Status returns the HTTP status code that answers err (RFC 6750 §3.1):
//
//	ErrMissingToken      401 Unauthorized
//	ErrInvalidToken      401 Unauthorized
//	ErrInvalidRequest    400 Bad Request
//	ErrInsufficientScope 403 Forbidden
//	ErrUnavailable       503 Service Unavailable
//
// An error that is not an [*Error] is treated as ErrUnavailable (see
// [AsError]): never 401, which would send clients to refresh a token that may
// be valid. Status(nil) is 200.
func Status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	return statusOf(AsError(err))
}

func statusOf(e *Error) int {
	switch e.Kind {
	case ErrMissingToken, ErrInvalidToken:
		return http.StatusUnauthorized
	case ErrInvalidRequest:
		return http.StatusBadRequest
	case ErrInsufficientScope:
		return http.StatusForbidden
	}
	return http.StatusServiceUnavailable
}

// Challenge returns the Bearer WWW-Authenticate value that answers err (RFC
// 6750 §3; a [Guard] that accepts DPoP adds a DPoP challenge of its own),
// or "" when err is nil or matches ErrUnavailable: no credentials would
// change a 503, so it carries no challenge (RFC 9110 §11.6.1). For example:
//
//	Bearer realm="api"
//	Bearer realm="api", error="invalid_token", error_description="token expired"
//	Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:read"
//	Bearer realm="api", error="insufficient_user_authentication", error_description="…", acr_values="gold", max_age="300"
//
// The realm is a quoted-string with '"' and '\' escaped (RFC 9110 §5.6.4);
// the error_description is reduced to the characters RFC 6750 §3 allows
// (%x20-21 / %x23-5B / %x5D-7E: a double quote becomes an apostrophe, other
// characters a question mark) and at most 256 bytes; scope keeps only valid
// scope-tokens. Control characters and non-ASCII never reach the header. An
// empty realm is left out.
func Challenge(err error, realm string) string {
	if err == nil {
		return ""
	}
	prefix := "Bearer"
	if realm != "" {
		prefix = realmPrefix(realm)
	}
	return challenge(AsError(err), prefix)
}

// realmPrefix returns `Bearer realm="…"` with realm quoted.
func realmPrefix(realm string) string {
	var b strings.Builder
	b.WriteString(`Bearer realm="`)
	for _, r := range realm {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case (r >= 0x20 && r < 0x7f) || r == '\t':
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	b.WriteByte('"')
	return b.String()
}

// challenge appends e's attributes to prefix ("Bearer" or `Bearer realm="…"`).
func challenge(e *Error, prefix string) string {
	code := e.Code()
	if code == "" {
		if e.Kind == ErrMissingToken {
			return prefix
		}
		return ""
	}
	var b strings.Builder
	b.WriteString(prefix)
	sep := ", "
	if prefix == "Bearer" {
		sep = " "
	}
	b.WriteString(sep)
	b.WriteString(`error="`)
	b.WriteString(code)
	b.WriteByte('"')
	if d := safeDescription(e); d != "" {
		b.WriteString(`, error_description="`)
		b.WriteString(d)
		b.WriteByte('"')
	}
	if e.Kind == ErrInsufficientScope {
		if s := scopeAttr(e.Scope); s != "" {
			b.WriteString(`, scope="`)
			b.WriteString(s)
			b.WriteByte('"')
		}
	}
	if acr, maxAge := stepUpAttrs(e); acr != "" || maxAge != "" {
		if acr != "" {
			b.WriteString(`, acr_values="`)
			b.WriteString(acr)
			b.WriteByte('"')
		}
		if maxAge != "" {
			b.WriteString(`, max_age="`)
			b.WriteString(maxAge)
			b.WriteByte('"')
		}
	}
	return b.String()
}

// stepUpAttrs returns the acr_values and max_age attributes of an
// insufficient_user_authentication challenge (RFC 9470 §3), "" for none:
// the acr values that a quoted-string can carry (printable ASCII without
// quote, backslash or space), space-separated, and the whole seconds of
// MaxAge.
func stepUpAttrs(e *Error) (acr, maxAge string) {
	if e.Reason != ErrInsufficientUserAuthentication {
		return "", ""
	}
	var kept []string
	for _, v := range e.ACRValues {
		if acrValueOK(v) {
			kept = append(kept, v)
		}
	}
	if e.MaxAge >= time.Second {
		maxAge = strconv.FormatInt(int64(e.MaxAge/time.Second), 10)
	}
	return strings.Join(kept, " "), maxAge
}

// acrValueOK reports whether v can be one of a challenge's acr_values.
func acrValueOK(v string) bool { return v != "" && descriptionOK(v) && !strings.Contains(v, " ") }

// SafeDescription returns the description of err (see [AsError]) reduced to
// what an RFC 6750 §3 error_description may hold: printable ASCII except '"'
// and '\', at most 256 bytes. It is what the guard sends in challenges and
// [ProblemDetails] bodies, and what adapters may put in a status message. It
// never contains the token: the core's descriptions name reasons only.
func SafeDescription(err error) string {
	if err == nil {
		return ""
	}
	return safeDescription(AsError(err))
}

func safeDescription(e *Error) string {
	d := e.Description
	if len(d) > maxDescription {
		d = d[:maxDescription]
	}
	if descriptionOK(d) {
		return d
	}
	b := make([]byte, 0, len(d))
	for i := 0; i < len(d); {
		r, size := utf8.DecodeRuneInString(d[i:])
		i += size
		switch {
		case r == '"':
			b = append(b, '\'')
		case r == '\\' || r < 0x20 || r > 0x7e:
			b = append(b, '?')
		default:
			b = append(b, byte(r))
		}
	}
	return string(b)
}

func descriptionOK(d string) bool {
	for i := 0; i < len(d); i++ {
		if c := d[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// scopeAttr keeps the valid scope-tokens of a space-separated list
// (RFC 6750 §3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )).
func scopeAttr(s string) string {
	ok := true
	for tok := range strings.SplitSeq(s, " ") {
		ok = ok && scopes.ValidToken(tok)
	}
	if ok {
		return s
	}
	var kept []string
	for tok := range strings.SplitSeq(s, " ") {
		if scopes.ValidToken(tok) {
			kept = append(kept, tok)
		}
	}
	return strings.Join(kept, " ")
}
