package interop_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	josev3 "github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/storage"
	"github.com/ory/fosite/token/jwt"
	"golang.org/x/crypto/bcrypt"
)

// fositeAudience is the API's audience at the fosite server: clients request
// it with the "audience" token parameter, as fosite (and Ory Hydra) expect.
const fositeAudience = "https://api.example.test"

// Endpoint paths of the fosite server (fosite provides handlers, not routes:
// these are Ory Hydra's).
const (
	fositeTokenPath      = "/oauth2/token"
	fositeIntrospectPath = "/oauth2/introspect"
	fositeRevokePath     = "/oauth2/revoke"
	fositeJWKSPath       = "/.well-known/jwks.json"
)

// fositeTokens selects the fosite access-token strategy.
type fositeTokens int

const (
	fositeJWT    fositeTokens = iota // oauth2.DefaultJWTStrategy: RFC 9068-style JWTs
	fositeOpaque                     // oauth2.HMACSHAStrategy: "ory_at_…" HMAC tokens
)

// fositeServer is an ory/fosite OAuth 2.0 server on 127.0.0.1, composed from
// fosite's client_credentials, introspection and revocation handlers over
// its in-memory storage. fosite serves no discovery document or JWKS: this
// fixture serves both (RFC 8414 §3, RFC 7517 §5), from the server's
// configuration and the very keys its JWT strategy signs with.
type fositeServer struct {
	issuer   string
	provider fosite.OAuth2Provider
	store    *storage.MemoryStore
	hits     *hits
	secrets  map[string]string // client secrets by client ID; read-only once started

	mu   sync.Mutex
	keys []*josev3.JSONWebKey // published private keys; the last one signs
}

// Clients of the fosite server: svc gets tokens; rs is the resource server,
// which introspects.
const (
	fositeSvc = "svc"
	fositeRS  = "rs"
)

// newFositeServer starts a fosite server issuing tokens of the given kind,
// signing JWTs with an RS256 key, with the clients fositeSvc (allowed
// scopeRead and scopeWrite) and fositeRS (no scope).
func newFositeServer(t *testing.T, tokens fositeTokens) *fositeServer {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	f := &fositeServer{
		issuer: "http://" + srv.Listener.Addr().String(), store: storage.NewMemoryStore(),
		hits: new(hits), secrets: make(map[string]string),
	}
	f.addClient(t, fositeSvc, scopeRead, scopeWrite)
	f.addClient(t, fositeRS)
	f.keys = []*josev3.JSONWebKey{newFositeKey(t, "RS256")}
	cfg := &fosite.Config{
		AccessTokenLifespan: time.Hour,
		AccessTokenIssuer:   f.issuer,
		TokenURL:            f.issuer + fositeTokenPath,
		GlobalSecret:        []byte(rand.Text() + rand.Text()), // HMAC key, ≥ 32 bytes
		// fosite sets these defaults lazily on first use, from whichever
		// request goroutine comes first; set here, they are never written
		// while serving.
		ScopeStrategy:            fosite.WildcardScopeStrategy,
		AudienceMatchingStrategy: fosite.DefaultAudienceMatchingStrategy,
	}
	cfg.ClientSecretsHasher = &fosite.BCrypt{Config: cfg}
	var strategy any = compose.NewOAuth2HMACStrategy(cfg)
	if tokens == fositeJWT {
		strategy = compose.NewOAuth2JWTStrategy(f.signingKey, compose.NewOAuth2HMACStrategy(cfg), cfg)
	}
	f.provider = compose.Compose(cfg, f.store, strategy,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
	)
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+fositeTokenPath, f.token)
	mux.HandleFunc("POST "+fositeIntrospectPath, f.introspect)
	mux.HandleFunc("POST "+fositeRevokePath, f.revoke)
	mux.HandleFunc("GET "+fositeJWKSPath, f.jwks)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", f.metadata)
	srv.Config.Handler = f.hits.wrap(mux)
	srv.Start()
	t.Cleanup(srv.Close)
	return f
}

// addClient registers, before the server starts, a confidential
// client_credentials client allowed the given scopes and the audience
// fositeAudience.
func (f *fositeServer) addClient(t *testing.T, id string, scopes ...string) {
	t.Helper()
	secret := rand.Text()
	hash, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.MinCost) // fast tests; the cost is in the hash
	if err != nil {
		t.Fatal(err)
	}
	f.store.Clients[id] = &fosite.DefaultClient{
		ID: id, Secret: hash, GrantTypes: []string{"client_credentials"},
		Scopes: scopes, Audience: []string{fositeAudience},
	}
	f.secrets[id] = secret
}

// newFositeSession returns the session fosite stores with each token.
func newFositeSession() *oauth2.JWTSession {
	return &oauth2.JWTSession{JWTClaims: new(jwt.JWTClaims), JWTHeader: new(jwt.Headers)}
}

// token is the token endpoint (RFC 6749 §3.2), as fosite's examples and
// Ory Hydra write it for client_credentials: the requested scopes and
// audience, which NewAccessRequest has checked against the client's allowed
// ones, are granted, and the client is the token's subject.
func (f *fositeServer) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess := newFositeSession()
	ar, err := f.provider.NewAccessRequest(ctx, r, sess)
	if err != nil {
		f.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	for _, s := range ar.GetRequestedScopes() {
		ar.GrantScope(s)
	}
	for _, a := range ar.GetRequestedAudience() {
		ar.GrantAudience(a)
	}
	sess.Subject = ar.GetClient().GetID()
	sess.JWTClaims.Subject = sess.Subject
	resp, err := f.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		f.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	f.provider.WriteAccessResponse(ctx, w, ar, resp)
}

// introspect is the introspection endpoint (RFC 7662 §2).
func (f *fositeServer) introspect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ir, err := f.provider.NewIntrospectionRequest(ctx, r, newFositeSession())
	if err != nil {
		f.provider.WriteIntrospectionError(ctx, w, err)
		return
	}
	f.provider.WriteIntrospectionResponse(ctx, w, ir)
}

// revoke is the revocation endpoint (RFC 7009 §2).
func (f *fositeServer) revoke(w http.ResponseWriter, r *http.Request) {
	err := f.provider.NewRevocationRequest(r.Context(), r)
	f.provider.WriteRevocationResponse(r.Context(), w, err)
}

// metadata is the RFC 8414 §3 document, from the server's configuration.
func (f *fositeServer) metadata(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer":                 f.issuer,
		"token_endpoint":         f.issuer + fositeTokenPath,
		"introspection_endpoint": f.issuer + fositeIntrospectPath,
		"revocation_endpoint":    f.issuer + fositeRevokePath,
		"jwks_uri":               f.issuer + fositeJWKSPath,
		"grant_types_supported":  []string{"client_credentials"},
		// What NewIntrospectionRequest accepts besides a bearer token.
		"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic"},
		"token_endpoint_auth_methods_supported":         []string{"client_secret_basic", "client_secret_post"},
	})
}

// jwks serves the public halves of the published keys.
func (f *fositeServer) jwks(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	set := josev3.JSONWebKeySet{Keys: make([]josev3.JSONWebKey, len(f.keys))}
	for i, k := range f.keys {
		set.Keys[i] = k.Public()
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/jwk-set+json")
	_ = json.NewEncoder(w).Encode(set)
}

// signingKey is the JWT strategy's key getter: the current key.
func (f *fositeServer) signingKey(_ context.Context) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keys[len(f.keys)-1], nil
}

// rotate makes a new key for alg the signing key, keeping the older ones
// published, and returns its kid.
func (f *fositeServer) rotate(t *testing.T, alg string) string {
	t.Helper()
	k := newFositeKey(t, alg)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, k)
	return k.KeyID
}

// signingKID returns the kid of the current signing key.
func (f *fositeServer) signingKID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keys[len(f.keys)-1].KeyID
}

// unpublish stops publishing the key kid.
func (f *fositeServer) unpublish(kid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = slices.DeleteFunc(f.keys, func(k *josev3.JSONWebKey) bool { return k.KeyID == kid })
}

// newFositeKey generates a signing key for alg (RS256 or ES256) in the form
// fosite's jwt.DefaultSigner takes, which puts its kid in the JWS header.
func newFositeKey(t *testing.T, alg string) *josev3.JSONWebKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		t.Fatalf("newFositeKey: unsupported algorithm %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return &josev3.JSONWebKey{Key: priv, KeyID: rand.Text(), Algorithm: alg, Use: "sig"}
}
