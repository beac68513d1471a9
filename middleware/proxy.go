package middleware

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// proxyConfig is what a guard knows of the way requests reach it: the URI
// clients address (for DPoP's "htu") and which peers are trusted proxies
// whose forwarding headers and forwarded client certificates are believed.
type proxyConfig struct {
	external string // scheme://authority[/prefix], no trailing slash; "" if none
	trusted  []netip.Prefix
}

func newProxyConfig(cfg *GuardConfig) (proxyConfig, error) {
	p := proxyConfig{trusted: append([]netip.Prefix(nil), cfg.TrustedProxies...)}
	if cfg.ExternalURL == "" {
		return p, nil
	}
	u, err := url.Parse(cfg.ExternalURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return p, errors.New("middleware: ExternalURL must be an absolute http or https URL without user, query or fragment")
	}
	p.external = strings.TrimSuffix(u.Scheme+"://"+u.Host+u.EscapedPath(), "/")
	return p, nil
}

// fromTrustedProxy reports whether r's peer is a configured trusted proxy.
func (p *proxyConfig) fromTrustedProxy(r *http.Request) bool {
	if len(p.trusted) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	for _, pre := range p.trusted {
		if pre.Contains(addr) {
			return true
		}
	}
	return false
}

// requestURI returns the absolute URI the client addressed (RFC 9449 §4.3,
// "htu"): the configured external base and the path; else, from a trusted
// proxy, the scheme and host it forwarded (RFC 7239 Forwarded, else
// X-Forwarded-Proto and X-Forwarded-Host); else the request's own. Headers
// from any other peer are ignored.
func (p *proxyConfig) requestURI(r *http.Request, trusted bool) string {
	path := r.URL.EscapedPath()
	if p.external != "" {
		return p.external + path
	}
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if trusted {
		fs, fh := forwarded(r.Header)
		if fs != "" {
			scheme = fs
		}
		if fh != "" {
			host = fh
		}
	}
	return scheme + "://" + host + path
}

// forwarded returns the scheme and host a proxy forwarded: the "proto" and
// "host" of the last Forwarded element (RFC 7239 §4, the one the proxy
// next to us added), else the last X-Forwarded-Proto and X-Forwarded-Host
// values.
func forwarded(h http.Header) (scheme, host string) {
	if vs := h.Values("Forwarded"); len(vs) > 0 {
		elems := vs[len(vs)-1]
		elem := elems[strings.LastIndexByte(elems, ',')+1:]
		for pair := range strings.SplitSeq(elem, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
			v = strings.Trim(v, `"`)
			switch strings.ToLower(k) {
			case "proto":
				scheme = strings.ToLower(v)
			case "host":
				host = v
			}
		}
		return scheme, host
	}
	return strings.ToLower(lastValue(h, "X-Forwarded-Proto")), lastValue(h, "X-Forwarded-Host")
}

func lastValue(h http.Header, name string) string {
	vs := h.Values(name)
	if len(vs) == 0 {
		return ""
	}
	v := vs[len(vs)-1]
	return strings.TrimSpace(v[strings.LastIndexByte(v, ',')+1:])
}

// clientCertificate returns the client certificate of r for certificate-bound
// tokens (RFC 8705 §3): from a trusted proxy, the one in its RFC 9440
// Client-Cert header (the proxy's own TLS certificate is not the client's);
// otherwise the one of r's TLS connection. A Client-Cert header from any
// other peer is ignored. A malformed header from a trusted proxy is
// invalid_request.
func (p *proxyConfig) clientCertificate(r *http.Request, trusted bool) (*x509.Certificate, error) {
	if trusted {
		vs := r.Header.Values("Client-Cert")
		if len(vs) == 0 {
			return nil, nil
		}
		cert, err := parseClientCert(vs)
		if err != nil {
			return nil, &Error{Kind: ErrInvalidRequest, Reason: ErrMalformedHeader, Description: "malformed Client-Cert header", Err: err, Rule: RuleRequest}
		}
		return cert, nil
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return r.TLS.PeerCertificates[0], nil
	}
	return nil, nil
}

// parseClientCert parses an RFC 9440 §2.2 Client-Cert field: one
// structured-field byte sequence, ":" base64 DER ":".
func parseClientCert(values []string) (*x509.Certificate, error) {
	if len(values) != 1 {
		return nil, errors.New("more than one Client-Cert field")
	}
	v := strings.TrimSpace(values[0])
	if len(v) < 2 || v[0] != ':' || v[len(v)-1] != ':' {
		return nil, errors.New("Client-Cert is not a byte sequence")
	}
	der, err := base64.StdEncoding.DecodeString(v[1 : len(v)-1])
	if err != nil {
		return nil, fmt.Errorf("Client-Cert: %w", err)
	}
	return x509.ParseCertificate(der)
}
