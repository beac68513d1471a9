package guardtest

import (
	"net/http"
	"net/netip"
	"net/url"

	"github.com/rsguard/rsguard/middleware"
)

// ProxyConfig is the guard configuration of a front door behind a
// TLS-terminating proxy on loopback, for [Fixture.ProxyCases]: loopback
// peers are trusted proxies, whose RFC 9440 Client-Cert and X-Forwarded-*
// headers are believed.
func ProxyConfig() *middleware.GuardConfig {
	return &middleware.GuardConfig{TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"),
	}}
}

// ProxyCases are requests to a front door whose guard has [ProxyConfig]:
// certificate-bound tokens with the client certificate in the Client-Cert
// header (match, mismatch, none, malformed), and a DPoP proof of the
// external URI the proxy forwards in X-Forwarded-Proto and X-Forwarded-Host
// (RFC 9449 §4.3 behind a proxy). HTTP only.
func (f *Fixture) ProxyCases() []Case {
	cert, other := newCertificate(), newCertificate()
	tok := f.boundToken(map[string]any{"x5t#S256": x5t(cert)})
	dpopTok := f.boundToken(map[string]any{"jkt": f.client.jkt})
	const sc = "token is sender-constrained"
	withCert := func(name, header string, want Case) Case {
		want.Name, want.Authorization = name, []string{"Bearer " + tok}
		if header != "" {
			want.Header = http.Header{"Client-Cert": {header}}
		}
		return want
	}
	refused := func(kind, reason error, status int, challenge, desc string) Case {
		return Case{Kind: kind, Reason: reason, Status: status, Challenge: challenge, GRPCCode: CodeUnauthenticated, Description: desc}
	}
	external := func(u string) string {
		p, _ := url.Parse(u)
		return "https://api.example.test" + p.Path
	}
	return []Case{
		withCert("proxy_cert_match", clientCertHeader(cert), Case{Status: 200, GRPCCode: CodeOK}),
		withCert("proxy_cert_mismatch", clientCertHeader(other), refused(middleware.ErrInvalidToken, middleware.ErrCertificateMismatch, 401,
			onBearer("invalid_token", "client certificate does not match the token"), "client certificate does not match the token")),
		withCert("proxy_cert_none", "", refused(middleware.ErrInvalidToken, middleware.ErrSenderConstrained, 401, onBearer("invalid_token", sc), sc)),
		withCert("proxy_cert_malformed", ":not base64!:", refused(middleware.ErrInvalidRequest, middleware.ErrMalformedHeader, 400,
			onBearer("invalid_request", "malformed Client-Cert header"), "malformed Client-Cert header")),
		{
			Name: "proxy_dpop_forwarded_uri", Authorization: []string{"DPoP " + dpopTok},
			Proofs: func(u string) []string {
				return []string{f.client.proof(dpopTok, external(u), f.Nonce.Nonce(f.Now), f.Now, nil, nil)}
			},
			Header: http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"api.example.test"}},
			Status: 200, Nonce: f.Nonce.Nonce(f.Now), GRPCCode: CodeOK,
		},
	}
}
