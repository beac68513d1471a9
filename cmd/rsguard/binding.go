package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/rsguard/rsguard/internal/jose"
	"github.com/rsguard/rsguard/middleware"
)

// The checks of sender-constrained tokens (RFC 9449 DPoP, RFC 8705
// certificate binding), as the core names them; the core orders them
// ([middleware.Validator.Checks]) after the token's own checks, before the
// scope.
const (
	ruleCnf      = middleware.RuleCnf
	ruleProof    = middleware.RuleDPoPProof
	ruleProofAlg = middleware.RuleDPoPAlg
	ruleProofTyp = middleware.RuleDPoPTyp
	ruleProofJWK = middleware.RuleDPoPJWK
	ruleJKT      = middleware.RuleJKT
	ruleHTM      = middleware.RuleHTM
	ruleHTU      = middleware.RuleHTU
	ruleProofIat = middleware.RuleDPoPIat
	ruleAth      = middleware.RuleAth
	ruleProofSig = middleware.RuleDPoPSignature
	ruleJTI      = middleware.RuleJTI
	ruleX5t      = middleware.RuleX5t
)

// bindingFlags are what verify needs to check a sender-constrained token:
// the DPoP proof with the request it goes with, and the client certificate.
type bindingFlags struct {
	proof, method, uri, certFile string
	cert                         *x509.Certificate
}

func (b *bindingFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.proof, "dpop", "", "DPoP proof (RFC 9449) sent with the token: the token is then presented with the DPoP scheme")
	fs.StringVar(&b.method, "method", "GET", "request method the DPoP proof's htm must match")
	fs.StringVar(&b.uri, "uri", "", "request URI the DPoP proof's htu must match (required with --dpop)")
	fs.StringVar(&b.certFile, "cert", "", "PEM file of the client certificate, for certificate-bound tokens (RFC 8705)")
}

// check validates the flags and reads the certificate.
func (b *bindingFlags) check() error {
	if b.proof != "" && b.uri == "" {
		return usageError("--uri is required with --dpop")
	}
	if b.certFile == "" {
		return nil
	}
	data, err := os.ReadFile(b.certFile)
	if err != nil {
		return usageError("--cert: %v", err)
	}
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return usageError("--cert %s: no PEM CERTIFICATE block", b.certFile)
	}
	if b.cert, err = x509.ParseCertificate(blk.Bytes); err != nil {
		return usageError("--cert %s: %v", b.certFile, err)
	}
	return nil
}

// credentials presents tok as a front door would: with the DPoP scheme and
// the proof when --dpop is given, else as a bearer token.
func (b *bindingFlags) credentials(tok string) *middleware.Credentials {
	cred := &middleware.Credentials{Token: tok, PeerCertificate: b.cert}
	if b.proof != "" {
		cred.Token = ""
		cred.Authorization = []string{"DPoP " + tok}
		cred.DPoP, cred.Method, cred.URI = []string{b.proof}, b.method, b.uri
	}
	return cred
}

// proofView is the DPoP proof decoded for display only; it decides nothing.
type proofView struct {
	header struct {
		Typ string          `json:"typ"`
		Alg string          `json:"alg"`
		JWK json.RawMessage `json:"jwk"`
	}
	claims struct {
		HTM string   `json:"htm"`
		HTU string   `json:"htu"`
		IAT *float64 `json:"iat"`
		JTI string   `json:"jti"`
		ATH string   `json:"ath"`
	}
	jkt string // RFC 7638 thumbprint of the embedded key, "" if none
}

func viewProof(p string) *proofView {
	pv := &proofView{}
	parts := strings.Split(p, ".")
	if len(parts) != 3 {
		return pv
	}
	if h, err := jose.Decode(parts[0]); err == nil {
		json.Unmarshal(h, &pv.header)
	}
	if c, err := jose.Decode(parts[1]); err == nil {
		json.Unmarshal(c, &pv.claims)
	}
	if pub, err := jose.ParsePublicJWK(pv.header.JWK); err == nil {
		pv.jkt, _ = jose.Thumbprint(pub)
	}
	return pv
}

func isBindingRule(r rule) bool {
	switch r {
	case ruleCnf, ruleProof, ruleProofAlg, ruleProofTyp, ruleProofJWK, ruleJKT, ruleHTM, ruleHTU,
		ruleProofIat, ruleAth, ruleProofSig, ruleJTI, ruleX5t:
		return true
	}
	return false
}

// bindingInfo describes what binding check r looked at.
func (vf *verifier) bindingInfo(r rule, c *middleware.Claims) string {
	b := &vf.cmd.binding
	pv := viewProof(b.proof)
	switch r {
	case ruleCnf:
		return cnfInfo(c) + presented(b)
	case ruleProof:
		return fmt.Sprintf("one proof, %d bytes", len(b.proof))
	case ruleProofAlg:
		return fmt.Sprintf("%s (allowed: %s)", pv.header.Alg, strings.Join(vf.v.DPoPAlgorithms(), " "))
	case ruleProofTyp:
		return fmt.Sprintf("%q", pv.header.Typ)
	case ruleProofJWK:
		return "embedded public key, RFC 7638 thumbprint " + pv.jkt
	case ruleJKT:
		return "the proof key is the token's cnf.jkt " + pv.jkt
	case ruleHTM:
		return fmt.Sprintf("%q (request: --method %s)", pv.claims.HTM, b.method)
	case ruleHTU:
		return fmt.Sprintf("%q (request: --uri %s)", pv.claims.HTU, b.uri)
	case ruleProofIat:
		return proofTime(pv, vf) + fmt.Sprintf(" (accepted: up to %s old, %s skew)", middleware.DefaultDPoPProofWindow, vf.skew)
	case ruleAth:
		return "SHA-256 of the token " + orAbsent(pv.claims.ATH)
	case ruleProofSig:
		return pv.header.Alg + " signature by the embedded key"
	case ruleJTI:
		return fmt.Sprintf("%q, not seen before (this run's replay store only)", pv.claims.JTI)
	case ruleX5t:
		return certInfo(b.cert)
	}
	return ""
}

// whyBinding says why binding check r refused the token.
func (vf *verifier) whyBinding(r rule, e *middleware.Error, c *middleware.Claims) string {
	b := &vf.cmd.binding
	pv := viewProof(b.proof)
	switch r {
	case ruleCnf:
		return whyCnf(e, c, b)
	case ruleProof:
		return "the DPoP proof is not one compact JWS with JSON header and claims"
	case ruleProofAlg:
		return fmt.Sprintf("the proof's algorithm %q is not an allowed asymmetric one (%s)", pv.header.Alg, strings.Join(vf.v.DPoPAlgorithms(), " "))
	case ruleProofTyp:
		return fmt.Sprintf(`the proof's typ is %q, not "dpop+jwt": it is some other JWT`, pv.header.Typ)
	case ruleProofJWK:
		return "the proof's header has no usable public jwk (absent, private, or a key type rsguard does not verify)"
	case ruleJKT:
		return fmt.Sprintf("the proof is signed by key %s, but the token is bound to %s", pv.jkt, cnfJKT(c))
	case ruleHTM:
		return fmt.Sprintf("the proof is for %q, the request is --method %s (RFC 9449 §4.3: exact match)", pv.claims.HTM, b.method)
	case ruleHTU:
		return fmt.Sprintf("the proof is for %q, the request is --uri %s (compared without query and fragment, after normalization)", pv.claims.HTU, b.uri)
	case ruleProofIat:
		return "the proof was issued " + proofTime(pv, vf) + ", outside the accepted window"
	case ruleAth:
		return "the proof's ath " + orAbsent(pv.claims.ATH) + " is not the SHA-256 of this token: the proof was made for another token"
	case ruleProofSig:
		return "the proof's signature does not verify with its embedded key"
	case ruleJTI:
		if errors.Is(e, middleware.ErrUnavailable) {
			return "the replay store could not answer"
		}
		return "the proof was used before"
	case ruleX5t:
		return fmt.Sprintf("the token is bound to certificate %s, --cert is %s", cnfX5t(c), certInfo(b.cert))
	}
	return causeText(e)
}

func whyCnf(e *middleware.Error, c *middleware.Claims, b *bindingFlags) string {
	switch {
	case errors.Is(e, middleware.ErrProofWithBearer):
		return "a DPoP proof came with a bearer presentation"
	case errors.Is(e, middleware.ErrNotDPoPBound):
		return "the token is not bound to a DPoP key, so it may not be presented with the DPoP scheme (a downgrade refused)"
	case errors.Is(e, middleware.ErrDPoPRequired):
		return "DPoP is required, and the token was presented as a bearer token"
	case cnfX5t(c) != "" && b.cert == nil:
		return "the token is bound to a client certificate: give it with --cert"
	case cnfJKT(c) != "" && b.proof == "":
		return "the token is bound to a DPoP key: give the proof with --dpop (and --method, --uri)"
	}
	return "the token's binding is not one rsguard verifies here: " + causeText(e)
}

func cnfInfo(c *middleware.Claims) string {
	switch {
	case c == nil:
		return "not reached: no claims to show"
	case c.Confirmation == nil:
		return "not bound"
	case c.Confirmation.JKT != "" && c.Confirmation.X5TS256 != "":
		return "bound to DPoP key " + c.Confirmation.JKT + " and certificate " + c.Confirmation.X5TS256
	case c.Confirmation.JKT != "":
		return "bound to DPoP key " + c.Confirmation.JKT
	case c.Confirmation.X5TS256 != "":
		return "bound to certificate " + c.Confirmation.X5TS256
	}
	return "bound by " + strings.Join(c.Confirmation.Other, ", ")
}

func presented(b *bindingFlags) string {
	if b.proof != "" {
		return "; presented with the DPoP scheme and a proof"
	}
	return "; presented as a bearer token"
}

func cnfJKT(c *middleware.Claims) string {
	if c == nil || c.Confirmation == nil || c.Confirmation.JKT == "" {
		return "no DPoP key"
	}
	return c.Confirmation.JKT
}

func cnfX5t(c *middleware.Claims) string {
	if c == nil || c.Confirmation == nil {
		return ""
	}
	return c.Confirmation.X5TS256
}

func certInfo(cert *x509.Certificate) string {
	if cert == nil {
		return "not given"
	}
	return fmt.Sprintf("%q, thumbprint %s", cert.Subject.CommonName, middleware.CertificateThumbprint(cert))
}

func proofTime(pv *proofView, vf *verifier) string {
	if pv.claims.IAT == nil {
		return "at no time (no iat)"
	}
	return when(time.Unix(int64(*pv.claims.IAT), 0), vf.now)
}
