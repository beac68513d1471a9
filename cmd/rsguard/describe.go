package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rsguard/rsguard/middleware"
)

// rule names one check of the validator: the core's [middleware.Rule],
// which its errors carry and whose order [middleware.Validator.Checks] gives.
type rule = middleware.Rule

// The checks, as the core names them.
const (
	ruleRequest       = middleware.RuleRequest
	ruleToken         = middleware.RuleToken
	ruleSize          = middleware.RuleSize
	ruleFormat        = middleware.RuleFormat
	ruleHeader        = middleware.RuleHeader
	ruleAlg           = middleware.RuleAlg
	ruleClaims        = middleware.RuleClaims
	ruleIss           = middleware.RuleIss
	ruleTyp           = middleware.RuleTyp
	ruleKey           = middleware.RuleKey
	ruleSignature     = middleware.RuleSignature
	ruleIntrospection = middleware.RuleIntrospection
	ruleTokenType     = middleware.RuleTokenType
	ruleExp           = middleware.RuleExp
	ruleNbf           = middleware.RuleNbf
	ruleIat           = middleware.RuleIat
	ruleAud           = middleware.RuleAud
	ruleProfile       = middleware.RuleProfile
	ruleScopeClaim    = middleware.RuleScopeClaim
	ruleRoleClaim     = middleware.RuleRoleClaim
	ruleValidators    = middleware.RuleValidators
	ruleScope         = middleware.RuleScope
)

// failedRule names the check that produced e: the core's own label
// ([middleware.Error.Rule]), never derived here.
func failedRule(e *middleware.Error) rule { return e.Rule }

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

// order lists the checks in the order the validator makes them, for the
// path this token takes: the core's table ([middleware.Validator.Checks]).
func (vf *verifier) order(res *result) []rule {
	return vf.v.Checks(vf.cmd.binding.credentials(res.token))
}

// reached reports whether the validator got past rule r for this result.
func (vf *verifier) reached(res *result, r rule) bool {
	if res.err == nil {
		return true
	}
	order := vf.order(res)
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
	if vf.in != nil && slices.Contains(vf.order(res), ruleIntrospection) && vf.reached(res, ruleIntrospection) {
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
