package connectguard_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/rsguard/rsguard/adapters/connectguard"
	"github.com/rsguard/rsguard/internal/guardtest"
)

// tlsServer serves the test service behind Interceptor.Handler over TLS
// (HTTP/1.1 and HTTP/2) on loopback, asking for (not requiring) a client
// certificate, and returns its URL and a client factory for a client
// presenting cert (nil: none).
func tlsServer(t *testing.T, i *connectguard.Interceptor) (string, func(cert *tls.Certificate) *http.Client) {
	t.Helper()
	opts := []connect.HandlerOption{connect.WithInterceptors(i), connect.WithCodec(jsonCodec{})}
	mux := http.NewServeMux()
	mux.Handle(i.Handler(getOrder, connect.NewUnaryHandler(getOrder, unaryHandler, opts...)))
	mux.Handle(i.Handler(watchOrders, connect.NewServerStreamHandler(watchOrders, streamHandler, opts...)))
	srv := httptest.NewUnstartedServer(mux)
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL, func(cert *tls.Certificate) *http.Client {
		tr := srv.Client().Transport.(*http.Transport).Clone()
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr}
	}
}

// TestCertificateBoundConnect checks certificate-bound tokens (RFC 8705 §3)
// over real mutual TLS on loopback, in the three protocols, unary and
// streaming: the token's "x5t#S256" against the client certificate of the
// connection — match, mismatch, none — and, without Interceptor.Handler,
// the matching certificate unseen, so the token refused as
// sender-constrained.
func TestCertificateBoundConnect(t *testing.T) {
	f := guardtest.New(t)
	i := newInterceptor(t, f.Validator, table)
	url, client := tlsServer(t, i)
	mine, other := guardtest.ClientCertificate("client"), guardtest.ClientCertificate("other")
	tok := "Bearer " + f.CertificateToken(mine.Leaf)
	tests := []struct {
		name string
		cert *tls.Certificate
		code connect.Code // 0: admitted
		msg  string
	}{
		{"match", &mine, 0, ""},
		{"mismatch", &other, connect.CodeUnauthenticated, "client certificate does not match the token"},
		{"none", nil, connect.CodeUnauthenticated, "token is sender-constrained"},
	}
	for _, p := range protocols {
		for _, tt := range tests {
			t.Run(p.name+"/"+tt.name, func(t *testing.T) {
				hc := client(tt.cert)
				for kind, a := range map[string]answer{
					"unary":  call(t.Context(), hc, url, getOrder, p, auth(tok)),
					"stream": stream(t.Context(), hc, url, p, auth(tok)),
				} {
					checkBinding(t, kind, a, tt.code, tt.msg)
				}
			})
		}
	}
	t.Run("headers_only", func(t *testing.T) {
		bare := newServer(t, i, false) // no TLS, no wrapper: no certificate to see
		a := call(t.Context(), transports(t)[0].client, bare.URL, getOrder, protocols[0], auth(tok))
		checkBinding(t, "unary", a, connect.CodeUnauthenticated, "token is sender-constrained")
	})
}

func checkBinding(t *testing.T, kind string, a answer, code connect.Code, msg string) {
	t.Helper()
	switch {
	case code == 0 && (a.err != nil || a.subject != guardtest.Subject):
		t.Errorf("%s: %v, subject %q; want admitted as %q", kind, a.err, a.subject, guardtest.Subject)
	case code != 0 && (a.err == nil || a.err.Code() != code || !strings.Contains(a.err.Message(), msg)):
		t.Errorf("%s: %v; want %v %q", kind, a.err, code, msg)
	}
}

// TestDPoPConnectTLS checks DPoP over TLS (HTTP/2), where the proof's htu
// is the https URL the client calls: a fresh proof is admitted with the
// DPoP-Nonce in the response, in each protocol; a proof for the http URL
// of the same path is refused (RFC 9449 §4.3: the htu must be the target
// URI).
func TestDPoPConnectTLS(t *testing.T) {
	f := guardtest.New(t)
	url, client := tlsServer(t, newInterceptor(t, f.Validator, table))
	hc := client(nil)
	tok := f.DPoPToken()
	nonce := f.Nonce.Nonce(f.Now)
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			h := auth("DPoP " + tok)
			h.Set("DPoP", f.Proof(tok, http.MethodPost, url+getOrder))
			a := call(t.Context(), hc, url, getOrder, p, h)
			if a.err != nil || a.subject != guardtest.Subject || a.header.Get("DPoP-Nonce") != nonce {
				t.Errorf("fresh proof: %v, subject %q, DPoP-Nonce %q; want admitted with nonce %q", a.err, a.subject, a.header.Get("DPoP-Nonce"), nonce)
			}
			h.Set("DPoP", f.Proof(tok, http.MethodPost, "http"+strings.TrimPrefix(url, "https")+getOrder))
			a = call(t.Context(), hc, url, getOrder, p, h)
			if a.err == nil || !strings.Contains(a.err.Message(), "htu does not match") {
				t.Errorf("proof for the http URL: %v; want refused, htu", a.err)
			}
		})
	}
}

// TestProxySettings checks Config.ExternalURL and Config.TrustedProxies,
// which go through the code of net/http's guard: behind a trusted proxy
// (loopback here), a certificate-bound token is checked against the RFC
// 9440 Client-Cert header, and a DPoP proof for the external URL is
// admitted; the same headers from an untrusted peer are ignored.
func TestProxySettings(t *testing.T) {
	f := guardtest.New(t)
	mine := guardtest.ClientCertificate("client")
	certTok := "Bearer " + f.CertificateToken(mine.Leaf)
	dpopTok := f.DPoPToken()
	const external = "https://api.example.test/prefix"
	for _, tt := range []struct {
		name    string
		trusted []netip.Prefix
		ok      bool
	}{
		{"trusted", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, true},
		{"untrusted", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := *table
			cfg.TrustedProxies = tt.trusted
			s := newServer(t, newInterceptor(t, f.Validator, &cfg), true)
			hc := transports(t)[0].client
			h := auth(certTok)
			h.Set("Client-Cert", ":"+base64.StdEncoding.EncodeToString(mine.Leaf.Raw)+":")
			if a := call(context.Background(), hc, s.URL, getOrder, protocols[0], h); (a.err == nil) != tt.ok {
				t.Errorf("Client-Cert: %v; want admitted %v", a.err, tt.ok)
			}
			cfg.ExternalURL = external
			s = newServer(t, newInterceptor(t, f.Validator, &cfg), true)
			h = auth("DPoP " + dpopTok)
			h.Set("DPoP", f.Proof(dpopTok, http.MethodPost, external+getOrder))
			if a := call(context.Background(), hc, s.URL, getOrder, protocols[0], h); a.err != nil || a.subject != guardtest.Subject {
				t.Errorf("proof for ExternalURL: %v, subject %q; want admitted", a.err, a.subject)
			}
		})
	}
}
