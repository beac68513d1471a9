package middleware

// Rule names one check of the core's pipeline: [Error.Rule] says which check
// refused a token, and [Validator.Checks] lists them in the order they are
// made. Tools (the rsguard CLI's --explain) read both; none derives them from
// error text.
type Rule string

// The checks, named as a developer debugging a 401 looks for them.
const (
	RuleRequest       Rule = "request"       // the credentials are well-formed: one token, one Authorization value (RFC 6750 §2, §3.1)
	RuleToken         Rule = "token"         // a token is presented (RFC 6750 §3.1)
	RuleSize          Rule = "size"          // the token is within Config.MaxTokenSize
	RuleFormat        Rule = "format"        // a compact JWS (RFC 7515 §7.1), else opaque for introspection
	RuleHeader        Rule = "header"        // a valid JOSE header without "crit" (RFC 7515 §4.1.11)
	RuleAlg           Rule = "alg"           // the algorithm is allowed (RFC 8725 §3.1)
	RuleClaims        Rule = "claims"        // a valid JSON claims set (RFC 7519 §4)
	RuleIss           Rule = "iss"           // the issuer is trusted (RFC 9068 §4)
	RuleTyp           Rule = "typ"           // the "typ" header is accepted (RFC 9068 §4, RFC 8725 §3.11)
	RuleKey           Rule = "key"           // the key source has the signing key (RFC 7515 §4.1.4)
	RuleSignature     Rule = "signature"     // the signature verifies (RFC 7515 §5.2)
	RuleIntrospection Rule = "introspection" // the introspection endpoint says active (RFC 7662 §2.2)
	RuleTokenType     Rule = "token_type"    // the introspected token is an access token (RFC 7662 §2.2)
	RuleExp           Rule = "exp"           // not expired (RFC 7519 §4.1.4)
	RuleNbf           Rule = "nbf"           // not before "nbf" (RFC 7519 §4.1.5)
	RuleIat           Rule = "iat"           // not issued in the future (RFC 7519 §4.1.6)
	RuleAud           Rule = "aud"           // an accepted audience (RFC 9068 §4)
	RuleProfile       Rule = "profile"       // with Issuer.StrictProfile, the RFC 9068 §2.2 claims sub, client_id, iat, jti are present
	RuleScopeClaim    Rule = "scope_claim"   // the scope claim is a scope string or array (RFC 6749 §3.3)
	RuleRoleClaim     Rule = "role_claim"    // the Issuer.RoleClaims hold strings or arrays of strings
	RuleBinding       Rule = "binding"       // a sender-constrained token's proof: DPoP (RFC 9449 §4.3) or certificate (RFC 8705 §3)
	RuleValidators    Rule = "validators"    // the issuer's own claim checks (Issuer.Validators) accept the token
	RuleScope         Rule = "scope"         // the scopes and claims satisfy the route's requirement (RFC 6750 §3.1, RFC 9470 §3)
)

// Token forms, each with its own sequence of checks.
const (
	formJWS          = iota // a compact JWS verified with the issuer's keys
	formIntrospected        // a compact JWS of an issuer without keys, introspected
	formOpaque              // anything else, introspected
)

// checkOrder is the one statement of the pipeline's order, by token form:
// [Validator.Admit] makes these checks in this sequence (validate, then
// claims, then the requirement), and the first that fails is the one
// [Error.Rule] names. TestCheckOrder holds the validator to it.
var checkOrder = [...][]Rule{
	formJWS: {RuleRequest, RuleToken, RuleSize, RuleFormat, RuleHeader, RuleAlg, RuleClaims, RuleIss, RuleTyp,
		RuleKey, RuleSignature, RuleExp, RuleNbf, RuleIat, RuleAud, RuleProfile, RuleScopeClaim, RuleRoleClaim,
		RuleBinding, RuleValidators, RuleScope},
	formIntrospected: {RuleRequest, RuleToken, RuleSize, RuleFormat, RuleHeader, RuleAlg, RuleClaims, RuleIss, RuleTyp,
		RuleIntrospection, RuleTokenType, RuleExp, RuleNbf, RuleIat, RuleAud, RuleScopeClaim, RuleRoleClaim,
		RuleBinding, RuleValidators, RuleScope},
	formOpaque: {RuleRequest, RuleToken, RuleSize, RuleFormat,
		RuleIntrospection, RuleTokenType, RuleExp, RuleNbf, RuleIat, RuleIss, RuleAud, RuleScopeClaim, RuleRoleClaim,
		RuleBinding, RuleValidators, RuleScope},
}

// Checks returns the checks [Validator.Admit] makes of token, in order: for
// a compact JWS of an issuer with keys, the header, algorithm, claims,
// issuer, type, key and signature checks; for one of an issuer without keys,
// or an opaque token, introspection instead of key and signature. A
// refusal's [Error.Rule] is one of them, and every check before it passed.
// The slice is the caller's.
func (v *Validator) Checks(token string) []Rule {
	return append([]Rule(nil), checkOrder[v.form(token)]...)
}

// form tells which sequence of checks token goes through.
func (v *Validator) form(token string) int {
	var j jws
	if err := splitJWS(token, &j); err == errNotJWS || err == errJWE {
		return formOpaque
	} else if err != nil {
		return formJWS
	}
	c, _, err := j.claims()
	if err != nil {
		return formJWS
	}
	if is, err := v.issuerOf(c); err == nil && is.Keys == nil {
		return formIntrospected
	}
	return formJWS
}

// ruleOf is the check a reason sentinel names when no other is given: the
// reasons that several checks share (ErrMalformed, ErrMissingClaim,
// ErrNotYetValid, ErrWrongType) are given their rule where they are made.
func ruleOf(reason error) Rule {
	switch reason {
	case ErrMissingToken:
		return RuleToken
	case ErrMultipleTokens, ErrMalformedHeader, ErrBodyTooLarge:
		return RuleRequest
	case ErrTokenTooLarge:
		return RuleSize
	case ErrMalformed, ErrUnsupportedFormat:
		return RuleFormat
	case ErrUnknownCritical:
		return RuleHeader
	case ErrDisallowedAlg:
		return RuleAlg
	case ErrMissingClaim:
		return RuleClaims
	case ErrIssuerMismatch:
		return RuleIss
	case ErrWrongType:
		return RuleTyp
	case ErrUnknownKey, ErrKeyMismatch, ErrKeysUnavailable:
		return RuleKey
	case ErrBadSignature:
		return RuleSignature
	case ErrInactive, ErrIntrospectionError:
		return RuleIntrospection
	case ErrExpired:
		return RuleExp
	case ErrNotYetValid:
		return RuleNbf
	case ErrAudienceMismatch:
		return RuleAud
	case ErrInsufficientScope, ErrRequirementUnmet, ErrInsufficientUserAuthentication:
		return RuleScope
	case ErrClaimRejected:
		return RuleValidators
	case ErrSenderConstrained, ErrCertificateMismatch, ErrNotDPoPBound, ErrDPoPRequired, ErrProofWithBearer,
		ErrDPoPProofCount, ErrDPoPMalformed, ErrDPoPType, ErrDPoPAlgorithm, ErrDPoPKey, ErrDPoPSignature,
		ErrDPoPMethod, ErrDPoPURI, ErrDPoPTime, ErrDPoPReplayed, ErrDPoPTokenHash, ErrDPoPKeyBinding,
		ErrUseDPoPNonce, ErrReplayUnavailable:
		return RuleBinding
	}
	return ""
}

// at sets e's rule and returns e, for errors made once (package variables).
func (e *Error) at(r Rule) *Error {
	e.Rule = r
	return e
}

// withRule returns err as an *Error whose Rule is r when it names none: the
// errors of key sources and introspectors are attributed to the check that
// called them. An *Error that already names a rule is returned as is.
func withRule(err error, r Rule) *Error {
	e := AsError(err)
	if e.Rule != "" {
		return e
	}
	cp := *e
	cp.Rule = r
	return &cp
}
