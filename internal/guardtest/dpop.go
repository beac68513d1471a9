package guardtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"strconv"
	"time"

	"github.com/rsguard/rsguard/internal/keytest"
	"github.com/rsguard/rsguard/oauthtest"
)

// proofKey is a DPoP client key of the table (ES256), with its RFC 7638
// thumbprint computed here, independently of the core.
type proofKey struct {
	priv *ecdsa.PrivateKey
	jwk  map[string]any
	jkt  string
}

func newProofKey() *proofKey {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	x := b64(priv.X.FillBytes(make([]byte, 32)))
	y := b64(priv.Y.FillBytes(make([]byte, 32)))
	canon := `{"crv":"P-256","kty":"EC","x":"` + x + `","y":"` + y + `"}` // RFC 7638 §3.2
	sum := sha256.Sum256([]byte(canon))
	return &proofKey{priv: priv, jwk: map[string]any{"kty": "EC", "crv": "P-256", "x": x, "y": y}, jkt: b64(sum[:])}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// proof returns a DPoP proof (RFC 9449 §4.2) for a request (method, url) presenting
// token, at now, with the nonce; hdr and claims change or (nil values)
// delete members.
func (k *proofKey) proof(token, method, url, nonce string, now time.Time, hdr, claims map[string]any) string {
	h := map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": k.jwk}
	ath := sha256.Sum256([]byte(token))
	c := map[string]any{"jti": b64(keytest.Random(16)), "htm": method, "htu": url, "iat": now.Unix(), "ath": b64(ath[:])}
	if nonce != "" {
		c["nonce"] = nonce
	}
	return SignES256(k.priv, apply(h, hdr), apply(c, claims))
}

// SignES256 returns the compact JWS (RFC 7515 §7.1) of claims under
// header, signed with priv (ES256, RFC 7518 §3.4: R and S of 32 bytes
// each), computed here, independently of the core.
func SignES256(priv *ecdsa.PrivateKey, header, claims map[string]any) string {
	input := b64(keytest.JSON(header)) + "." + b64(keytest.JSON(claims))
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, priv, digest[:])
	if err != nil {
		panic(err)
	}
	return input + "." + b64(append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...))
}

// DPoPKey is a DPoP client's proof key (ES256, RFC 9449 §4.2), for tests
// that bind tokens of their own authorization server to it.
type DPoPKey struct{ k *proofKey }

// NewDPoPKey returns a new DPoP client key.
func NewDPoPKey() *DPoPKey { return &DPoPKey{newProofKey()} }

// JKT is the key's RFC 7638 thumbprint, the "cnf"."jkt" of the tokens bound
// to it (RFC 9449 §6.1), computed here.
func (k *DPoPKey) JKT() string { return k.k.jkt }

// Proof returns a new proof, with a random "jti" of its own and the current
// time as "iat", for a request (method, uri) presenting token.
func (k *DPoPKey) Proof(token, method, uri string) string {
	return k.k.proof(token, method, uri, "", time.Now(), nil, nil)
}

func apply(base, mods map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range mods {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// boundToken mints a token of the trusted server for [Subject] with [Scope],
// whose "cnf" is cnf (RFC 7800 §3.1).
func (f *Fixture) boundToken(cnf map[string]any) string {
	return f.Server.Token(oauthtest.TokenOptions{Subject: Subject, Scopes: []string{Scope}, Claims: map[string]any{"cnf": cnf}})
}

// newCertificate returns a self-signed client certificate.
func newCertificate() *x509.Certificate {
	return ClientCertificate("guardtest client " + strconv.Itoa(int(time.Now().UnixNano()%1000))).Leaf
}

// ClientCertificate returns a new self-signed client certificate (ECDSA
// P-256, valid from an hour ago to an hour from now) for name, with its
// private key and parsed leaf, for mutual TLS on loopback (RFC 8705 §3).
func ClientCertificate(name string) tls.Certificate {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		panic(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv, Leaf: leaf}
}

// x5t is the RFC 8705 §3.1 thumbprint of cert, computed here.
func x5t(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return b64(sum[:])
}

// clientCertHeader is the RFC 9440 Client-Cert value of cert.
func clientCertHeader(cert *x509.Certificate) string {
	return ":" + base64.StdEncoding.EncodeToString(cert.Raw) + ":"
}

// DPoPToken mints a token of the trusted server for [Subject] with [Scope]
// and "profile", bound to the fixture's DPoP client key (RFC 9449 §6.1).
func (f *Fixture) DPoPToken() string {
	return f.Server.Token(oauthtest.TokenOptions{Subject: Subject, Scopes: []string{Scope, "profile"},
		Claims: map[string]any{"cnf": map[string]any{"jkt": f.client.jkt}}})
}

// Proof returns a fresh DPoP proof of the fixture's client key for token,
// method and uri, with the current server nonce (RFC 9449 §4.2).
func (f *Fixture) Proof(token, method, uri string) string {
	return f.client.proof(token, method, uri, f.Nonce.Nonce(f.Now), f.Now, nil, nil)
}

// CertificateToken mints a token of the trusted server for [Subject] with
// [Scope] and "profile", bound to cert (RFC 8705 §3.1).
func (f *Fixture) CertificateToken(cert *x509.Certificate) string {
	return f.Server.Token(oauthtest.TokenOptions{Subject: Subject, Scopes: []string{Scope, "profile"},
		Claims: map[string]any{"cnf": map[string]any{"x5t#S256": x5t(cert)}}})
}
