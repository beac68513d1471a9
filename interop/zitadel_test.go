package interop_test

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/rsguard/rsguard/internal/discovery"
	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
)

// zitadelMetadata discovers the OP through OpenID Connect Discovery, as
// rsguard does, and checks the endpoints these tests use are there.
func zitadelMetadata(t *testing.T, z *zitadelServer) *discovery.Metadata {
	t.Helper()
	md, err := discovery.Discover(testContext(t), nil, z.issuer, false)
	if err != nil {
		t.Fatalf("Discover(%q): %v", z.issuer, err)
	}
	if md.JWKSURI == "" || md.TokenEndpoint == "" || md.IntrospectionEndpoint == "" || md.RevocationEndpoint == "" {
		t.Fatalf("Discover(%q) = %+v, want jwks_uri and token, introspection and revocation endpoints", z.issuer, md)
	}
	return md
}

func TestZitadelDiscovery(t *testing.T) {
	z := newZitadelServer(t, opaqueJWE)
	md := zitadelMetadata(t, z)
	if md.Issuer != z.issuer {
		t.Errorf("issuer = %q, want %q", md.Issuer, z.issuer)
	}
	// The OP's introspection endpoint takes client_secret_basic and
	// private_key_jwt only, though its token endpoint also takes
	// client_secret_post: rsguard must pick one of these two.
	want := []string{"client_secret_basic", "private_key_jwt"}
	if !slices.Equal(md.IntrospectionEndpointAuthMethods, want) {
		t.Errorf("introspection_endpoint_auth_methods_supported = %q, want %q", md.IntrospectionEndpointAuthMethods, want)
	}
}

func TestZitadelJWTAccessToken(t *testing.T) {
	z := newZitadelServer(t, opaqueJWE)
	md := zitadelMetadata(t, z)
	secret := z.addClient("svc-jwt", op.AccessTokenTypeJWT, scopeRead, scopeWrite)
	tok := fetchToken(t, md.TokenEndpoint, "svc-jwt", secret, nil, scopeRead)

	t.Run("default types refuse typ JWT", func(t *testing.T) {
		// Deviation: the OP signs access tokens with typ "JWT"
		// (op.SignerFromKey), not RFC 9068 §2.1's "at+jwt".
		v, _ := jwtValidator(t, z.issuer, rsClientID, nil, nil)
		_, err := v.Validate(testContext(t), tok.AccessToken)
		if !errors.Is(err, middleware.ErrWrongType) {
			t.Fatalf("Validate(zitadel JWT) with default Types = %v, want %v", err, middleware.ErrWrongType)
		}
	})
	t.Run("CompatTypes() accepts it", func(t *testing.T) {
		v, _ := jwtValidator(t, z.issuer, rsClientID, middleware.CompatTypes(), nil)
		api := newAPI(t, v)
		wantScopeMapping(t, api, tok.AccessToken, z.issuer, "svc-jwt")
		if a := callAPI(t, api, http.MethodGet, tok.AccessToken); a.who.ClientID != "svc-jwt" {
			t.Errorf("client_id = %q, want svc-jwt", a.who.ClientID)
		}
	})
	t.Run("token for another audience", func(t *testing.T) {
		v, _ := jwtValidator(t, z.issuer, "another-api", middleware.CompatTypes(), nil)
		if _, err := v.Validate(testContext(t), tok.AccessToken); !errors.Is(err, middleware.ErrAudienceMismatch) {
			t.Fatalf("Validate(token for %s) = %v, want %v", rsClientID, err, middleware.ErrAudienceMismatch)
		}
	})
}

// TestZitadelOpaqueIntrospection validates opaque tokens through the OP's
// introspection endpoint with each client authentication method. The tokens
// are in the library's pre-v3.51 encoding, still supported by the OP (the
// current one, a compact JWE, is covered by TestZitadelJWEOpaqueToken,
// TestZitadelRevocation and the gRPC tests); the endpoint and its client
// authentication are the same either way.
func TestZitadelOpaqueIntrospection(t *testing.T) {
	z := newZitadelServer(t, opaqueAESCFB)
	md := zitadelMetadata(t, z)
	rsKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsSecret := z.addResourceServer(&jose.JSONWebKey{Key: &rsKey.PublicKey, KeyID: "rs-1", Algorithm: "RS256", Use: "sig"})
	secret := z.addClient("svc-opaque", op.AccessTokenTypeBearer, scopeRead, scopeWrite)
	tok := fetchToken(t, md.TokenEndpoint, "svc-opaque", secret, nil, scopeRead)

	assertion := func(aud string) introspection.ClientAuth {
		auth, err := introspection.PrivateKeyJWT(rsClientID, rsKey, &introspection.AssertionConfig{KeyID: "rs-1", Audience: aud})
		if err != nil {
			t.Fatal(err)
		}
		return auth
	}
	tests := []struct {
		name string
		auth introspection.ClientAuth
		want int
	}{
		{"client_secret_basic", introspection.ClientSecretBasic(rsClientID, rsSecret), http.StatusOK},
		// Deviation: the OP checks that a client assertion's "aud" holds its
		// issuer identifier; RFC 7523 §3 also allows the endpoint URL, which
		// is rsguard's default. AssertionConfig.Audience handles it.
		{"private_key_jwt aud=issuer", assertion(z.issuer), http.StatusOK},
		{"private_key_jwt aud=endpoint", assertion(""), http.StatusServiceUnavailable},
		// Not offered for introspection (see TestZitadelDiscovery): the OP
		// answers 401, and rsguard neither accepts nor refuses the token.
		{"client_secret_post", introspection.ClientSecretPost(rsClientID, rsSecret), http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newIntrospector(t, md.IntrospectionEndpoint, tt.auth)
			api := newAPI(t, introspectionValidator(t, z.issuer, rsClientID, in))
			if tt.want != http.StatusOK {
				wantStatus(t, api, http.MethodGet, tok.AccessToken, tt.want)
				// The cause: the OP refused the client authentication.
				var se *introspection.StatusError
				if _, err := in.Introspect(testContext(t), tok.AccessToken); !errors.As(err, &se) || se.StatusCode != http.StatusUnauthorized {
					t.Errorf("Introspect() = %v, want a StatusError 401", err)
				}
				return
			}
			// The answer has no "iss" and no "aud" (the OP checked that
			// the caller is in the token's audience): rsguard reads the
			// token as the introspecting issuer's.
			wantScopeMapping(t, api, tok.AccessToken, z.issuer, "svc-opaque")
		})
	}
}

// TestZitadelJWEOpaqueToken: since v3.51 the OP encrypts its opaque access
// tokens as compact JWEs (five parts, "enc" in the header). A resource server
// cannot decrypt them, so rsguard treats them as opaque and sends them to the
// OP's introspection endpoint, exactly once.
func TestZitadelJWEOpaqueToken(t *testing.T) {
	z := newZitadelServer(t, opaqueJWE)
	md := zitadelMetadata(t, z)
	rsSecret := z.addResourceServer(nil)
	secret := z.addClient("svc-opaque", op.AccessTokenTypeBearer, scopeRead)
	tok := fetchToken(t, md.TokenEndpoint, "svc-opaque", secret, nil, scopeRead).AccessToken
	if n := strings.Count(tok, "."); n != 4 {
		t.Fatalf("opaque token has %d dots, want 4 (a compact JWE, RFC 7516 §7.1)", n)
	}
	in := newIntrospector(t, md.IntrospectionEndpoint, introspection.ClientSecretBasic(rsClientID, rsSecret))
	v := introspectionValidator(t, z.issuer, rsClientID, in)
	before := z.hits.count("/oauth/introspect")
	c, err := v.Validate(testContext(t), tok)
	if err != nil || !c.Scopes.Has(scopeRead) || c.Subject != "svc-opaque" {
		t.Fatalf("Validate(JWE token) = %+v, %v; want active, sub svc-opaque, scope %s", c, err, scopeRead)
	}
	if n := z.hits.count("/oauth/introspect") - before; n != 1 {
		t.Errorf("Validate(JWE token) made %d introspection requests, want 1", n)
	}
	wantScopeMapping(t, newAPI(t, v), tok, z.issuer, "svc-opaque")
}

// TestZitadelRevocation revokes an opaque token (the OP's default compact-JWE
// encoding) at the OP's revocation endpoint.
func TestZitadelRevocation(t *testing.T) {
	z := newZitadelServer(t, opaqueJWE)
	md := zitadelMetadata(t, z)
	rsSecret := z.addResourceServer(nil)
	secret := z.addClient("svc-opaque", op.AccessTokenTypeBearer, scopeRead)
	tok := fetchToken(t, md.TokenEndpoint, "svc-opaque", secret, nil, scopeRead)

	// Cache windows as a deployment would set them; the resource server's
	// clock is moved past them instead of sleeping.
	const ttl, negTTL = 30 * time.Second, 10 * time.Second
	clk := new(clock)
	in, err := introspection.New(md.IntrospectionEndpoint, introspection.ClientSecretBasic(rsClientID, rsSecret),
		&introspection.Config{CacheTTL: ttl, NegativeCacheTTL: negTTL, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{URL: z.issuer, Audiences: []string{rsClientID}, Introspector: in},
		&middleware.Config{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	checkRevocation(t, newAPI(t, v), tok.AccessToken, clk, ttl, negTTL,
		func() { revoke(t, md.RevocationEndpoint, "svc-opaque", secret, tok.AccessToken) },
		func() int { return z.hits.count("/oauth/introspect") })
}

func TestZitadelKeyRotation(t *testing.T) {
	z := newZitadelServer(t, opaqueJWE)
	md := zitadelMetadata(t, z)
	secret := z.addClient("svc-jwt", op.AccessTokenTypeJWT, scopeRead)
	fetches := new(fetchLog)
	v, rk := jwtValidator(t, z.issuer, rsClientID, middleware.CompatTypes(), &middleware.Hooks{KeysFetched: fetches.add})
	api := newAPI(t, v)

	old := fetchToken(t, md.TokenEndpoint, "svc-jwt", secret, nil, scopeRead).AccessToken
	wantStatus(t, api, http.MethodGet, old, http.StatusOK)

	// The OP rotates to a new key, of another algorithm, publishing both.
	first := z.store.signingKID()
	next := newZitadelKey(t, jose.ES256)
	z.store.rotate(next)
	fresh := fetchToken(t, md.TokenEndpoint, "svc-jwt", secret, nil, scopeRead).AccessToken
	checkRotation(t, api, rk, fetches, old, fresh, next.id, func() { z.store.unpublish(first) })
}
