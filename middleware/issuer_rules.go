package middleware

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rsguard/rsguard/middleware/jwks"
)

// The provider-specific rules an [Issuer] may set beyond the registered
// claims: the claim that names the audience (Issuer.AudienceClaim), the
// issuer's own checks (Issuer.Validators), and the per-key "issuer" of a JWK
// Set (Microsoft Entra ID).

// checkAudienceClaim checks the audience of c in the issuer's AudienceClaim
// (RFC 7519 §4.1.3 read of another member): a string or an array of
// strings, one of which is an accepted audience.
func checkAudienceClaim(c *Claims, is *issuer) error {
	auds, err := audienceClaim(c, is.AudienceClaim)
	if err != nil {
		return err
	}
	for _, a := range auds {
		for _, want := range is.Audiences {
			if a == want {
				return nil
			}
		}
	}
	return misconfigured(invalid(ErrAudienceMismatch), audHint(is, auds))
}

func audienceClaim(c *Claims, name string) ([]string, error) {
	if c.raw == nil && name == "client_id" { // claims built by hand
		if c.ClientID == "" {
			return nil, missingAudience(name)
		}
		return []string{c.ClientID}, nil
	}
	var raw json.RawMessage
	ok, err := c.Claim(name, &raw)
	if err != nil {
		return nil, newError(ErrInvalidToken, ErrMalformed, err).at(RuleAud)
	}
	if !ok {
		return nil, missingAudience(name)
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, newError(ErrInvalidToken, ErrMalformed, fmt.Errorf("%q is not a string or an array of strings", name)).at(RuleAud)
	}
	return many, nil
}

func missingAudience(name string) *Error {
	return newError(ErrInvalidToken, ErrMissingClaim, fmt.Errorf("no %q claim", name)).at(RuleAud)
}

// errKeyIssuer refuses a token signed with a key its JWK Set publishes for
// another issuer.
var errKeyIssuer = newError(ErrInvalidToken, ErrKeyMismatch, nil)

// keyIssuerMatches reports whether a token with claims c may be verified with
// k, whose JWK names the issuer it signs for: Entra ID's keys carry
// "issuer", a template when the key set serves every tenant, and the token's
// "iss" must be that issuer with the token's "tid" in place of
// [TenantPlaceholder]. The rule applies to tokens of the key's own origin
// (scheme and host): Entra ID's v1.0 tokens ("iss" on sts.windows.net) are
// signed with the keys that name its login.microsoftonline.com issuer.
func keyIssuerMatches(k *jwks.Key, c *Claims) bool {
	if origin(k.Issuer()) != origin(c.Issuer) {
		return true
	}
	tmpl, err := parseTemplate(k.Issuer())
	if err != nil {
		return k.Issuer() == c.Issuer
	}
	tenant, ok := tmpl.match(c.Issuer)
	if !ok {
		return false
	}
	return tidIs(c, tenant)
}

// tidIs reports whether c's "tid", when present, is tenant.
func tidIs(c *Claims, tenant string) bool {
	var tid string
	found, err := c.Claim("tid", &tid)
	return err == nil && (!found || tid == tenant)
}

// keyIssuerError is the refusal of a token whose key names another issuer:
// a misconfiguration when the key's issuer does not fit "iss" at all (the
// key source is another issuer's), a plain refusal when only "tid"
// disagrees with "iss" (the token's own claims contradict each other).
func keyIssuerError(is *issuer, k *jwks.Key, c *Claims) *Error {
	if tmpl, err := parseTemplate(k.Issuer()); err == nil {
		if tenant, ok := tmpl.match(c.Issuer); ok && !tidIs(c, tenant) {
			return errKeyIssuer
		}
	}
	return misconfigured(errKeyIssuer, keyIssuerHint(is, k.Issuer(), c.Issuer))
}

// origin returns the scheme and host of an http(s) URL, "" for anything else.
func origin(u string) string {
	rest, ok := strings.CutPrefix(u, "https://")
	scheme := "https://"
	if !ok {
		if rest, ok = strings.CutPrefix(u, "http://"); !ok {
			return ""
		}
		scheme = "http://"
	}
	host, _, _ := strings.Cut(rest, "/")
	return scheme + strings.ToLower(host)
}

// keyError is the answer to a key lookup that failed ([sourceError]); an
// unknown kid that another configured issuer's key set holds is a
// misconfiguration (the key sources are swapped, or one issuer was given
// another's).
func (v *Validator) keyError(is *issuer, kid string, err error) *Error {
	e := withRule(sourceError(err), RuleKey)
	if kid == "" || e.Reason != ErrUnknownKey || len(v.issuers) < 2 {
		return e
	}
	for _, other := range v.issuers {
		if other == is || other.Keys == nil {
			continue
		}
		lister, ok := other.Keys.(interface{ Keys() []*jwks.Key })
		if !ok {
			continue
		}
		for _, k := range lister.Keys() {
			if k.ID() == kid {
				return misconfigured(e, &Misconfiguration{Rule: RuleKey, Issuer: is.URL,
					Expected: "a key of " + Quote(is.URL) + "'s key set", Received: "kid " + Quote(kid) + ", a key of " + Quote(other.URL),
					Hint: "the token's key is in another configured issuer's key set: each Issuer's Keys must be that issuer's own key source"})
			}
		}
	}
	return e
}

var errUnknownKey = invalid(ErrUnknownKey)

// sourceError maps the error of a [jwks.Source] to the validator's: an
// [*Error] is kept (a custom source may answer with [InvalidToken] or
// [Unavailable] itself); one matching ErrUnknownKey ([jwks.ErrUnknownKey])
// refuses the token (invalid_token); anything else means the keys could not
// be obtained, and the token is undecided (ErrUnavailable, reason
// ErrKeysUnavailable: 503) — never accepted, and never refused for an
// outage.
func sourceError(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, ErrUnknownKey):
		return errUnknownKey
	}
	return Unavailable(ErrKeysUnavailable, err)
}
