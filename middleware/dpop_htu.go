package middleware

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
)

var errHTU = errors.New("middleware: not an absolute http or https URI")

// NormalizeHTU returns the form in which a DPoP proof's "htu" and the request
// URI are compared (RFC 9449 §4.3, check 9): an absolute http or https URI
// without query and fragment, normalized as RFC 3986 §6.2.2–6.2.3 describe —
// scheme and host in lower case, percent-encodings in upper case and
// decoded where they encode an unreserved character, dot segments removed,
// the default port dropped (and an empty one), an empty path made "/". A URI
// with user information, a percent-encoded host, a character outside the URI
// syntax, a malformed percent-encoding or an invalid port is an error.
func NormalizeHTU(s string) (string, error) {
	b, err := appendHTU(nil, s)
	return string(b), err
}

// SameHTU reports whether the URIs a and b are equal once normalized (see
// [NormalizeHTU]); an invalid URI equals nothing.
func SameHTU(a, b string) bool {
	var ba, bb [256]byte
	na, err := appendHTU(ba[:0], a)
	if err != nil {
		return false
	}
	if a == b {
		return true // the usual case: a client that sent the URI as given
	}
	nb, err := appendHTU(bb[:0], b)
	return err == nil && bytes.Equal(na, nb)
}

// appendHTU appends the normalized form of s to dst.
func appendHTU(dst []byte, s string) ([]byte, error) {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	colon := strings.Index(s, "://")
	if colon < 0 {
		return dst, errHTU
	}
	scheme := s[:colon]
	var defaultPort string
	switch {
	case strings.EqualFold(scheme, "https"):
		dst, defaultPort = append(dst, "https://"...), "443"
	case strings.EqualFold(scheme, "http"):
		dst, defaultPort = append(dst, "http://"...), "80"
	default:
		return dst, errHTU
	}
	rest := s[colon+3:]
	slash := strings.IndexByte(rest, '/')
	authority, path := rest, "/"
	if slash >= 0 {
		authority, path = rest[:slash], rest[slash:]
	}
	dst, err := appendAuthority(dst, authority, defaultPort)
	if err != nil {
		return dst, err
	}
	start := len(dst)
	if dst, err = appendPctNormalized(dst, path, false); err != nil {
		return dst, err
	}
	return removeDotSegments(dst, start), nil
}

// appendAuthority appends host[:port], the host in lower case and the port
// without leading zeros, dropped when it is the default or empty.
func appendAuthority(dst []byte, a, defaultPort string) ([]byte, error) {
	if a == "" || strings.IndexByte(a, '@') >= 0 {
		return dst, errHTU
	}
	host, port := a, ""
	if a[0] == '[' {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return dst, errHTU
		}
		host, port = a[:end+1], a[end+1:]
		if port != "" && port[0] != ':' {
			return dst, errHTU
		}
		if ip, err := netip.ParseAddr(host[1 : len(host)-1]); err != nil || !ip.Is6() || ip.Zone() != "" {
			return dst, errHTU // an IPv6 address; no zone identifiers or IPvFuture
		}
	} else if i := strings.LastIndexByte(a, ':'); i >= 0 {
		host, port = a[:i], a[i:]
	}
	if host == "" || (host[0] != '[' && strings.ContainsAny(host, ":[]")) {
		return dst, errHTU // only an IP literal may hold these
	}
	dst, err := appendPctNormalized(dst, host, true)
	if err != nil {
		return dst, err
	}
	if port == "" || port == ":" {
		return dst, nil
	}
	p := strings.TrimLeft(port[1:], "0")
	if len(p) > 5 || !isDigitString(port[1:]) || (len(p) == 5 && p > "65535") {
		return dst, errHTU
	}
	if p == defaultPort {
		return dst, nil
	}
	if p == "" {
		p = "0"
	}
	return append(append(dst, ':'), p...), nil
}

func isDigitString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// uriChar marks the characters that may appear unencoded in a host
// (unreserved, sub-delims, ':' for IPv6 literals) or path (pchar and '/'),
// RFC 3986 §3.2.2 and §3.3.
var uriChar = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/[]" {
		t[c] = true
	}
	return t
}()

func unreserved(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// appendPctNormalized appends s with its percent-encodings in upper case, or
// decoded when they encode an unreserved character (RFC 3986 §6.2.2.2), and
// for a host its letters in lower case (§6.2.2.1). '@', '/' and brackets are
// not allowed in a host outside an IP literal; the caller split those off.
func appendPctNormalized(dst []byte, s string, host bool) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && host:
			return dst, errHTU // a DNS name or an IP literal never needs one
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return dst, errHTU
			}
			d := unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
			if unreserved(d) {
				c = d
				break
			}
			dst = append(dst, '%', upperHex(s[i-1]), upperHex(s[i]))
			continue
		case !uriChar[c]:
			return dst, errHTU
		case host && (c == '/' || c == '@'):
			return dst, errHTU
		}
		if host && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, nil
}

func upperHex(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

// removeDotSegments applies RFC 3986 §5.2.4 to the path at b[start:], which
// begins with '/', in place.
func removeDotSegments(b []byte, start int) []byte {
	path := b[start:]
	if !bytes.Contains(path, []byte("/.")) {
		return b
	}
	out := b[:start]
	for len(path) > 0 {
		switch {
		case bytes.HasPrefix(path, []byte("/./")):
			path = path[2:]
		case bytes.Equal(path, []byte("/.")):
			path = path[:1]
			path[0] = '/'
		case bytes.HasPrefix(path, []byte("/../")), bytes.Equal(path, []byte("/..")):
			if len(path) == 3 {
				path = path[:1]
				path[0] = '/'
			} else {
				path = path[3:]
			}
			if i := bytes.LastIndexByte(out[start:], '/'); i >= 0 {
				out = out[:start+i]
			}
		default:
			j := bytes.IndexByte(path[1:], '/')
			seg := path
			if j >= 0 {
				seg = path[:j+1]
			}
			out = append(out, seg...)
			path = path[len(seg):]
		}
	}
	return out
}
