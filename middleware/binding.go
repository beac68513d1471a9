package middleware

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"unsafe"

	"github.com/rsguard/rsguard/internal/jsonscan"
)

// Reasons of the refusals of sender-constrained tokens (RFC 9449, RFC 8705,
// RFC 7800). Each matches ErrInvalidToken too, except [ErrProofWithBearer],
// which matches ErrInvalidRequest.
var (
	// ErrSenderConstrained: the token is bound to a key or certificate
	// ("cnf", RFC 7800 §3.1; or introspected "token_type" DPoP, RFC 9449
	// §6.2) and the request does not prove possession of it: a DPoP-bound
	// token with the Bearer scheme (RFC 9449 §7.2), a certificate-bound token
	// without a client certificate (RFC 8705 §3), a confirmation method
	// rsguard does not verify, or one its configuration does not enable.
	ErrSenderConstrained = errors.New("middleware: token is sender-constrained")
	// ErrCertificateMismatch: the client certificate is not the one the
	// token's "x5t#S256" names (RFC 8705 §3.1).
	ErrCertificateMismatch = errors.New("middleware: client certificate does not match the token")
	// ErrNotDPoPBound: a token that is not DPoP-bound presented with the
	// DPoP scheme (RFC 9449 §7.1), a downgrade refused.
	ErrNotDPoPBound = errors.New("middleware: token is not DPoP-bound")
	// ErrDPoPRequired: a token presented with the Bearer scheme where
	// [DPoPRequired] is in force.
	ErrDPoPRequired = errors.New("middleware: DPoP is required")
	// ErrProofWithBearer: a DPoP proof sent beside a token presented with the
	// Bearer scheme, to an issuer or route that accepts DPoP (RFC 9449
	// §7.2). Category ErrInvalidRequest: a client bug, not a token problem.
	ErrProofWithBearer = errors.New("middleware: DPoP proof sent with the Bearer scheme")
)

// DPoPMode says which presentations of access tokens are accepted (RFC 9449
// §7). It is set per issuer ([Issuer.DPoP]) and may be overridden per route
// ([Credentials.DPoPMode], [GuardConfig.DPoPMode]).
type DPoPMode uint8

const (
	// DPoPInherit, in [Credentials] or [GuardConfig], keeps the issuer's
	// mode; in [Issuer], it is [DPoPOff].
	DPoPInherit DPoPMode = iota
	// DPoPOff accepts the Bearer scheme only. A DPoP header is ignored (RFC
	// 9449 §7.2), DPoP-bound tokens are refused ([ErrSenderConstrained]).
	DPoPOff
	// DPoPAllowed accepts unbound tokens with the Bearer scheme and
	// DPoP-bound tokens with the DPoP scheme and a valid proof.
	DPoPAllowed
	// DPoPRequired accepts DPoP-bound tokens with the DPoP scheme only.
	DPoPRequired
)

// Confirmation is the "cnf" claim of a token (RFC 7800 §3.1), from a JWT or
// an introspection answer: the key or certificate the token is bound to.
type Confirmation struct {
	// JKT is the RFC 7638 thumbprint of the DPoP key (RFC 9449 §6.1).
	JKT string
	// X5TS256 is the SHA-256 thumbprint of the client certificate (RFC 8705
	// §3.1), base64url.
	X5TS256 string
	// Other lists the names of the members rsguard does not verify ("jwk",
	// "kid", …), in order.
	Other []string
}

// seenCnf marks "cnf" among the registered claims (claims.go).
const seenCnf = 1 << 13

// scanConfirmation scans the "cnf" object into *dst. Duplicate members and
// members of the wrong type are malformed.
func scanConfirmation(s *jsonscan.Scanner, seen *int, dst **Confirmation) error {
	if *seen&seenCnf != 0 {
		return jsonscan.ErrSyntax
	}
	*seen |= seenCnf
	cnf := &Confirmation{}
	var have [2]bool
	err := s.Object(false, func(name string) error {
		var dst *string
		switch name {
		case "jkt":
			dst = &cnf.JKT
		case "x5t#S256":
			dst = &cnf.X5TS256
		default:
			if strings.EqualFold(name, "jkt") || strings.EqualFold(name, "x5t#S256") || slices.Contains(cnf.Other, name) {
				return jsonscan.ErrSyntax // a twin or a duplicate: one reading only
			}
			cnf.Other = append(cnf.Other, name)
			return s.Skip(1)
		}
		i := 0
		if dst == &cnf.X5TS256 {
			i = 1
		}
		if have[i] {
			return jsonscan.ErrSyntax
		}
		have[i] = true
		v, err := s.Str()
		if err == nil && v == "" {
			err = jsonscan.ErrSyntax
		}
		*dst = v
		return err
	})
	*dst = cnf
	return err
}

// dpopBound reports whether c is bound to a DPoP key: "cnf" with "jkt", or
// an introspected "token_type" DPoP (RFC 9449 §6.2).
func (c *Claims) dpopBound() bool {
	return (c.Confirmation != nil && c.Confirmation.JKT != "") || strings.EqualFold(c.TokenType, "DPoP")
}

// presentation is what the request presents: the token and its scheme.
type presentation struct {
	token string
	dpop  bool // the DPoP scheme (RFC 9449 §7.1), else Bearer or a parameter
}

// Preallocated refusals of binding checks.
var (
	errSenderConstrained = invalid(ErrSenderConstrained)
	errNotDPoPBound      = invalid(ErrNotDPoPBound)
	errDPoPRequired      = invalid(ErrDPoPRequired)
	errProofWithBearer   = newError(ErrInvalidRequest, ErrProofWithBearer, nil)
	errCertMismatch      = invalid(ErrCertificateMismatch)
	errNoCertificate     = newError(ErrInvalidToken, ErrSenderConstrained, errors.New("no client certificate"))
	errUnknownCnf        = newError(ErrInvalidToken, ErrSenderConstrained, errors.New("unverified confirmation method"))
	errDPoPOff           = newError(ErrInvalidToken, ErrSenderConstrained, errors.New("DPoP is not accepted"))
)

// bind makes every binding decision for a validated token: it runs on every
// request, cache hit or not, so that a token is accepted only when the
// request proves what its "cnf" demands. cred is nil for [Validator.Validate],
// which therefore refuses every bound token.
// plainBearer reports whether bind has nothing to check, so that the
// request path skips it: a bearer token without "cnf" or "token_type", no
// DPoP proof presented, under an issuer that does not require DPoP, with no
// mode of the request's own. TestPlainBearer holds it to bind.
func plainBearer(c *Claims, is *issuer, p presentation, cred *Credentials) bool {
	return !p.dpop && c.Confirmation == nil && c.TokenType == "" && is != nil && is.dpop != DPoPRequired &&
		(cred == nil || (cred.DPoPMode == DPoPInherit && len(cred.DPoP) == 0))
}

func (v *Validator) bind(ctx context.Context, c *Claims, is *issuer, p presentation, cred *Credentials) error {
	if is == nil {
		is = v.configOf(c.Issuer)
	}
	mode := DPoPOff
	if is != nil {
		mode = is.dpop
	}
	if cred != nil && cred.DPoPMode != DPoPInherit {
		mode = cred.DPoPMode
	}
	cnf := c.Confirmation
	if cnf != nil && !v.confirmationKnown(cnf) {
		return errUnknownCnf
	}
	if err := v.bindScheme(ctx, c, mode, p, cred); err != nil {
		return err
	}
	if cnf != nil && cnf.X5TS256 != "" {
		var cert *x509.Certificate
		if cred != nil {
			cert = cred.PeerCertificate
		}
		return checkCertificate(cnf.X5TS256, cert)
	}
	return nil
}

// bindScheme checks the presentation scheme against the token's DPoP
// binding and the mode, and verifies the proof of a DPoP presentation.
func (v *Validator) bindScheme(ctx context.Context, c *Claims, mode DPoPMode, p presentation, cred *Credentials) error {
	bound := c.dpopBound()
	if !p.dpop {
		switch {
		case mode > DPoPOff && cred != nil && len(cred.DPoP) > 0:
			return errProofWithBearer
		case bound:
			return errSenderConstrained
		case mode == DPoPRequired:
			return errDPoPRequired
		}
		return nil
	}
	switch {
	case mode <= DPoPOff:
		if bound {
			return errDPoPOff
		}
		return errNotDPoPBound
	case !bound:
		return errNotDPoPBound
	case c.Confirmation == nil || c.Confirmation.JKT == "":
		// token_type DPoP without "cnf.jkt": nothing to check the proof against.
		return newError(ErrInvalidToken, ErrSenderConstrained, errors.New("no \"cnf.jkt\""))
	}
	return v.dpop.checkProof(ctx, c.Confirmation.JKT, p.token, c.ath, cred)
}

// confirmationKnown reports whether every member of cnf is one rsguard
// verifies or one [Config.AllowUnverifiedConfirmation] names. An empty
// "cnf" binds to nothing verifiable and is refused too.
func (v *Validator) confirmationKnown(cnf *Confirmation) bool {
	for _, name := range cnf.Other {
		if !slices.Contains(v.ignoreCnf, name) {
			return false
		}
	}
	return cnf.JKT != "" || cnf.X5TS256 != "" || len(cnf.Other) > 0
}

// checkCertificate checks a certificate-bound token (RFC 8705 §3.1): want,
// the token's "x5t#S256", must be base64url(SHA-256(DER)) of cert.
func checkCertificate(want string, cert *x509.Certificate) error {
	if cert == nil {
		return errNoCertificate
	}
	sum := sha256.Sum256(cert.Raw)
	var enc [43]byte
	b64.Encode(enc[:], sum[:])
	if !equalConstantTime(unsafe.String(&enc[0], len(enc)), want) {
		return errCertMismatch
	}
	return nil
}

// CertificateThumbprint returns the "x5t#S256" of cert (RFC 8705 §3.1):
// base64url(SHA-256(DER)), the value a certificate-bound token carries.
func CertificateThumbprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return b64.EncodeToString(sum[:])
}

// issuerByURL returns the configured issuer of a validated token.
func (v *Validator) issuerByURL(url string) *issuer {
	if v.single != nil {
		return v.single
	}
	return v.byURL[url]
}
