package interop_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/discovery"
	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// fositeParams asks for the API's audience: fosite grants only the audiences
// a client requests (and is allowed).
var fositeParams = url.Values{"audience": {fositeAudience}}

// fositeMetadata discovers the server as rsguard does: OpenID Connect
// Discovery first (which fosite does not serve), then RFC 8414.
func fositeMetadata(t *testing.T, f *fositeServer) *discovery.Metadata {
	t.Helper()
	md, err := discovery.Discover(testContext(t), nil, f.issuer, false)
	if err != nil {
		t.Fatalf("Discover(%q): %v", f.issuer, err)
	}
	return md
}

// fositeValidator trusts the server's JWTs, with keys from the jwks_uri of its
// metadata. fosite types its JWTs "JWT", not RFC 9068 §2.1's "at+jwt":
// middleware.CompatTypes() accepts them.
func fositeValidator(t *testing.T, f *fositeServer, hooks *middleware.Hooks) (*middleware.Validator, *jwks.Remote) {
	t.Helper()
	return jwtValidator(t, f.issuer, fositeAudience, middleware.CompatTypes(), hooks)
}

func TestFositeDiscovery(t *testing.T) {
	f := newFositeServer(t, fositeJWT)
	md := fositeMetadata(t, f)
	if md.Issuer != f.issuer || md.JWKSURI != f.issuer+fositeJWKSPath || md.IntrospectionEndpoint != f.issuer+fositeIntrospectPath {
		t.Errorf("Discover(%q) = %+v, want the RFC 8414 document", f.issuer, md)
	}
	if n := f.hits.count("/.well-known/openid-configuration"); n != 1 {
		t.Errorf("OpenID Connect Discovery requests = %d, want 1 (tried first, 404)", n)
	}
}

func TestFositeJWTAccessToken(t *testing.T) {
	f := newFositeServer(t, fositeJWT)
	md := fositeMetadata(t, f)
	tok := fetchToken(t, md.TokenEndpoint, fositeSvc, f.secrets[fositeSvc], fositeParams, scopeRead).AccessToken

	t.Run("default types refuse typ JWT", func(t *testing.T) {
		v, _ := jwtValidator(t, f.issuer, fositeAudience, nil, nil)
		if _, err := v.Validate(testContext(t), tok); !errors.Is(err, middleware.ErrWrongType) {
			t.Fatalf("Validate(fosite JWT) with default Types = %v, want %v", err, middleware.ErrWrongType)
		}
	})
	t.Run("CompatTypes() accepts it", func(t *testing.T) {
		v, _ := fositeValidator(t, f, nil)
		api := newAPI(t, v)
		// Scopes come as a JSON array in "scp" (fosite's default
		// JWTScopeClaimKey), not RFC 9068 §2.2.3's "scope" string:
		// rsguard's default ScopeClaim falls back to "scp".
		wantScopeMapping(t, api, tok, f.issuer, fositeSvc)
		// fosite leaves out the "client_id" claim RFC 9068 §2.2 requires;
		// rsguard does not require it, so Claims.ClientID stays empty.
		if a := callAPI(t, api, http.MethodGet, tok); a.who.ClientID != "" {
			t.Errorf("client_id = %q, want empty (fosite sets none)", a.who.ClientID)
		}
	})
	t.Run("no audience requested", func(t *testing.T) {
		// Without the "audience" parameter fosite issues "aud": [], which
		// RFC 9068 §2.2 does not allow; rsguard refuses the token.
		bare := fetchToken(t, md.TokenEndpoint, fositeSvc, f.secrets[fositeSvc], nil, scopeRead).AccessToken
		v, _ := fositeValidator(t, f, nil)
		if _, err := v.Validate(testContext(t), bare); !errors.Is(err, middleware.ErrMissingClaim) {
			t.Fatalf("Validate(token with aud []) = %v, want %v", err, middleware.ErrMissingClaim)
		}
	})
}

func TestFositeOpaqueIntrospection(t *testing.T) {
	f := newFositeServer(t, fositeOpaque)
	md := fositeMetadata(t, f)
	tok := fetchToken(t, md.TokenEndpoint, fositeSvc, f.secrets[fositeSvc], fositeParams, scopeRead).AccessToken
	if !strings.HasPrefix(tok, "ory_at_") {
		t.Fatalf("opaque token %.10q…, want fosite's ory_at_ prefix", tok)
	}
	// RFC 7662 §2.1 lets the endpoint take a bearer token instead of client
	// credentials; fosite does, and takes an access token it issued.
	rsToken := fetchToken(t, md.TokenEndpoint, fositeRS, f.secrets[fositeRS], nil).AccessToken
	tests := []struct {
		name string
		auth introspection.ClientAuth
		want int
	}{
		{"client_secret_basic", introspection.ClientSecretBasic(fositeRS, f.secrets[fositeRS]), http.StatusOK},
		{"bearer", introspection.BearerToken(rsToken), http.StatusOK},
		// fosite reads client credentials from the Authorization header
		// only, and answers 401: rsguard neither accepts nor refuses.
		{"client_secret_post", introspection.ClientSecretPost(fositeRS, f.secrets[fositeRS]), http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newIntrospector(t, md.IntrospectionEndpoint, tt.auth)
			api := newAPI(t, introspectionValidator(t, f.issuer, fositeAudience, in))
			if tt.want != http.StatusOK {
				wantStatus(t, api, http.MethodGet, tok, tt.want)
				var se *introspection.StatusError
				if _, err := in.Introspect(testContext(t), tok); !errors.As(err, &se) || se.StatusCode != http.StatusUnauthorized {
					t.Errorf("Introspect() = %v, want a StatusError 401", err)
				}
				return
			}
			// fosite's answer has no "iss" (nor "token_type"): rsguard reads
			// the token as the introspecting issuer's.
			c, err := in.Introspect(testContext(t), tok)
			if err != nil || c.Issuer != "" || c.TokenType != "" {
				t.Fatalf("Introspect() = %+v, %v; want active without iss and token_type", c, err)
			}
			wantScopeMapping(t, api, tok, f.issuer, fositeSvc)
		})
	}
}

// revocationValidator validates tokens through the server's introspection
// endpoint only, with the cache windows ttl and negTTL on clk.
func revocationValidator(t *testing.T, f *fositeServer, clk *clock, ttl, negTTL time.Duration) *middleware.Validator {
	t.Helper()
	in, err := introspection.New(f.issuer+fositeIntrospectPath, introspection.ClientSecretBasic(fositeRS, f.secrets[fositeRS]),
		&introspection.Config{CacheTTL: ttl, NegativeCacheTTL: negTTL, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{
		URL: f.issuer, Audiences: []string{fositeAudience}, Introspector: in, Types: middleware.CompatTypes(),
	}, &middleware.Config{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestFositeRevocation(t *testing.T) {
	// Cache windows as a deployment would set them; the resource server's
	// clock is moved past them instead of sleeping.
	const ttl, negTTL = 30 * time.Second, 10 * time.Second
	for _, tokens := range []fositeTokens{fositeOpaque, fositeJWT} {
		name := map[fositeTokens]string{fositeOpaque: "opaque", fositeJWT: "JWT"}[tokens]
		t.Run(name, func(t *testing.T) {
			f := newFositeServer(t, tokens)
			tok := fetchToken(t, f.issuer+fositeTokenPath, fositeSvc, f.secrets[fositeSvc], fositeParams, scopeRead).AccessToken
			clk := new(clock)
			// A JWT issuer configured without Keys has its JWTs
			// introspected too (middleware.Issuer), so that revocation
			// reaches them.
			api := newAPI(t, revocationValidator(t, f, clk, ttl, negTTL))
			checkRevocation(t, api, tok, clk, ttl, negTTL,
				func() { revoke(t, f.issuer+fositeRevokePath, fositeSvc, f.secrets[fositeSvc], tok) },
				func() int { return f.hits.count(fositeIntrospectPath) })
			if tokens == fositeJWT {
				// Verified locally, the revoked JWT is still good until
				// its "exp": a JWT carries its own validity.
				v, _ := fositeValidator(t, f, nil)
				wantStatus(t, newAPI(t, v), http.MethodGet, tok, http.StatusOK)
			}
		})
	}
}

func TestFositeKeyRotation(t *testing.T) {
	f := newFositeServer(t, fositeJWT)
	fetches := new(fetchLog)
	v, rk := fositeValidator(t, f, &middleware.Hooks{KeysFetched: fetches.add})
	api := newAPI(t, v)
	tokenURL := f.issuer + fositeTokenPath
	old := fetchToken(t, tokenURL, fositeSvc, f.secrets[fositeSvc], fositeParams, scopeRead).AccessToken
	wantStatus(t, api, http.MethodGet, old, http.StatusOK)

	first := f.signingKID()
	next := f.rotate(t, "ES256")
	fresh := fetchToken(t, tokenURL, fositeSvc, f.secrets[fositeSvc], fositeParams, scopeRead).AccessToken
	checkRotation(t, api, rk, fetches, old, fresh, next, func() { f.unpublish(first) })
}
