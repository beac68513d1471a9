package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	auth0jwks "github.com/auth0/go-jwt-middleware/v2/jwks"
	auth0 "github.com/auth0/go-jwt-middleware/v2/validator"
	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	golangjwt "github.com/golang-jwt/jwt/v5"
	"github.com/lestrrat-go/jwx/v3/jwk"
	jwxjwt "github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// Verifier validates one access token — signature, kid lookup, "iss", "aud"
// and "exp" — and returns nil only if it accepts it. Each peer's verifier is
// built once from the [Fixture] and is safe for concurrent use.
type Verifier func(ctx context.Context, token string) error

// Floor returns the bare signature check of c: the hash of the signing input
// and the standard library's verify, with the signature already decoded. No
// parsing, no key lookup, no claims: the least any verifier must do.
func Floor(c *Case) func() bool {
	switch pub := c.Public.(type) {
	case *rsa.PublicKey:
		return func() bool {
			d := sha256.Sum256(c.Input)
			return rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], c.Signature) == nil
		}
	case *ecdsa.PublicKey:
		return func() bool {
			d := sha256.Sum256(c.Input)
			return ecdsa.VerifyASN1(pub, d[:], c.DER)
		}
	case ed25519.PublicKey:
		return func() bool { return ed25519.Verify(pub, c.Input, c.Signature) }
	}
	panic(fmt.Sprintf("bench: no floor for %T", c.Public))
}

// NewRSGuard returns rsguard's validator over the fixture's JWK Set, with the
// given verified-token cache size (negative: cache off).
func NewRSGuard(f *Fixture, cacheSize int) (*middleware.Validator, error) {
	keys, err := jwks.ParseStatic(f.JWKS)
	if err != nil {
		return nil, err
	}
	return middleware.NewValidator(middleware.Issuer{
		URL:       Issuer,
		Audiences: []string{Audience},
		Keys:      keys,
	}, &middleware.Config{ClockSkew: Leeway, CacheSize: cacheSize})
}

// NewJWX returns lestrrat-go/jwx/v3's jwt.Parse with the JWK Set (the key
// picked by "kid" and its "alg") and iss/aud/exp validation.
func NewJWX(f *Fixture) (Verifier, error) {
	set, err := jwk.Parse(f.JWKS)
	if err != nil {
		return nil, err
	}
	opts := []jwxjwt.ParseOption{
		jwxjwt.WithKeySet(set),
		jwxjwt.WithIssuer(Issuer),
		jwxjwt.WithAudience(Audience),
		jwxjwt.WithAcceptableSkew(Leeway),
	}
	return func(_ context.Context, token string) error {
		_, err := jwxjwt.ParseString(token, opts...)
		return err
	}, nil
}

// accessClaims are the claims the golang-jwt and go-jose verifiers decode:
// the registered ones plus client_id and scope, as rsguard does.
type accessClaims struct {
	golangjwt.RegisteredClaims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
}

func golangJWTParser() *golangjwt.Parser {
	return golangjwt.NewParser(
		golangjwt.WithValidMethods(Algorithms),
		golangjwt.WithIssuer(Issuer),
		golangjwt.WithAudience(Audience),
		golangjwt.WithExpirationRequired(),
		golangjwt.WithIssuedAt(),
		golangjwt.WithLeeway(Leeway),
	)
}

// NewGolangJWT returns golang-jwt/jwt/v5 with a Keyfunc that looks the key up
// by "kid" in a map and checks that its algorithm is the token's.
func NewGolangJWT(f *Fixture) (Verifier, error) {
	type entry struct {
		alg string
		pub crypto.PublicKey
	}
	keys := make(map[string]entry, len(f.Cases))
	for _, c := range f.Cases {
		keys[c.KeyID] = entry{c.Alg, c.Public}
	}
	kf := func(t *golangjwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := keys[kid]
		if !ok || k.alg != t.Method.Alg() {
			return nil, errors.New("bench: unknown key")
		}
		return k.pub, nil
	}
	p := golangJWTParser()
	return func(_ context.Context, token string) error {
		_, err := p.ParseWithClaims(token, &accessClaims{}, kf)
		return err
	}, nil
}

// NewKeyfunc returns golang-jwt/jwt/v5 with MicahParks/keyfunc/v3 over the
// JWK Set given as JSON.
func NewKeyfunc(f *Fixture) (Verifier, error) {
	k, err := keyfunc.NewJWKSetJSON(f.JWKS)
	if err != nil {
		return nil, err
	}
	p := golangJWTParser()
	return func(_ context.Context, token string) error {
		_, err := p.ParseWithClaims(token, &accessClaims{}, k.Keyfunc)
		return err
	}, nil
}

// joseClaims are the private claims go-jose decodes beside [josejwt.Claims].
type joseClaims struct {
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
}

// NewGoJose returns go-jose/go-jose/v4: jwt.ParseSigned with the algorithm
// allow-list, Claims with the JSON Web Key Set (key picked by "kid") and
// ValidateWithLeeway for iss/aud/exp.
func NewGoJose(f *Fixture) (Verifier, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(f.JWKS, &set); err != nil {
		return nil, err
	}
	algs := []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}
	return func(_ context.Context, token string) error {
		t, err := josejwt.ParseSigned(token, algs)
		if err != nil {
			return err
		}
		var std josejwt.Claims
		var extra joseClaims
		if err := t.Claims(&set, &std, &extra); err != nil {
			return err
		}
		return std.ValidateWithLeeway(josejwt.Expected{
			Issuer:      Issuer,
			AnyAudience: josejwt.Audience{Audience},
			Time:        time.Now(),
		}, Leeway)
	}, nil
}

// auth0Claims are the custom claims given to auth0's validator.
type auth0Claims struct {
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
}

// Validate implements auth0's validator.CustomClaims.
func (auth0Claims) Validate(context.Context) error { return nil }

// NewAuth0 returns auth0/go-jwt-middleware/v2's validator for one algorithm
// (it takes exactly one) with its caching JWKS provider, fetched once from
// jwksURL — a loopback server, see [ServeJWKS] — and warm afterwards.
func NewAuth0(f *Fixture, alg, jwksURL string) (*auth0.Validator, error) {
	u, err := url.Parse(jwksURL)
	if err != nil {
		return nil, err
	}
	iss, _ := url.Parse(Issuer)
	p := auth0jwks.NewCachingProvider(iss, time.Hour, auth0jwks.WithCustomJWKSURI(u))
	return auth0.New(p.KeyFunc, auth0.SignatureAlgorithm(alg), Issuer, []string{Audience},
		auth0.WithAllowedClockSkew(Leeway),
		auth0.WithCustomClaims(func() auth0.CustomClaims { return &auth0Claims{} }))
}

// Auth0Verifier adapts an auth0 validator to a [Verifier].
func Auth0Verifier(v *auth0.Validator) Verifier {
	return func(ctx context.Context, token string) error {
		_, err := v.ValidateToken(ctx, token)
		return err
	}
}

// ServeJWKS starts a loopback server publishing the fixture's JWK Set at
// "/jwks". The caller closes it.
func ServeJWKS(f *Fixture) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/jwks" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(f.JWKS)
	}))
}
