package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rsguard/rsguard/middleware"
)

// Marks of the --explain lines.
const (
	markPass = "PASS"
	markFail = "FAIL"
	markSkip = "----" // not reached: the validator stopped at the failed check
)

// explain writes the checks in the validator's order for this token, marking
// each passed, failed or not reached, with what it looked at. The marks come
// from the validator's verdict (res); the values are decoded for display.
func (vf *verifier) explain(ctx context.Context, w io.Writer, res *result) {
	v := viewToken(res.token, vf.cmd.scopeClaim)
	c := vf.shownClaims(ctx, res, v)
	failed := rule("")
	if res.err != nil {
		failed = failedRule(res.err)
	}
	mark := markPass
	for _, r := range vf.order(res) {
		text := vf.info(ctx, r, res, v, c)
		if r == failed {
			mark, text = markFail, vf.why(r, res, v, c)
		} else if mark == markFail {
			mark = markSkip
		}
		fmt.Fprintf(w, "%s  %-13s %s\n", mark, r, text)
		if mark == markFail {
			mark = markSkip
		}
	}
	if mark == markPass && res.err != nil { // a check this view does not list
		fmt.Fprintf(w, "%s  %-13s %s\n", markFail, failed, vf.why(failed, res, v, c))
	}
	fmt.Fprintf(w, "\nresult: %s\n", vf.summary(res))
	if res.err != nil {
		if h := hintText(res.err); h != "" {
			fmt.Fprintf(w, "hint: %s\n", h)
		}
	}
}

// hintText is the core's explanation of a refusal that the configuration
// causes ([middleware.Misconfiguration]), with what it expected and received,
// or "" for any other refusal.
func hintText(err error) string {
	m := middleware.MisconfigurationOf(err)
	if m == nil {
		return ""
	}
	return fmt.Sprintf("%s (expected %s, received %s)", m.Hint, m.Expected, m.Received)
}

// info describes what check r looked at, for a line that did not fail.
func (vf *verifier) info(ctx context.Context, r rule, res *result, v *tokenView, c *middleware.Claims) string {
	if isBindingRule(r) {
		return vf.bindingInfo(r, c)
	}
	switch r {
	case ruleRequest:
		return "one token, given on the command line"
	case ruleToken:
		if v.size == 0 {
			return "none given"
		}
		return "present"
	case ruleSize:
		return fmt.Sprintf("%d bytes (limit %d)", v.size, middleware.DefaultMaxTokenSize)
	case ruleFormat:
		if v.jws {
			return "signed JWT (JWS compact serialization): header.payload.signature"
		}
		return "opaque token (not a JWT): resolved by introspection"
	case ruleHeader:
		return v.headerJSON + embeddedKeyNote(v)
	case ruleAlg:
		return fmt.Sprintf("%s (allowed: %s)", v.alg, strings.Join(vf.algs(), " "))
	case ruleIss:
		if c == nil {
			return fmt.Sprintf("not reached (trusted: %q)", vf.cmd.issuer)
		}
		return fmt.Sprintf("%q (trusted: %q)", c.Issuer, vf.cmd.issuer)
	case ruleTyp:
		if !v.hasTyp {
			return fmt.Sprintf("absent (accepted: %s)", quoteList(vf.types()))
		}
		return fmt.Sprintf("%q (accepted: %s)", v.typ, quoteList(vf.types()))
	case ruleKey:
		return vf.keyInfo(ctx, res, v)
	case ruleSignature:
		if vf.reached(res, ruleSignature) {
			return fmt.Sprintf("%s signature verified with key %q", v.alg, v.kid)
		}
		return v.alg + " signature, not checked"
	case ruleIntrospection:
		if vf.in == nil {
			return "no --introspect endpoint"
		}
		if vf.reached(res, ruleIntrospection) {
			return "active, says " + vf.in.Endpoint()
		}
		return "endpoint " + vf.in.Endpoint()
	}
	return claimInfo(r, c, vf)
}

// claimInfo shows one claim's value.
func claimInfo(r rule, c *middleware.Claims, vf *verifier) string {
	if c == nil {
		return "not reached: no claims to show"
	}
	switch r {
	case ruleClaims:
		return fmt.Sprintf("sub %q, client_id %q, jti %q", c.Subject, c.ClientID, c.ID)
	case ruleTokenType:
		return orAbsent(quoteIf(c.TokenType))
	case ruleExp:
		return timeInfo(c.ExpiresAt, vf)
	case ruleNbf:
		return timeInfo(c.NotBefore, vf)
	case ruleIat:
		return timeInfo(c.IssuedAt, vf)
	case ruleAud:
		return fmt.Sprintf("[%s] (accepted: %s)", quoteList(c.Audience), quoteList(vf.cmd.audiences))
	case ruleProfile:
		return "RFC 9068 strict profile not required (Issuer.StrictProfile)"
	case ruleScopeClaim:
		return fmt.Sprintf("granted [%s]", c.Scopes)
	case ruleRoleClaim:
		return "no role claims read (Issuer.RoleClaims)"
	case ruleValidators:
		return "no claim checks (Issuer.Validators)"
	case ruleScope:
		need := "no --scope requirement"
		if len(vf.cmd.scope) > 0 {
			need = "required: --scope " + strings.Join(vf.cmd.scope, " --scope ")
		}
		return fmt.Sprintf("granted [%s]; %s", c.Scopes, need)
	}
	return ""
}

func timeInfo(t time.Time, vf *verifier) string {
	if t.IsZero() {
		return "absent"
	}
	return when(t, vf.now)
}

func orAbsent(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}

func quoteIf(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("%q", s)
}

// embeddedKeyNote points out header parameters that carry or point to keys:
// rsguard never uses them (keys come only from the configured key source).
func embeddedKeyNote(v *tokenView) string {
	var found []string
	for _, p := range []string{"jwk", "jku", "x5u", "x5c"} {
		if _, ok := v.header[p]; ok {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s ignored: keys come only from --jwks or the issuer)", strings.Join(found, ", "))
}

// keyInfo describes the key that verified the token. A known key is looked
// up again for display; that never fetches.
func (vf *verifier) keyInfo(ctx context.Context, res *result, v *tokenView) string {
	if !vf.reached(res, ruleKey) {
		return fmt.Sprintf("kid %q, not looked up", v.kid)
	}
	k, err := vf.keys.LookupKey(ctx, v.kid)
	if err != nil {
		return fmt.Sprintf("kid %q found", v.kid)
	}
	return fmt.Sprintf("kid %q found: %s", v.kid, keyType(k))
}

// summary is the verdict line.
func (vf *verifier) summary(res *result) string {
	if res.err == nil {
		return "accepted"
	}
	e := res.err
	status := middleware.Status(e)
	code := e.Code()
	if code == "" {
		code = "no error code"
	}
	verb := "refused"
	if status == http.StatusServiceUnavailable {
		verb = "not decided: the authorization server is unavailable"
	}
	return fmt.Sprintf("%s — %s (HTTP %d), %s, rule %s", verb, code, status, e.Description, failedRule(e))
}

// writeRefusal prints the error code, the reason and the rule that failed.
func (vf *verifier) writeRefusal(ctx context.Context, w io.Writer, res *result) {
	v := viewToken(res.token, vf.cmd.scopeClaim)
	c := vf.shownClaims(ctx, res, v)
	e := res.err
	r := failedRule(e)
	code := e.Code()
	if code == "" {
		code = "(none)"
	}
	title := "token refused"
	if m := middleware.MisconfigurationOf(e); m != nil && m.Rule == middleware.RuleIntrospection {
		title = "token not checked: the authorization server refuses rsguard's client credentials"
	} else if errors.Is(e, middleware.ErrUnavailable) {
		title = "token not checked: the authorization server is unavailable"
	}
	fmt.Fprintf(w, "rsguard: %s\n  error   %s (HTTP %d)\n  reason  %s\n  rule    %s: %s\n",
		title, code, middleware.Status(e), e.Description, r, vf.why(r, res, v, c))
	if h := hintText(e); h != "" {
		fmt.Fprintf(w, "  hint    %s\n", h)
	}
}
