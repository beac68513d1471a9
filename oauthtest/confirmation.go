package oauthtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"

	"github.com/rsguard/rsguard/middleware"
)

// confirmation returns the "cnf" claim (RFC 7800 §3.1) of a token minted
// with opts, or nil for an unbound token.
func confirmation(opts TokenOptions) map[string]any {
	if opts.JKT == "" && opts.CertThumbprint == "" {
		return nil
	}
	cnf := make(map[string]any, 2)
	if opts.JKT != "" {
		cnf["jkt"] = opts.JKT
	}
	if opts.CertThumbprint != "" {
		cnf["x5t#S256"] = opts.CertThumbprint
	}
	return cnf
}

// tokenType is the "token_type" of a token with claims: "DPoP" when its
// "cnf" names a DPoP key (RFC 9449 §6.2), else "Bearer".
func tokenType(claims map[string]any) string {
	if cnf, ok := claims["cnf"].(map[string]any); ok {
		if jkt, ok := cnf["jkt"].(string); ok && jkt != "" {
			return "DPoP"
		}
	}
	return "Bearer"
}

// CertThumbprint returns the RFC 8705 §3.1 thumbprint of a certificate:
// base64url(SHA-256(DER)), the "x5t#S256" that binds a token to it; it is
// [middleware.CertificateThumbprint], what the resource server compares.
func CertThumbprint(cert *x509.Certificate) string { return middleware.CertificateThumbprint(cert) }

// NewClientCertificate returns a new self-signed TLS client certificate
// (ECDSA P-256, valid for a day, extended key usage clientAuth) with the
// given common name, its Leaf set, for mutual-TLS tests of certificate-bound
// tokens (RFC 8705). It panics only if the system cannot generate keys.
func NewClientCertificate(commonName string) tls.Certificate {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("oauthtest: NewClientCertificate: %v", err))
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // self-signed: its own root in a ClientCAs pool
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		panic(fmt.Sprintf("oauthtest: NewClientCertificate: %v", err))
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		panic(fmt.Sprintf("oauthtest: NewClientCertificate: %v", err))
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv, Leaf: leaf}
}
