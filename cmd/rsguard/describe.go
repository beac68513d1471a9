package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rsguard/rsguard/middleware"
)

// rule names one check of the validator, as the CLI reports it.
type rule string

// The checks, named as a user debugging a 401 would look for them.
const (
	ruleToken         rule = "token"
	ruleSize          rule = "size"
	ruleFormat        rule = "format"
	ruleHeader        rule = "header"
	ruleAlg           rule = "alg"
	ruleClaims        rule = "claims"
	ruleIss           rule = "iss"
	ruleTyp           rule = "typ"
	ruleKey           rule = "key"
	ruleSignature     rule = "signature"
	ruleIntrospection rule = "introspection"
	ruleTokenType     rule = "token_type"
	ruleExp           rule = "exp"
	ruleNbf           rule = "nbf"
	ruleIat           rule = "iat"
	ruleAud           rule = "aud"
	ruleScope         rule = "scope"
)

// reasonRules places the refusals whose reason alone names the check.
var reasonRules = map[error]rule{
	middleware.ErrTokenTooLarge:     ruleSize,
	middleware.ErrUnsupportedFormat: ruleFormat,
	middleware.ErrUnknownCritical:   ruleHeader,
	middleware.ErrDisallowedAlg:     ruleAlg,
	middleware.ErrUnknownKey:        ruleKey,
	middleware.ErrKeyMismatch:       ruleKey,
	middleware.ErrBadSignature:      ruleSignature,
	middleware.ErrExpired:           ruleExp,
	middleware.ErrIssuerMismatch:    ruleIss,
	middleware.ErrAudienceMismatch:  ruleAud,
}

// failedRule names the check that produced e, from its category, reason and
// cause: the validator decides, this only labels its decision.
func failedRule(e *middleware.Error) rule {
	if r, ok := bindingRule(e); ok {
		return r
	}
	switch {
	case errors.Is(e, middleware.ErrMissingToken):
		return ruleToken
	case errors.Is(e, middleware.ErrInsufficientScope):
		return ruleScope
	case errors.Is(e, middleware.ErrIntrospectionError), errors.Is(e, middleware.ErrInactive):
		return ruleIntrospection
	case errors.Is(e, middleware.ErrUnavailable):
		return ruleKey
	}
	if r, ok := reasonRules[e.Reason]; ok {
		return r
	}
	return causeRule(e)
}

// causeRule places the refusals whose reason is shared by several checks,
// by the cause the validator attached.
func causeRule(e *middleware.Error) rule {
	cause := ""
	if e.Err != nil {
		cause = e.Err.Error()
	}
	switch e.Reason {
	case middleware.ErrWrongType:
		if strings.Contains(cause, "introspect") {
			return ruleTokenType
		}
		return ruleTyp
	case middleware.ErrNotYetValid:
		if strings.Contains(cause, `"iat"`) {
			return ruleIat
		}
		return ruleNbf
	case middleware.ErrMissingClaim:
		for _, r := range []rule{ruleIss, ruleExp, ruleAud, ruleNbf, ruleIat} {
			if strings.Contains(cause, `"`+string(r)+`"`) {
				return r
			}
		}
		return ruleClaims
	case middleware.ErrMalformed:
		return malformedRule(cause)
	}
	return ruleFormat
}

// malformedRule places an ErrMalformed refusal by the part its cause names.
func malformedRule(cause string) rule {
	switch {
	case strings.Contains(cause, "scope"):
		return ruleScope
	case strings.Contains(cause, "header"):
		return ruleHeader
	case strings.Contains(cause, "claims"):
		return ruleClaims
	}
	return ruleFormat
}

// tokenView is a token decoded for display only: what --explain and refusal
// messages show. It never decides anything.
type tokenView struct {
	size       int
	jws        bool // three parts, the first decoding to a JSON object: validated locally
	jwe        bool // five parts: an encrypted JWT
	headerJSON string
	header     map[string]any
	alg, typ   string
	kid        string
	hasTyp     bool
	claims     *middleware.Claims // the payload, parsed by the core's ParseClaims
}

func viewToken(tok, scopeClaim string) *tokenView {
	v := &tokenView{size: len(tok)}
	parts := strings.Split(tok, ".")
	v.jwe = len(parts) == 5
	if len(parts) != 3 {
		return v
	}
	hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || len(hdr) == 0 || hdr[0] != '{' {
		return v
	}
	v.jws = true
	if json.Unmarshal(hdr, &v.header) == nil {
		compact, _ := json.Marshal(v.header)
		v.headerJSON = string(compact)
		v.alg, _ = v.header["alg"].(string)
		v.kid, _ = v.header["kid"].(string)
		var typ any
		typ, v.hasTyp = v.header["typ"]
		v.typ, _ = typ.(string)
	}
	if payload, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
		v.claims, _ = middleware.ParseClaims(payload, scopeClaim)
	}
	return v
}

// tokenOrder lists the checks in the order the validator makes them, for the
// path this token takes.
func (vf *verifier) tokenOrder(v *tokenView) []rule {
	claims := []rule{ruleExp, ruleNbf, ruleIat, ruleAud, ruleScope}
	switch {
	case v.jws && vf.keys != nil:
		return append([]rule{ruleSize, ruleFormat, ruleHeader, ruleAlg, ruleClaims, ruleIss, ruleTyp, ruleKey, ruleSignature}, claims...)
	case v.jws:
		return append([]rule{ruleSize, ruleFormat, ruleHeader, ruleAlg, ruleClaims, ruleIss, ruleTyp, ruleIntrospection, ruleTokenType}, claims...)
	}
	return []rule{ruleSize, ruleFormat, ruleIntrospection, ruleTokenType, ruleExp, ruleNbf, ruleIat, ruleIss, ruleAud, ruleScope}
}

// reached reports whether the validator got past rule r for this result.
func (vf *verifier) reached(res *result, v *tokenView, r rule) bool {
	if res.err == nil {
		return true
	}
	order := vf.order(v)
	fail, at := failedRule(res.err), -1
	for i, o := range order {
		if o == r && at < 0 {
			at = i
		}
		if o == fail {
			return at >= 0 && at < i
		}
	}
	return false
}

// shownClaims returns the claims to display: the accepted ones, else those
// the introspection endpoint returned (from the introspector's cache: no
// second request), else the token's own payload.
func (vf *verifier) shownClaims(ctx context.Context, res *result, v *tokenView) *middleware.Claims {
	if res.claims != nil {
		return res.claims
	}
	if vf.in != nil && (!v.jws || vf.keys == nil) && vf.reached(res, v, ruleIntrospection) {
		if c, err := vf.in.Introspect(ctx, res.token); err == nil {
			return c
		}
	}
	return v.claims
}

// when formats t with its distance from now.
func when(t, now time.Time) string {
	d := t.Sub(now).Round(time.Second)
	switch {
	case d > 0:
		return fmt.Sprintf("%s (in %s)", t.UTC().Format(time.RFC3339), d)
	case d < 0:
		return fmt.Sprintf("%s (%s ago)", t.UTC().Format(time.RFC3339), -d)
	}
	return t.UTC().Format(time.RFC3339) + " (now)"
}

// quoteList formats values as a list of quoted strings.
func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, s := range vals {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
