package interop_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// rsClientID is the resource server's own client at the zitadel OP: the
// audience of the tokens the test clients get, and the identity it
// introspects with (the OP answers only callers in a token's audience).
const rsClientID = "rs-api"

// zitadelServer is a zitadel/oidc OpenID Provider (op.Provider) on
// 127.0.0.1, serving its own discovery document, JWKS, token, introspection
// and revocation endpoints.
type zitadelServer struct {
	issuer string
	store  *zitadelStorage
	hits   *hits
}

// opaqueFormat is the encoding of the OP's opaque access tokens.
type opaqueFormat int

const (
	// opaqueJWE is the OP's default since v3.51: the token ID encrypted as
	// a compact JWE (A256GCMKW, A256GCM) under Config.CryptoKey.
	opaqueJWE opaqueFormat = iota
	// opaqueAESCFB is the format of earlier releases, still in the library
	// as op.NewAESCrypto: base64url of AES-CFB ciphertext, without dots.
	opaqueAESCFB
)

// newZitadelServer starts an OP whose first signing key is RS256 and whose
// opaque access tokens have the given format.
func newZitadelServer(t *testing.T, format opaqueFormat) *zitadelServer {
	t.Helper()
	st := newZitadelStorage(newZitadelKey(t, jose.RS256))
	srv := httptest.NewUnstartedServer(nil)
	z := &zitadelServer{issuer: "http://" + srv.Listener.Addr().String(), store: st, hits: new(hits)}
	cfg := &op.Config{
		CryptoKeyId:             "interop",
		AuthMethodPost:          true,
		AuthMethodPrivateKeyJWT: true,
	}
	rand.Read(cfg.CryptoKey[:]) // encrypts opaque access tokens
	// WithAllowInsecure: the issuer is http://127.0.0.1, as in the library's
	// own example; nothing leaves loopback.
	opts := []op.Option{op.WithAllowInsecure()}
	if format == opaqueAESCFB {
		//lint:ignore SA1019 the format of releases before v3.51, on purpose
		opts = append(opts, op.WithCrypto(op.NewAESCrypto(cfg.CryptoKey)))
	}
	p, err := op.NewProvider(cfg, st, op.StaticIssuer(z.issuer), opts...)
	if err != nil {
		t.Fatalf("op.NewProvider: %v", err)
	}
	srv.Config.Handler = z.hits.wrap(p)
	srv.Start()
	t.Cleanup(srv.Close)
	return z
}

// addClient registers a confidential client_credentials client allowed the
// given scopes, whose tokens are JWTs or opaque as tokenType says and are
// meant for rsClientID. It returns the client's secret.
func (z *zitadelServer) addClient(id string, tokenType op.AccessTokenType, scopes ...string) string {
	c := &zitadelClient{id: id, secret: rand.Text(), tokenType: tokenType, scopes: scopes, audience: []string{rsClientID}}
	z.store.addClient(c)
	return c.secret
}

// addResourceServer registers rsClientID with a secret and, for
// private_key_jwt, the public key of its assertions.
func (z *zitadelServer) addResourceServer(assertionKey *jose.JSONWebKey) string {
	c := &zitadelClient{id: rsClientID, secret: rand.Text(), assertionKey: assertionKey}
	z.store.addClient(c)
	return c.secret
}

// zitadelKey is one of the OP's signing keys (op.SigningKey).
type zitadelKey struct {
	id   string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

// newZitadelKey generates a signing key for alg (RS256 or ES256).
func newZitadelKey(t *testing.T, alg jose.SignatureAlgorithm) *zitadelKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		t.Fatalf("newZitadelKey: unsupported algorithm %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return &zitadelKey{id: rand.Text(), alg: alg, priv: priv}
}

func (k *zitadelKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *zitadelKey) Key() any                                    { return k.priv }
func (k *zitadelKey) ID() string                                  { return k.id }

// publicZitadelKey is the published half of a zitadelKey (op.Key).
type publicZitadelKey struct{ *zitadelKey }

func (k publicZitadelKey) Algorithm() jose.SignatureAlgorithm { return k.alg }
func (k publicZitadelKey) Use() string                        { return "sig" }
func (k publicZitadelKey) Key() any                           { return k.priv.Public() }

// zitadelClient is a confidential machine-to-machine client (op.Client).
type zitadelClient struct {
	id, secret   string
	tokenType    op.AccessTokenType
	scopes       []string // allowed scopes
	audience     []string // audience of its tokens
	assertionKey *jose.JSONWebKey
}

func (c *zitadelClient) GetID() string                        { return c.id }
func (c *zitadelClient) RedirectURIs() []string               { return nil }
func (c *zitadelClient) PostLogoutRedirectURIs() []string     { return nil }
func (c *zitadelClient) ApplicationType() op.ApplicationType  { return op.ApplicationTypeWeb }
func (c *zitadelClient) AuthMethod() oidc.AuthMethod          { return oidc.AuthMethodBasic }
func (c *zitadelClient) ResponseTypes() []oidc.ResponseType   { return nil }
func (c *zitadelClient) LoginURL(string) string               { return "" }
func (c *zitadelClient) AccessTokenType() op.AccessTokenType  { return c.tokenType }
func (c *zitadelClient) IDTokenLifetime() time.Duration       { return time.Hour }
func (c *zitadelClient) DevMode() bool                        { return false }
func (c *zitadelClient) IsScopeAllowed(scope string) bool     { return slices.Contains(c.scopes, scope) }
func (c *zitadelClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *zitadelClient) ClockSkew() time.Duration             { return 0 }
func (c *zitadelClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *zitadelClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *zitadelClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeClientCredentials}
}
