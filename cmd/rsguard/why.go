package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// why says in plain words why the check r refused the token.
func (vf *verifier) why(r rule, res *result, v *tokenView, c *middleware.Claims) string {
	if isBindingRule(r) {
		return vf.whyBinding(r, res.err, c)
	}
	e := res.err
	switch r {
	case ruleToken:
		return "no token was given"
	case ruleSize:
		return fmt.Sprintf("the token is %d bytes, over the limit of %d", v.size, middleware.DefaultMaxTokenSize)
	case ruleFormat:
		return vf.whyFormat(e, v)
	case ruleHeader:
		if errors.Is(e, middleware.ErrUnknownCritical) {
			return `the header lists critical extensions ("crit"), which rsguard does not implement, so it must refuse the token (RFC 7515 §4.1.11)`
		}
		return "the header is not a valid JOSE header: bad JSON, no \"alg\", or a duplicate or non-string alg, typ or kid"
	case ruleAlg:
		if strings.EqualFold(v.alg, "none") {
			return `the algorithm "none" (an unsigned token) is never accepted`
		}
		return fmt.Sprintf("the algorithm %q is not in the allowed list (%s); HMAC (HS256…) needs a shared secret configured through the library", v.alg, strings.Join(vf.algs(), " "))
	case ruleClaims:
		return "the payload is not a valid JSON claims set (bad JSON, or a registered claim of the wrong type, or twice)"
	case ruleIss:
		if errors.Is(e, middleware.ErrMissingClaim) {
			return `the token has no "iss" claim`
		}
		return fmt.Sprintf("the token's issuer %q is not the trusted issuer %q", claimIssuer(c), vf.cmd.issuer)
	case ruleTyp:
		return vf.whyTyp(v)
	case ruleKey:
		return vf.whyKey(e, v)
	case ruleSignature:
		return fmt.Sprintf("the %s signature does not verify with key %q: the token was altered, or signed by another key", v.alg, v.kid)
	case ruleIntrospection:
		if errors.Is(e, middleware.ErrInactive) {
			return "the introspection endpoint answered active=false: the token is revoked, expired or unknown to it"
		}
		return "the introspection endpoint gave no usable answer" + causeText(e)
	case ruleTokenType:
		return fmt.Sprintf("the introspected token_type %q is not an access token", claimTokenType(c))
	}
	return vf.whyClaim(r, e, c)
}

// whyClaim covers the time, audience and scope checks.
func (vf *verifier) whyClaim(r rule, e *middleware.Error, c *middleware.Claims) string {
	if errors.Is(e, middleware.ErrMissingClaim) {
		return fmt.Sprintf("the token has no %q claim", string(r))
	}
	skew := fmt.Sprintf("clock skew %s", vf.skew)
	if r == ruleNbf || r == ruleIat {
		return vf.whyEarly(r, c, skew)
	}
	switch r {
	case ruleExp:
		if c != nil && !c.ExpiresAt.IsZero() {
			return fmt.Sprintf("the token expired %s ago, at %s (%s)",
				vf.now.Sub(c.ExpiresAt).Round(1e9), c.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z"), skew)
		}
		return "the token has expired (" + skew + ")"
	case ruleAud:
		return fmt.Sprintf("the token's audience [%s] does not include an accepted audience [%s]",
			quoteList(claimAudience(c)), quoteList(vf.cmd.audiences))
	case ruleScopeClaim:
		return "the scope claim is not a valid scope string or array (RFC 6749 §3.3)"
	case ruleScope:
		return fmt.Sprintf("the token's scopes [%s] do not satisfy --scope %s; it would need: %s",
			claimScopes(c), strings.Join(vf.cmd.scope, " --scope "), e.Scope)
	}
	return e.Description + causeText(e)
}

// whyEarly covers "nbf" and "iat" in the future.
func (vf *verifier) whyEarly(r rule, c *middleware.Claims, skew string) string {
	what, t := "the token is not valid yet: nbf", time.Time{}
	if c != nil {
		t = c.NotBefore
	}
	if r == ruleIat {
		what = "the token was issued in the future: iat"
		if c != nil {
			t = c.IssuedAt
		}
	}
	if t.IsZero() {
		return what + " (" + skew + ")"
	}
	return fmt.Sprintf("%s is %s, %s", what, when(t, vf.now), skew)
}

func (vf *verifier) whyFormat(e *middleware.Error, v *tokenView) string {
	switch {
	case errors.Is(e, middleware.ErrUnsupportedFormat):
		return "the token is encrypted (a JWE, RFC 7516): a resource server cannot decrypt it, so only introspection (--introspect) can check it"
	case !v.jws && vf.in == nil:
		return "the token is not a JWT (no base64url JSON header), and no --introspect endpoint is set for opaque tokens"
	}
	return "the token is not a well-formed signed JWT" + causeText(e)
}

func (vf *verifier) whyTyp(v *tokenView) string {
	accepted := quoteList(vf.types())
	if !v.hasTyp {
		return fmt.Sprintf(`the token has no "typ" header (accepted: %s); for issuers that predate RFC 9068 use --typ compat`, accepted)
	}
	return fmt.Sprintf(`the "typ" header %q is not accepted (accepted: %s); for issuers that predate RFC 9068 use --typ compat, or name the type with --typ`, v.typ, accepted)
}

func (vf *verifier) whyKey(e *middleware.Error, v *tokenView) string {
	switch {
	case errors.Is(e, middleware.ErrUnavailable):
		return "the issuer's signing keys could not be fetched" + causeText(e)
	case errors.Is(e, middleware.ErrKeyMismatch):
		return fmt.Sprintf("the key %q cannot verify %s: wrong key type, or the key's own \"alg\" differs", v.kid, v.alg)
	case v.kid == "":
		return "the token names no key (no \"kid\") and the key set does not hold exactly one key"
	}
	return fmt.Sprintf("unknown signing key: no key with kid %q in the issuer's key set%s — the token was signed by a key this issuer does not publish",
		v.kid, vf.knownKIDs())
}

// knownKIDs lists the kids of the key set, when the key source can tell.
func (vf *verifier) knownKIDs() string {
	l, ok := vf.keys.(interface{ Keys() []*jwks.Key })
	if !ok {
		return ""
	}
	var ids []string
	for _, k := range l.Keys() {
		ids = append(ids, fmt.Sprintf("%q", k.ID()))
	}
	if len(ids) == 0 {
		return " (it holds none)"
	}
	return " (it holds " + strings.Join(ids, ", ") + ")"
}

// keyType describes a verification key.
func keyType(k *jwks.Key) string {
	var t string
	switch p := k.Public().(type) {
	case *rsa.PublicKey:
		t = fmt.Sprintf("RSA %d-bit", p.N.BitLen())
	case *ecdsa.PublicKey:
		t = "EC " + p.Curve.Params().Name
	case ed25519.PublicKey:
		t = "Ed25519"
	default:
		t = "HMAC secret"
	}
	if a := k.Algorithm(); a != "" {
		return t + ", alg " + a
	}
	return t
}

func causeText(e *middleware.Error) string {
	if e.Err == nil {
		return ""
	}
	// A cause may join several errors with newlines (errors.Join).
	return ": " + strings.ReplaceAll(e.Err.Error(), "\n", "; ")
}

func (vf *verifier) algs() []string {
	if len(vf.cmd.algs) > 0 {
		return vf.cmd.algs
	}
	return middleware.DefaultAlgorithms()
}

func (vf *verifier) types() []string {
	if len(vf.cmd.types) > 0 {
		return vf.cmd.types
	}
	return middleware.DefaultTypes()
}

func claimIssuer(c *middleware.Claims) string {
	if c == nil {
		return ""
	}
	return c.Issuer
}

func claimAudience(c *middleware.Claims) []string {
	if c == nil {
		return nil
	}
	return c.Audience
}

func claimScopes(c *middleware.Claims) string {
	if c == nil {
		return ""
	}
	return c.Scopes.String()
}

func claimTokenType(c *middleware.Claims) string {
	if c == nil {
		return ""
	}
	return c.TokenType
}
