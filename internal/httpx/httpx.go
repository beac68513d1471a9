// Package httpx holds the HTTP rules rsguard applies to every request it makes
// to an authorization server: https except on loopback, bounded bodies, a
// timeout, and no redirects to another host.
package httpx

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds each request when the caller's client sets none.
const DefaultTimeout = 10 * time.Second

// ErrInsecureURL is returned for a URL that is not https and not on a loopback
// address.
var ErrInsecureURL = errors.New("rsguard: URL must use https unless the host is a loopback address")

// ErrUserinfoURL is returned for a URL with user information
// ("https://user:secret@host/"): credentials in a URL end up in errors,
// events and logs. They belong in the HTTP client (or, for introspection, in
// the client authentication).
var ErrUserinfoURL = errors.New("rsguard: URL must not contain user information")

// CheckURL parses raw and requires https, or http on a loopback host
// (127.0.0.0/8, ::1, localhost), unless allowInsecure is set, and no user
// information. Its errors never quote user information.
func CheckURL(raw string, allowInsecure bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if strings.Contains(raw, "@") || !errors.As(err, &ue) {
			return nil, errors.New("rsguard: bad URL") // the cause may quote a password
		}
		return nil, fmt.Errorf("rsguard: bad URL: %w", ue.Err)
	}
	if u.User != nil {
		return nil, ErrUserinfoURL
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("rsguard: URL %q must be absolute http(s)", u.Redacted())
	}
	if u.Scheme == "http" && !allowInsecure && !IsLoopback(u.Hostname()) {
		return nil, ErrInsecureURL
	}
	return u, nil
}

// IsLoopback reports whether host is localhost or a loopback IP literal.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Client returns a shallow copy of base (http.DefaultClient when nil) that
// refuses redirects to another host or from https to http, and that has a
// timeout of DefaultTimeout when base has none.
func Client(base *http.Client) *http.Client {
	if base == nil {
		base = http.DefaultClient
	}
	c := *base
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	next := base.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first := via[0].URL
		if req.URL.Host != first.Host || (first.Scheme == "https" && req.URL.Scheme != "https") {
			return fmt.Errorf("rsguard: refusing redirect from %s to another host or scheme", first.Host)
		}
		if len(via) >= 5 {
			return errors.New("rsguard: too many redirects")
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &c
}

// ErrTooLarge is returned by ReadBody for a body over the limit.
var ErrTooLarge = errors.New("rsguard: response body too large")

// ReadBody reads at most limit bytes of r; a longer body is ErrTooLarge.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrTooLarge
	}
	return b, nil
}
