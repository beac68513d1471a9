package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"
)

// TokenOptions describe a token to mint with [Server.Token] or
// [Server.OpaqueToken]. The zero value is a valid token for
// [DefaultSubject] and [DefaultClientID], without scopes.
type TokenOptions struct {
	// Subject is the "sub" claim. Default [DefaultSubject].
	Subject string
	// ClientID is the "client_id" claim (RFC 9068 §2.2). Default
	// [DefaultClientID].
	ClientID string
	// Scopes make up the space-delimited "scope" claim (RFC 9068 §2.2.3);
	// no scopes, no claim.
	Scopes []string
	// Audience is the "aud" claim: a string for one audience, an array for
	// several. Default [Config.Audience].
	Audience []string
	// Lifetime sets "exp" to "iat" + Lifetime. Default [Config.TokenLifetime];
	// a negative value mints an already expired token.
	Lifetime time.Duration
	// NotBefore, when set, is the "nbf" claim. Default: no "nbf".
	NotBefore time.Time
	// IssuedAt is the "iat" claim. Default [Config.Now]().
	IssuedAt time.Time
	// Claims are extra or overriding claims, applied last; a nil value
	// deletes the claim (e.g. {"exp": nil} for a token without expiry).
	Claims map[string]any
	// Header holds extra or overriding JOSE header parameters (e.g. "typ",
	// "crit", "kid"); a nil value deletes one. Setting "alg" changes the
	// header only: the signature is still made with the key's algorithm,
	// except that "none" leaves it empty. Ignored by [Server.OpaqueToken].
	Header map[string]any
	// KeyID names the key to sign with, including a removed one. Default: the
	// current key. Ignored by [Server.OpaqueToken].
	KeyID string
	// JKT binds the token to a DPoP key (RFC 9449 §6): the claim
	// "cnf": {"jkt": JKT}, where JKT is the key's RFC 7638 thumbprint
	// ([DPoPKey.Thumbprint]); introspection then answers "token_type"
	// "DPoP" (§6.2). Default "": not bound to a DPoP key.
	JKT string
	// CertThumbprint binds the token to a client certificate (RFC 8705
	// §3.1): "cnf": {"x5t#S256": CertThumbprint}, see [CertThumbprint].
	// Default "": not bound to a certificate.
	CertThumbprint string
}

// claims returns the claims set of a token minted now (RFC 9068 §2.2).
func (s *Server) claims(opts TokenOptions) map[string]any {
	iat := opts.IssuedAt
	if iat.IsZero() {
		iat = s.now()
	}
	lifetime := opts.Lifetime
	if lifetime == 0 {
		lifetime = s.lifetime
	}
	c := map[string]any{
		"iss":       s.issuer,
		"sub":       orDefault(opts.Subject, DefaultSubject),
		"client_id": orDefault(opts.ClientID, DefaultClientID),
		"iat":       iat.Unix(),
		"exp":       iat.Add(lifetime).Unix(),
		"jti":       randomString(16),
	}
	switch len(opts.Audience) {
	case 0:
		c["aud"] = s.audience
	case 1:
		c["aud"] = opts.Audience[0]
	default:
		c["aud"] = append([]string(nil), opts.Audience...)
	}
	if len(opts.Scopes) > 0 {
		c["scope"] = strings.Join(opts.Scopes, " ")
	}
	if !opts.NotBefore.IsZero() {
		c["nbf"] = opts.NotBefore.Unix()
	}
	if cnf := confirmation(opts); cnf != nil {
		c["cnf"] = cnf
	}
	override(c, opts.Claims)
	return c
}

// override applies extra to m, deleting the members whose value is nil.
func override(m, extra map[string]any) {
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
}

// Token mints a JWT access token (RFC 9068) signed with the current key (or
// [TokenOptions.KeyID]), with header "typ" "at+jwt", "alg" and "kid", and
// claims "iss", "sub", "aud", "exp", "iat", "jti", "client_id" and "scope".
// It panics only on a programmer error: an unknown KeyID, or a claim or
// header value that cannot be encoded as JSON.
func (s *Server) Token(opts TokenOptions) string {
	c := s.claims(opts)
	s.mu.Lock()
	k := s.keys.current
	if opts.KeyID != "" {
		k = s.keys.all[opts.KeyID]
	}
	s.mu.Unlock()
	if k == nil {
		panic(fmt.Sprintf("oauthtest: Token: unknown KeyID %q", opts.KeyID))
	}
	h := map[string]any{"typ": "at+jwt", "alg": k.alg, "kid": k.kid}
	override(h, opts.Header)
	tok, err := encodeJWS(h, c, k)
	if err != nil {
		panic(fmt.Sprintf("oauthtest: Token: %v", err))
	}
	return tok
}

// OpaqueToken mints a random opaque access token that only the introspection
// endpoint can resolve (RFC 7662); its introspection response carries the
// claims [Server.Token] would have put in a JWT.
func (s *Server) OpaqueToken(opts TokenOptions) string {
	c := s.claims(opts)
	tok := randomString(32)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens.add(tok, c, s.now())
	return tok
}

// Revoke revokes a token minted by [Server.Token] or [Server.OpaqueToken]:
// introspection then answers {"active": false} for it (RFC 7009 §2).
func (s *Server) Revoke(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens.revoke(token)
}

// randomString returns n random bytes, base64url-encoded.
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return b64(b)
}

// tokenStore holds opaque tokens and revocations.
type tokenStore struct {
	opaque  map[string]map[string]any
	revoked map[[32]byte]bool
}

// maxStoredTokens is the size above which minting an opaque token first
// forgets the expired ones.
const maxStoredTokens = 4096

func (ts *tokenStore) add(tok string, claims map[string]any, now time.Time) {
	if ts.opaque == nil {
		ts.opaque = make(map[string]map[string]any)
	}
	if len(ts.opaque) >= maxStoredTokens {
		maps.DeleteFunc(ts.opaque, func(_ string, c map[string]any) bool { return expired(c, now) })
	}
	ts.opaque[tok] = claims
}

func (ts *tokenStore) revoke(tok string) {
	if ts.revoked == nil {
		ts.revoked = make(map[[32]byte]bool)
	}
	ts.revoked[sha256.Sum256([]byte(tok))] = true
}

func (ts *tokenStore) isRevoked(tok string) bool {
	return ts.revoked[sha256.Sum256([]byte(tok))]
}

// expired reports whether the claims' "exp" is at or before now.
func expired(c map[string]any, now time.Time) bool {
	exp, ok := numericDate(c["exp"])
	return ok && !now.Before(exp)
}

// numericDate reads a NumericDate claim (RFC 7519 §2) as minted (an int64)
// or as decoded from JSON.
func numericDate(v any) (time.Time, bool) {
	switch v := v.(type) {
	case int64:
		return time.Unix(v, 0), true
	case int:
		return time.Unix(int64(v), 0), true
	case float64:
		return time.Unix(int64(v), 0), true
	case json.Number:
		f, err := v.Float64()
		return time.Unix(int64(f), 0), err == nil
	}
	return time.Time{}, false
}
