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
	RuleValidators    Rule = "validators"    // the issuer's own claim checks (Issuer.Validators) accept the token
	RuleScope         Rule = "scope"         // the scopes and claims satisfy the route's requirement (RFC 6750 §3.1, RFC 9470 §3)
)

// The checks of sender-constrained tokens (RFC 9449 DPoP, RFC 8705
// certificate binding), made after the token's own checks, before the scope.
const (
	RuleCnf           Rule = "cnf"            // the presentation fits the token's binding (RFC 9449 §7, RFC 8705 §3)
	RuleDPoPProof     Rule = "dpop"           // one DPoP proof, a compact JWS (RFC 9449 §4.3 points 1–2)
	RuleDPoPAlg       Rule = "dpop.alg"       // an allowed asymmetric algorithm (§4.3 point 5)
	RuleDPoPTyp       Rule = "dpop.typ"       // "typ" dpop+jwt (§4.3 point 4)
	RuleDPoPJWK       Rule = "dpop.jwk"       // an embedded public key (§4.3 point 7)
	RuleJKT           Rule = "jkt"            // the proof key is the token's "cnf.jkt" (§6.1)
	RuleHTM           Rule = "htm"            // the request method (§4.3 point 8)
	RuleHTU           Rule = "htu"            // the request URI, normalized (§4.3 point 9)
	RuleDPoPIat       Rule = "dpop.iat"       // issued within the window (§4.3 point 11)
	RuleAth           Rule = "ath"            // the access token's hash (§4.3 point 12)
	RuleDPoPSignature Rule = "dpop.signature" // signed by the embedded key (§4.3 point 6)
	RuleJTI           Rule = "jti"            // not seen before (§11.1)
	RuleX5t           Rule = "x5t#S256"       // the client certificate's thumbprint (RFC 8705 §3.1)
)

// dpopOrder is the order of a DPoP proof's checks.
var dpopOrder = []Rule{RuleDPoPProof, RuleDPoPAlg, RuleDPoPTyp, RuleDPoPJWK, RuleJKT, RuleHTM, RuleHTU,
	RuleDPoPIat, RuleAth, RuleDPoPSignature, RuleJTI}

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
		RuleValidators, RuleScope},
	formIntrospected: {RuleRequest, RuleToken, RuleSize, RuleFormat, RuleHeader, RuleAlg, RuleClaims, RuleIss, RuleTyp,
		RuleIntrospection, RuleTokenType, RuleExp, RuleNbf, RuleIat, RuleAud, RuleScopeClaim, RuleRoleClaim,
		RuleValidators, RuleScope},
	formOpaque: {RuleRequest, RuleToken, RuleSize, RuleFormat,
		RuleIntrospection, RuleTokenType, RuleExp, RuleNbf, RuleIat, RuleIss, RuleAud, RuleScopeClaim, RuleRoleClaim,
		RuleValidators, RuleScope},
}

// afterBinding is how many checks of each checkOrder come after the binding
// checks: the issuer's own claim checks and the route's requirement.
const afterBinding = 2

// Checks returns the checks [Validator.Admit] makes of the credentials, in
// order: for a compact JWS of an issuer with keys, the header, algorithm,
// claims, issuer, type, key and signature checks; for one of an issuer
// without keys, or an opaque token, introspection instead of key and
// signature; then, for a sender-constrained token or one presented with a
// DPoP proof or a client certificate, the binding checks ([RuleCnf], the
// DPoP proof's, [RuleX5t]); the issuer's claim checks and the route's
// requirement last. A refusal's [Error.Rule] is one
// of them, and every check before it passed. The slice is the caller's.
func (v *Validator) Checks(cred *Credentials) []Rule {
	p, _ := presented(cred)
	form, c := v.form(p.token)
	order := checkOrder[form]
	tail := order[len(order)-afterBinding:]
	out := append([]Rule(nil), order[:len(order)-afterBinding]...)
	var cert bool
	if cred != nil {
		cert = cred.PeerCertificate != nil
	}
	bound := c != nil && c.Confirmation != nil
	if p.dpop || cert || bound {
		out = append(out, RuleCnf)
	}
	if p.dpop {
		out = append(out, dpopOrder...)
	}
	if cert || (bound && c.Confirmation.X5TS256 != "") {
		out = append(out, RuleX5t)
	}
	return append(out, tail...)
}

// form tells which sequence of checks token goes through, with its claims
// when it is a JWS (unverified: for the choice of checks only).
func (v *Validator) form(token string) (int, *Claims) {
	var j jws
	if err := splitJWS(token, &j); err == errNotJWS || err == errJWE {
		return formOpaque, nil
	} else if err != nil {
		return formJWS, nil
	}
	c, _, err := j.claims()
	if err != nil {
		return formJWS, nil
	}
	if is := v.configOf(c.Issuer); is != nil && is.Keys == nil && is.Tenants == nil {
		return formIntrospected, c
	}
	return formJWS, c
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
	}
	return bindingRules[reason]
}

// bindingRules names the check of each sender-constraint reason.
var bindingRules = map[error]Rule{
	ErrSenderConstrained:   RuleCnf,
	ErrNotDPoPBound:        RuleCnf,
	ErrDPoPRequired:        RuleCnf,
	ErrProofWithBearer:     RuleCnf,
	ErrDPoPProofCount:      RuleDPoPProof,
	ErrDPoPMalformed:       RuleDPoPProof,
	ErrDPoPAlgorithm:       RuleDPoPAlg,
	ErrDPoPType:            RuleDPoPTyp,
	ErrDPoPKey:             RuleDPoPJWK,
	ErrDPoPKeyBinding:      RuleJKT,
	ErrDPoPMethod:          RuleHTM,
	ErrDPoPURI:             RuleHTU,
	ErrDPoPTime:            RuleDPoPIat,
	ErrUseDPoPNonce:        RuleDPoPIat,
	ErrDPoPTokenHash:       RuleAth,
	ErrDPoPSignature:       RuleDPoPSignature,
	ErrDPoPReplayed:        RuleJTI,
	ErrReplayUnavailable:   RuleJTI,
	ErrCertificateMismatch: RuleX5t,
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
