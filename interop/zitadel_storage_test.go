package interop_test

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// zitadelStorage is the op.Storage behind the zitadel/oidc OpenID Provider:
// clients, issued tokens and signing keys, in memory. It follows the
// library's example storage (github.com/zitadel/oidc/v3/example/server/storage)
// where that storage fits machine-to-machine use — clients authenticate with
// a secret or a JWT-profile key, the introspection answer is filled with the
// same members, a caller may introspect only tokens whose audience names it —
// and adds what the example lacks: key rotation, one client per access-token
// type, and scopes inside JWT access tokens. Browser flows (authorization
// requests, refresh tokens, sessions) are refused: these tests do not use
// them.
type zitadelStorage struct {
	mu      sync.Mutex
	clients map[string]*zitadelClient
	tokens  map[string]*zitadelToken // by token ID
	keys    []*zitadelKey            // published; the last one signs
}

// zitadelToken is an issued access token.
type zitadelToken struct {
	id, clientID, subject string
	audience, scopes      []string
	expires               time.Time
}

var errUnsupportedFlow = errors.New("interop: flow not supported by the test storage")

func newZitadelStorage(first *zitadelKey) *zitadelStorage {
	return &zitadelStorage{
		clients: make(map[string]*zitadelClient),
		tokens:  make(map[string]*zitadelToken),
		keys:    []*zitadelKey{first},
	}
}

func (s *zitadelStorage) addClient(c *zitadelClient) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[c.id] = c
}

func (s *zitadelStorage) client(id string) (*zitadelClient, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	return c, ok
}

// ClientCredentials implements op.ClientCredentialsStorage: it authenticates
// a client_credentials request.
func (s *zitadelStorage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	if err := s.AuthorizeClientIDSecret(ctx, id, secret); err != nil {
		return nil, err
	}
	c, _ := s.client(id)
	return c, nil
}

// ClientCredentialsTokenRequest implements op.ClientCredentialsStorage. The
// token's subject is the client; its audience the client's configured one;
// scopes the client is not allowed are dropped, as authorization servers do.
func (s *zitadelStorage) ClientCredentialsTokenRequest(_ context.Context, id string, scopes []string) (op.TokenRequest, error) {
	c, ok := s.client(id)
	if !ok {
		return nil, errors.New("interop: unknown client")
	}
	granted := slices.DeleteFunc(slices.Clone(scopes), func(sc string) bool { return !c.IsScopeAllowed(sc) })
	return &oidc.JWTTokenRequest{Subject: id, Audience: c.audience, Scopes: granted}, nil
}

// AuthorizeClientIDSecret implements op.OPStorage (client_secret_basic at
// the token, introspection and revocation endpoints).
func (s *zitadelStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := s.client(id)
	if !ok || c.secret == "" || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		return errors.New("interop: invalid client credentials")
	}
	return nil
}

// GetClientByClientID implements op.OPStorage.
func (s *zitadelStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if c, ok := s.client(id); ok {
		return c, nil
	}
	return nil, errors.New("interop: unknown client")
}

// GetKeyByIDAndClientID implements op.OPStorage: the public key a client signs
// its private_key_jwt assertions with.
func (s *zitadelStorage) GetKeyByIDAndClientID(_ context.Context, kid, id string) (*jose.JSONWebKey, error) {
	c, ok := s.client(id)
	if !ok || c.assertionKey == nil || c.assertionKey.KeyID != kid {
		return nil, errors.New("interop: unknown client key")
	}
	return c.assertionKey, nil
}

// CreateAccessToken implements op.AuthStorage: it records a token; the OP
// then signs a JWT with its ID as "jti", or encrypts the ID into an opaque
// token, as the client's AccessTokenType asks.
func (s *zitadelStorage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	tok := &zitadelToken{
		id: rand.Text(), clientID: req.GetSubject(), subject: req.GetSubject(),
		audience: req.GetAudience(), scopes: req.GetScopes(), expires: time.Now().Add(time.Hour),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok.id] = tok
	return tok.id, tok.expires, nil
}

// GetPrivateClaimsFromScopes implements op.OPStorage. The OP leaves the
// "scope" claim out of JWT access tokens (oidc.AccessTokenClaims.Scopes is
// never set by op.CreateJWT); this hook is where a deployment adds it, here as
// RFC 9068 §2.2.3 asks: a space-delimited string.
func (s *zitadelStorage) GetPrivateClaimsFromScopes(_ context.Context, _, _ string, scopes []string) (map[string]any, error) {
	if len(scopes) == 0 {
		return nil, nil
	}
	return map[string]any{"scope": strings.Join(scopes, " ")}, nil
}

// SetIntrospectionFromToken implements op.OPStorage with the example
// storage's rules: the token must exist and not have expired, and the
// caller must be in its audience; the answer carries scope, client_id, sub
// and exp — no iss, aud or token_type.
func (s *zitadelStorage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, _, caller string) error {
	s.mu.Lock()
	tok, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || !time.Now().Before(tok.expires) {
		return errors.New("interop: token is not active")
	}
	if !slices.Contains(tok.audience, caller) {
		return errors.New("interop: token is not meant for the caller")
	}
	resp.Scope = tok.scopes
	resp.ClientID = tok.clientID
	resp.Subject = tok.subject
	resp.Expiration = oidc.FromTime(tok.expires)
	return nil
}

// RevokeToken implements op.AuthStorage (RFC 7009): only the client the
// token was issued to may revoke it; unknown tokens are ignored (§2.2).
func (s *zitadelStorage) RevokeToken(_ context.Context, tokenID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := s.tokens[tokenID]
	if !ok {
		return nil
	}
	if tok.clientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
	}
	delete(s.tokens, tokenID)
	return nil
}

// SigningKey implements op.AuthStorage: the current signing key.
func (s *zitadelStorage) SigningKey(context.Context) (op.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[len(s.keys)-1], nil
}

// SignatureAlgorithms implements op.AuthStorage.
func (s *zitadelStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var algs []jose.SignatureAlgorithm
	for _, k := range s.keys {
		if !slices.Contains(algs, k.alg) {
			algs = append(algs, k.alg)
		}
	}
	return algs, nil
}

// KeySet implements op.AuthStorage: the published public keys, served by the
// OP's jwks_uri.
func (s *zitadelStorage) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]op.Key, len(s.keys))
	for i, k := range s.keys {
		keys[i] = publicZitadelKey{k}
	}
	return keys, nil
}

// signingKID returns the ID of the current signing key.
func (s *zitadelStorage) signingKID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[len(s.keys)-1].id
}

// rotate makes k the signing key, keeping the older keys published.
func (s *zitadelStorage) rotate(k *zitadelKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, k)
}

// unpublish stops publishing the key kid.
func (s *zitadelStorage) unpublish(kid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = slices.DeleteFunc(s.keys, func(k *zitadelKey) bool { return k.id == kid })
}

// The rest of op.Storage serves browser flows, refresh tokens and userinfo,
// which these tests do not use.

func (s *zitadelStorage) CreateAuthRequest(context.Context, *oidc.AuthRequest, string) (op.AuthRequest, error) {
	return nil, errUnsupportedFlow
}
func (s *zitadelStorage) AuthRequestByID(context.Context, string) (op.AuthRequest, error) {
	return nil, errUnsupportedFlow
}
func (s *zitadelStorage) AuthRequestByCode(context.Context, string) (op.AuthRequest, error) {
	return nil, errUnsupportedFlow
}
func (s *zitadelStorage) SaveAuthCode(context.Context, string, string) error {
	return errUnsupportedFlow
}
func (s *zitadelStorage) DeleteAuthRequest(context.Context, string) error { return nil }
func (s *zitadelStorage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errUnsupportedFlow
}
func (s *zitadelStorage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errUnsupportedFlow
}
func (s *zitadelStorage) TerminateSession(context.Context, string, string) error { return nil }
func (s *zitadelStorage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}
func (s *zitadelStorage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}
func (s *zitadelStorage) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string, string) error {
	return errUnsupportedFlow
}
func (s *zitadelStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errUnsupportedFlow
}
func (s *zitadelStorage) Health(context.Context) error { return nil }
