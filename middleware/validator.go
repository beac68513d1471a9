package middleware

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rsguard/rsguard/internal/jose"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/scopes"
)

// Defaults for [Config] fields left zero.
const (
	DefaultClockSkew    = 30 * time.Second
	DefaultMaxTokenSize = 16 << 10 // bytes
	DefaultCacheSize    = 10_000   // verified tokens
)

// DefaultAlgorithms returns, in a new slice, the JWS algorithms accepted
// when [Issuer.Algorithms] is empty: the asymmetric algorithms of RFC 7518
// §3.1 and EdDSA (RFC 8037). "none" is never accepted; HS256/384/512 only
// when named explicitly.
func DefaultAlgorithms() []string { return jose.Asymmetric() }

// DefaultTypes returns, in a new slice, the accepted "typ" header values when
// [Issuer.Types] is empty: the RFC 9068 §4 access-token type.
func DefaultTypes() []string { return []string{"at+jwt"} }

// CompatTypes returns, in a new slice, types that accept RFC 9068 tokens and
// also tokens typed "JWT" or untyped, as issued by authorization servers
// that predate RFC 9068 (Keycloak, Microsoft Entra ID, Amazon Cognito, Auth0
// and Okta access tokens are of this kind; package middleware/presets has a
// stricter configuration for each of them):
//
//	middleware.Issuer{URL: issuer, Audiences: auds, Keys: keys, Types: middleware.CompatTypes()}
func CompatTypes() []string { return []string{"at+jwt", "JWT", ""} }

// Introspector resolves opaque access tokens through RFC 7662 introspection.
// It returns the claims of an active token, an error matching ErrInvalidToken
// (reason ErrInactive) for an inactive one, and an error matching
// ErrUnavailable when the authorization server cannot give an answer.
// Implementations must be safe for concurrent use.
type Introspector interface {
	Introspect(ctx context.Context, token string) (*Claims, error)
}

// Issuer is one trusted authorization server.
type Issuer struct {
	// URL is the issuer identifier, compared with "iss" exactly (RFC 9068 §4);
	// with Tenants, a template holding [TenantPlaceholder].
	URL string
	// Audiences lists the audiences this API answers to; a token's "aud" must
	// contain one of them. Required.
	Audiences []string
	// Keys verifies the issuer's JWT access tokens. A token from this issuer is
	// refused when Keys is nil, unless Introspector is set.
	Keys jwks.Source
	// Introspector, when set, resolves opaque tokens — anything that is not a
	// compact JWS, including a compact JWE, which a resource server cannot
	// decrypt — and this issuer's JWTs when Keys is nil. Several issuers of a
	// validator may have one: an opaque token names no issuer, so it is
	// sent to them in order (see [Issuer.OpaquePrefix] and
	// [Config.MaxIntrospections]).
	Introspector Introspector
	// OpaquePrefix, when set on an issuer with an Introspector, routes to it
	// alone the opaque tokens that begin with it (an authorization server
	// that prefixes its tokens, as "ory_at_"): they cost one introspection
	// and are never disclosed to another issuer. Default "": the issuer is
	// one of the ordered attempts for opaque tokens that match no prefix.
	OpaquePrefix string
	// Algorithms is the JWS algorithm allow-list. Default: [DefaultAlgorithms].
	// HS256/HS384/HS512 are accepted only when listed here, and only with keys
	// from [jwks.NewSymmetricKey].
	Algorithms []string
	// Types lists the accepted "typ" header values, compared case-insensitively
	// with the "application/" prefix optional (RFC 7515 §4.1.9); "" accepts a
	// token without "typ". Default: [DefaultTypes]. See [CompatTypes].
	Types []string
	// ScopeClaim names the claim that holds scopes. Default: "scope", else
	// "scp". Some issuers use another (Auth0 RBAC: "permissions").
	ScopeClaim string
	// DPoP says which presentations of this issuer's tokens are accepted
	// (RFC 9449 §7). Default [DPoPOff]: the Bearer scheme only, DPoP-bound
	// tokens refused. Certificate-bound tokens (RFC 8705 §3) are verified
	// whatever the mode.
	DPoP DPoPMode
	// AudienceClaim names the claim compared with Audiences instead of
	// "aud", a string or an array of strings; it must be present. Amazon
	// Cognito access tokens carry no "aud": their "client_id" names the
	// app client. Default "" ("aud").
	AudienceClaim string

	// RoleClaims names the claims that hold the token's roles or groups,
	// in [ParseClaimPath] notation, each an array of strings or a
	// space-delimited string: Keycloak "realm_access.roles" and
	// "resource_access.<client>.roles", Entra ID "roles", Cognito
	// "cognito:groups", Okta "groups". Their values, united, are
	// [Claims.Roles], for [Role] and [AnyRole]; they are read once per
	// token, for JWTs and introspection answers alike. A role claim of
	// another type is invalid_token (ErrMalformed). Default none.
	RoleClaims []string
	// Validators are the issuer's own checks over the verified claims
	// (a tenant, "email_verified", "token_use"), run in order, after the binding checks,
	// on every request — cached tokens included — before the route's
	// requirement. A check refuses by returning an error: an [*Error] is
	// answered as is (its Rule set to [RuleValidators]); any other error is 401 invalid_token
	// ([ErrClaimRejected]) with a generic description, the error kept as
	// the cause for logs. Use [RejectClaims] for a description the client
	// may see. A check must be safe for concurrent use and must not modify
	// the claims. Default none.
	Validators []func(ctx context.Context, c *Claims) error
	// StrictProfile requires of JWT access tokens the claims RFC 9068 §2.2
	// makes required beyond iss, exp and aud: "sub", "client_id" (not "azp"),
	// "iat" and "jti"; one missing is invalid_token (ErrMissingClaim).
	// Default false: Keycloak user tokens, Microsoft Entra ID, Auth0 and
	// Okta access tokens lack "client_id" (Entra ID also "jti") and would
	// fail it; Amazon Cognito's pass.
	StrictProfile bool
	// Tenants, when set, makes URL the template of many tenants' issuers,
	// with [TenantPlaceholder] where the tenant goes; see [Tenants]. Keys
	// must then be nil: each tenant gets its own key source, made from
	// [Config.RemoteKeys]. Default nil: URL is one issuer.
	Tenants *Tenants
}

// Config holds the optional settings of a [Validator]. The zero value is the
// safe default.
type Config struct {
	// ClockSkew is the leeway for "exp", "nbf" and "iat". Default
	// [DefaultClockSkew] (30s); a negative value means none.
	ClockSkew time.Duration
	// MaxTokenSize is the largest token accepted, in bytes. Default
	// [DefaultMaxTokenSize] (16 KiB).
	MaxTokenSize int
	// CacheSize bounds the verified-token cache. Default [DefaultCacheSize];
	// a negative value turns the cache off.
	CacheSize int
	// Now returns the current time. Default time.Now.
	Now func() time.Time
	// Hooks, when set, receives every outcome.
	Hooks *Hooks
	// RemoteKeys holds the settings of the key sources the validator makes
	// itself: [NewIssuerValidator]'s and those of an issuer template's
	// tenants ([Issuer.Tenants]); its Hooks default to [Hooks.JWKS] of
	// Hooks. Default: the zero [jwks.Config].
	RemoteKeys *jwks.Config
	// DPoP configures the verification of DPoP proofs (RFC 9449) for the
	// issuers whose [Issuer.DPoP] accepts them. Default: see [DPoPConfig].
	DPoP DPoPConfig
	// AllowUnverifiedConfirmation names "cnf" members (RFC 7800 §3.1) that
	// are ignored. A token whose "cnf" holds a member rsguard does not
	// verify ("jkt" with DPoP, "x5t#S256" with the client certificate) is
	// refused ([ErrSenderConstrained]) unless this lists it: an issuer that
	// bound a token to a key did not mean it for bearer use. Default none.
	AllowUnverifiedConfirmation []string
	// MaxIntrospections bounds the introspection requests one opaque token
	// may cost when several issuers have an Introspector and the token
	// matches no [Issuer.OpaquePrefix]: it is sent to the issuers without a
	// prefix in the order configured until one answers active. More such
	// issuers than this is a configuration error. Default
	// [DefaultMaxIntrospections] (3).
	MaxIntrospections int
}

// DefaultMaxIntrospections is the default of [Config.MaxIntrospections].
const DefaultMaxIntrospections = 3

// Validator validates access tokens for one or more trusted issuers. It is
// safe for concurrent use.
type Validator struct {
	issuers      []*issuer
	single       *issuer // issuers[0] when there is only one
	byURL        map[string]*issuer
	templates    []*tenantIssuer // issuers whose URL is a template (Issuer.Tenants)
	introspector *issuer         // the first issuer with an Introspector, if any
	opaque       opaqueRoutes    // every issuer with an Introspector
	misconf      misconfigLog
	validators   bool     // an issuer has Validators
	anyAlg       jose.Set // every issuer's algorithms
	skew         time.Duration
	maxSize      int
	now          func() time.Time
	sysNow       bool // now is time.Now: a decision's start time serves its checks
	hooks        *Hooks
	cache        *tokenCache
	owner        // what Close closes
	dpop         *dpopVerifier
	ignoreCnf    []string
	headers      memo[tokenHeader] // protected headers lately parsed
	scopeSets    memo[scopes.Set]  // scope claims lately parsed, by their JSON value
}

type issuer struct {
	Issuer
	dpop  DPoPMode // DPoPOff when the Issuer's is DPoPInherit
	algs  jose.Set
	types []string // normalized
	roles []ClaimPath
}

// NewValidator returns a validator for tokens from one issuer.
func NewValidator(iss Issuer, cfg *Config) (*Validator, error) {
	return NewMultiIssuerValidator([]Issuer{iss}, cfg)
}

// NewMultiIssuerValidator returns a validator that trusts several issuers
// (multi-tenant). A token's "iss" picks its issuer from this list only: a token
// from any other issuer is refused before any key lookup or network call.
func NewMultiIssuerValidator(issuers []Issuer, cfg *Config) (*Validator, error) {
	if len(issuers) == 0 {
		return nil, errors.New("middleware: no issuer configured")
	}
	if cfg == nil {
		cfg = &Config{}
	}
	v := &Validator{
		byURL:   make(map[string]*issuer, len(issuers)),
		skew:    cfg.ClockSkew,
		maxSize: cfg.MaxTokenSize,
		now:     cfg.Now,
		hooks:   cfg.Hooks,
		sysNow:  cfg.Now == nil,
	}
	for i := range issuers {
		is, err := newIssuer(issuers[i])
		if err != nil {
			return nil, err
		}
		if _, dup := v.byURL[is.URL]; dup || slices.ContainsFunc(v.templates, func(t *tenantIssuer) bool { return t.URL == is.URL }) {
			return nil, fmt.Errorf("middleware: issuer %q configured twice", is.URL)
		}
		v.issuers = append(v.issuers, is)
		v.validators = v.validators || len(is.Validators) > 0
		v.anyAlg |= is.algs
		if is.Tenants != nil {
			ti, err := newTenantIssuer(is, tenantKeysConfig(cfg), v.clock)
			if err != nil {
				v.Close()
				return nil, err
			}
			v.templates = append(v.templates, ti)
			v.owned = append(v.owned, ti.keys)
			continue
		}
		if is.Introspector != nil && v.introspector == nil {
			v.introspector = is
		}
		v.byURL[is.URL] = is
	}
	if len(v.issuers) == 1 && len(v.templates) == 0 {
		v.single = v.issuers[0]
	}
	if err := v.opaque.build(v.issuers, cfg.MaxIntrospections); err != nil {
		return nil, err
	}
	if v.skew == 0 {
		v.skew = DefaultClockSkew
	} else if v.skew < 0 {
		v.skew = 0
	}
	if v.maxSize <= 0 {
		v.maxSize = DefaultMaxTokenSize
	}
	if v.now == nil {
		v.now = time.Now
	}
	dp, err := newDPoPVerifier(&cfg.DPoP, v.skew, v.now)
	if err != nil {
		return nil, err
	}
	v.dpop = dp
	v.ignoreCnf = append([]string(nil), cfg.AllowUnverifiedConfirmation...)
	if cfg.CacheSize >= 0 {
		size := cfg.CacheSize
		if size == 0 {
			size = DefaultCacheSize
		}
		v.cache = newTokenCache(size)
	}
	return v, nil
}

// clock returns the validator's time (Config.Now), for what is made before
// the constructor sets it.
func (v *Validator) clock() time.Time { return v.now() }

// tenantKeysConfig returns the settings of tenants' key sources:
// cfg.RemoteKeys, reporting to cfg.Hooks unless it names hooks of its own.
func tenantKeysConfig(cfg *Config) *jwks.Config {
	rkc := cfg.Hooks.remoteConfig(cfg.RemoteKeys)
	return &rkc
}

func newIssuer(cfg Issuer) (*issuer, error) {
	if cfg.URL == "" {
		return nil, errors.New("middleware: issuer URL is empty")
	}
	if len(cfg.Audiences) == 0 || slices.Contains(cfg.Audiences, "") {
		return nil, fmt.Errorf("middleware: issuer %q: at least one non-empty audience is required", cfg.URL)
	}
	if cfg.Keys == nil && cfg.Introspector == nil && cfg.Tenants == nil {
		return nil, fmt.Errorf("middleware: issuer %q: neither Keys nor Introspector set", cfg.URL)
	}
	is := &issuer{Issuer: cfg, dpop: cfg.DPoP}
	switch {
	case is.dpop == DPoPInherit:
		is.dpop = DPoPOff
	case is.dpop > DPoPRequired:
		return nil, fmt.Errorf("middleware: issuer %q: unknown DPoP mode %d", cfg.URL, cfg.DPoP)
	}
	algs := cfg.Algorithms
	if len(algs) == 0 {
		algs = DefaultAlgorithms()
	}
	for _, a := range algs {
		known, ok := jose.Lookup(a)
		if !ok {
			return nil, fmt.Errorf("middleware: issuer %q: unsupported algorithm %q", cfg.URL, a)
		}
		is.algs = is.algs.With(known)
	}
	types := cfg.Types
	if len(types) == 0 {
		types = DefaultTypes()
	}
	for _, t := range types {
		is.types = append(is.types, normalizeType(t))
	}
	if err := is.parseRoleClaims(); err != nil {
		return nil, err
	}
	return is, nil
}

// normalizeType drops the optional "application/" prefix of a "typ" value
// (RFC 7515 §4.1.9).
func normalizeType(t string) string {
	if len(t) > len("application/") && strings.EqualFold(t[:len("application/")], "application/") {
		return t[len("application/"):]
	}
	return t
}

func (is *issuer) typeAllowed(typ string, present bool) bool {
	if !present {
		return slices.Contains(is.types, "")
	}
	typ = normalizeType(typ)
	for _, t := range is.types {
		if t != "" && strings.EqualFold(t, typ) {
			return true
		}
	}
	return false
}

// Validate validates a raw access token presented as a bearer token and
// returns its claims. A refusal is an [*Error] matching ErrInvalidToken (or
// ErrMissingToken for an empty token); when keys or introspection are
// unavailable it matches ErrUnavailable. A sender-constrained token (with
// "cnf", RFC 7800) is refused: Validate has no proof or certificate to verify
// its binding with (use [Validator.Authenticate]). Scope requirements are not
// checked here (see the scopes package).
func (v *Validator) Validate(ctx context.Context, token string) (*Claims, error) {
	c, _, _, err := v.run(ctx, presentation{token: token}, nil, time.Time{})
	return c, err
}

// run validates the presented token at now (zero: the validator's clock),
// then checks its binding against cred (nil: none) and the issuer's own
// claim checks, which run on every request, cache hit or not; it reports the
// outcome to the Validated hook when it is set. One function, not a chain:
// this is every request's path.
func (v *Validator) run(ctx context.Context, p presentation, cred *Credentials, now time.Time) (*Claims, *issuer, bool, error) {
	if !v.built() {
		return nil, nil, false, errUnbuilt
	}
	hooked := v.hooks != nil && v.hooks.Validated != nil
	var start time.Time
	if hooked {
		start = time.Now()
	}
	c, is, hit, err := v.validate(ctx, p.token, now)
	if err == nil {
		if is == nil { // a cache hit: the hooks name the issuer of a refusal too
			is = v.issuerByURL(c.Issuer)
		}
		if !plainBearer(c, is, p, cred) {
			err = v.bind(ctx, c, is, p, cred)
		}
		if err == nil && v.validators { // some issuer has checks of its own
			err = v.runValidators(ctx, c, is)
		}
		if err != nil {
			c = nil
		}
	}
	if hooked {
		v.reportValidated(ctx, start, c, is, hit, err)
	}
	if err != nil {
		v.reportMisconfiguration(ctx, err)
	}
	return c, is, hit, err
}

// reportValidated passes the outcome of run to the Validated hook; out of
// line, so that run stays small for every request without hooks.
func (v *Validator) reportValidated(ctx context.Context, start time.Time, c *Claims, is *issuer, hit bool, err error) {
	ev := ValidationEvent{CacheHit: hit, Err: err, Duration: time.Since(start)}
	if c != nil {
		ev.Issuer = c.Issuer
	} else if is != nil {
		ev.Issuer = is.URL
	}
	v.hooks.validated(ctx, ev)
}

// reportMisconfiguration passes the [Misconfiguration] that caused err, if
// any, to [Hooks.Misconfigured], once per distinct cause.
func (v *Validator) reportMisconfiguration(ctx context.Context, err error) {
	if v.hooks == nil || v.hooks.Misconfigured == nil {
		return
	}
	if e, ok := err.(*Error); ok && e.Err != nil {
		if m := MisconfigurationOf(e.Err); m != nil {
			v.misconf.report(ctx, v.hooks, m)
		}
	}
}

var errMissing = newError(ErrMissingToken, ErrMissingToken, nil)

// errUnbuilt answers for a zero Validator: undecided, as for a key source
// that cannot be reached; [NewGuard] refuses such a validator outright.
var errUnbuilt = Unavailable(ErrUnavailable, errors.New("middleware: Validator not made by NewValidator"))

// built reports whether v was made by a constructor.
func (v *Validator) built() bool { return v != nil && v.now != nil }

// validate validates token at now (zero: the validator's clock).
func (v *Validator) validate(ctx context.Context, token string, now time.Time) (*Claims, *issuer, bool, error) {
	if token == "" {
		return nil, nil, false, errMissing
	}
	if len(token) > v.maxSize {
		return nil, nil, false, invalid(ErrTokenTooLarge)
	}
	if now.IsZero() {
		now = v.now()
	}
	if v.cache != nil {
		if c := v.cache.get(token, now.UnixNano()); c != nil {
			return c, nil, true, nil
		}
	}
	return v.validateJWS(ctx, token, now)
}

// validateJWS validates a token the cache does not hold: a JWS, or an opaque
// token for the introspector.
func (v *Validator) validateJWS(ctx context.Context, token string, now time.Time) (*Claims, *issuer, bool, error) {
	var jws jws
	var sigBuf [sigBufSize]byte // on the stack: only the signature check reads it
	sig, err := splitToken(token, &jws, sigBuf[:], &v.headers)
	if (err == errNotJWS || err == errJWE) && v.introspector != nil {
		c, is, err := v.introspectOpaque(ctx, token, now)
		return c, is, false, err
	}
	if err != nil {
		return nil, nil, false, err
	}
	if !v.anyAlg.Has(jws.a) {
		return nil, nil, false, invalid(ErrDisallowedAlg)
	}
	c, sp, err := jws.claims()
	if err != nil {
		return nil, nil, false, err
	}
	is, err := v.issuerOf(c)
	if err != nil {
		return nil, nil, false, err
	}
	if !is.algs.Has(jws.a) {
		return nil, is, false, invalid(ErrDisallowedAlg)
	}
	if !is.typeAllowed(jws.typ, jws.hasTyp) {
		if m := typHint(is, jws.typ, jws.hasTyp, c.Issuer); m != nil {
			return nil, is, false, misconfigured(invalid(ErrWrongType), m)
		}
		return nil, is, false, invalid(ErrWrongType)
	}
	if is.Keys == nil {
		c, err := v.introspect(ctx, is, token, now)
		return c, is, false, err
	}
	key, err := is.Keys.LookupKey(ctx, jws.kid)
	if err != nil {
		return nil, is, false, v.keyError(is, jws.kid, err)
	}
	if key == nil {
		return nil, is, false, errNoKey
	}
	// One call checks the key's fit and the signature (Key.Verify); a
	// refusal is then classified in the rules' order: key mismatch, the
	// key's own issuer, the signature.
	issuerOK := key.Issuer() == "" || keyIssuerMatches(key, c)
	if !issuerOK || !key.Verify(jws.alg, bytesOf(jws.signingInput), sig) {
		switch {
		case !key.Accepts(jws.alg):
			return nil, is, false, invalid(ErrKeyMismatch)
		case !issuerOK:
			return nil, is, false, keyIssuerError(is, key, c)
		}
		return nil, is, false, invalid(ErrBadSignature)
	}
	if err := v.checkClaims(c, is, now, true); err != nil {
		return nil, is, false, err
	}
	if err := c.setScopes(sp, is.ScopeClaim, &v.scopeSets); err != nil {
		return nil, is, false, err
	}
	if len(is.roles) > 0 {
		if err := is.readRoles(c); err != nil {
			return nil, is, false, err
		}
	}
	if c.Confirmation != nil || c.TokenType != "" { // what c.dpopBound reads
		c.bindToken(token)
	}
	if v.cache != nil {
		v.cache.put(token, c, key, v.validFrom(c), c.ExpiresAt.Add(v.skew), now)
	}
	return c, is, false, nil
}

// validFrom is the first instant at which checkClaims accepts c's "nbf"
// and "iat": the later of the two, less the skew.
func (v *Validator) validFrom(c *Claims) time.Time {
	from := c.NotBefore
	if c.IssuedAt.After(from) {
		from = c.IssuedAt
	}
	if from.IsZero() {
		return from
	}
	return from.Add(-v.skew)
}

// Answers to a jwks.Source or Introspector of the user's that breaks its
// contract by returning neither a result nor an error: undecided, like any
// error whose meaning is unknown (see [AsError]).
var (
	errNoKey    = Unavailable(ErrKeysUnavailable, errors.New("middleware: key source returned no key and no error"))
	errNoClaims = Unavailable(ErrIntrospectionError, errors.New("middleware: introspector returned no claims and no error"))
)

var errUntrusted = invalid(ErrIssuerMismatch)

var errNoIssuer = newError(ErrInvalidToken, ErrMissingClaim, errors.New("no \"iss\" claim")).at(RuleIss)

// issuerOf picks the token's issuer from the configured list by its "iss":
// an issuer of that URL, else a tenant of a template (Issuer.Tenants), which
// it resolves to the tenant's own issuer and key source without any network
// call.
func (v *Validator) issuerOf(c *Claims) (*issuer, error) {
	if c.Issuer == "" {
		return nil, errNoIssuer
	}
	if v.single != nil {
		if c.Issuer == v.single.URL {
			return v.single, nil
		}
	} else if is, ok := v.byURL[c.Issuer]; ok {
		return is, nil
	}
	if ti, tenant := v.templateOf(c.Issuer); ti != nil {
		return ti.resolve(c, tenant)
	}
	return nil, v.untrusted(c.Issuer)
}

// untrusted is the refusal of a token of an issuer not configured, with a
// hint when the issuer is a near miss of one that is.
func (v *Validator) untrusted(iss string) *Error {
	if m := issHint(iss, v.issuers); m != nil {
		return misconfigured(invalid(ErrIssuerMismatch), m)
	}
	return errUntrusted
}

// configOf returns the configured issuer whose settings apply to a token of
// iss: the issuer of that URL, or the template it is a tenant of.
func (v *Validator) configOf(iss string) *issuer {
	if is := v.issuerByURL(iss); is != nil {
		return is
	}
	if ti, _ := v.templateOf(iss); ti != nil {
		return ti.issuer
	}
	return nil
}

// checkClaims checks the time claims, "iss" and "aud". requireExp is false for
// introspection results, where "exp" is optional (RFC 7662 §2.2).
func (v *Validator) checkClaims(c *Claims, is *issuer, now time.Time, requireExp bool) error {
	if c.ExpiresAt.IsZero() {
		if requireExp {
			return newError(ErrInvalidToken, ErrMissingClaim, errors.New("no \"exp\" claim")).at(RuleExp)
		}
	} else if !now.Before(c.ExpiresAt.Add(v.skew)) {
		return invalid(ErrExpired)
	}
	if !c.NotBefore.IsZero() && now.Before(c.NotBefore.Add(-v.skew)) {
		return invalid(ErrNotYetValid)
	}
	if !c.IssuedAt.IsZero() && now.Before(c.IssuedAt.Add(-v.skew)) {
		return newError(ErrInvalidToken, ErrNotYetValid, errors.New("\"iat\" is in the future")).at(RuleIat)
	}
	if c.Issuer != is.URL {
		return invalid(ErrIssuerMismatch)
	}
	if err := v.checkAudience(c, is, requireExp); err != nil {
		return err
	}
	if requireExp && is.StrictProfile {
		return strictProfile(c)
	}
	return nil
}

// checkAudience checks "aud", or the issuer's AudienceClaim, against the
// issuer's Audiences.
func (v *Validator) checkAudience(c *Claims, is *issuer, requireExp bool) error {
	if is.AudienceClaim != "" {
		return checkAudienceClaim(c, is)
	}
	if len(c.Audience) == 0 {
		if requireExp {
			return newError(ErrInvalidToken, ErrMissingClaim, errors.New("no \"aud\" claim")).at(RuleAud)
		}
		if c.has(seenAud, c.Audience != nil) {
			// Present but empty ("aud": []): it names no audience, so
			// none of ours (RFC 7662 §2.2, RFC 7519 §4.1.3).
			return invalid(ErrAudienceMismatch)
		}
	} else if !c.HasAudience(is.Audiences) {
		return misconfigured(invalid(ErrAudienceMismatch), audHint(is, c.Audience))
	}
	return nil
}

// introspect resolves a token through the issuer's introspector and checks the
// claims it returns like a JWT's where present (RFC 7662 §4).
func (v *Validator) introspect(ctx context.Context, is *issuer, token string, now time.Time) (*Claims, error) {
	c, err := is.Introspector.Introspect(ctx, token)
	if err != nil {
		return nil, withRule(err, RuleIntrospection)
	}
	if c == nil {
		return nil, errNoClaims
	}
	if !c.has(seenIss, c.Issuer != "") {
		// RFC 7662 makes "iss" optional; the introspection endpoint is the
		// issuer's own, so an absent "iss" is read as this issuer. A present
		// but empty one is not absent: it names another issuer.
		cc := *c
		cc.Issuer = is.URL
		c = &cc
	}
	if c.TokenType == "" && c.has(seenTokenType, false) {
		// "token_type": "" names no type, which is not the absent member
		// that RFC 7662 §2.2 allows.
		return nil, newError(ErrInvalidToken, ErrWrongType, errors.New("introspected token has an empty token_type"))
	}
	if !accessTokenType(c.TokenType) {
		return nil, newError(ErrInvalidToken, ErrWrongType, errors.New("introspected token is not an access token")).at(RuleTokenType)
	}
	if err := v.checkClaims(c, is, now, false); err != nil {
		return nil, err
	}
	return is.derive(c)
}

// accessTokenType reports whether an introspection "token_type" names an
// access token: absent, "Bearer" (RFC 6750), "DPoP" (RFC 9449 §6.2, whose
// binding [Validator.Authenticate] then checks), "access_token", or the RFC
// 8693 access-token URI. Refresh and ID tokens are refused.
func accessTokenType(t string) bool {
	switch {
	case t == "", strings.EqualFold(t, "bearer"), t == "access_token", strings.EqualFold(t, "DPoP"),
		t == "urn:ietf:params:oauth:token-type:access_token":
		return true
	}
	return false
}
