package introspection_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// Credentials that naive client_secret_basic implementations mangle.
var trickyCredentials = []struct{ id, secret string }{
	{"plain-client", "plain-secret"},
	{"client:with:colons", "se:cr:et"},
	{"percent%client", "100%25%"},
	{"plus+client", "a+b=c&d"},
	{"client with spaces", "secret with spaces"},
	{"clïent-ünïcode", "pässwörd ✓ 秘密"},
}

// checkBasic decodes an Authorization header the way RFC 6749 §2.3.1 says a
// server must: base64, split at the one unencoded ":", then form-decode.
func checkBasic(r *http.Request, id, secret string) error {
	enc, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Basic ")
	if !ok {
		return fmt.Errorf("no Basic authorization")
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return fmt.Errorf("base64: %v", err)
	}
	if n := strings.Count(string(raw), ":"); n != 1 {
		return fmt.Errorf("credentials %q have %d colons, want 1 (form-encoding missing)", raw, n)
	}
	encID, encSecret, _ := strings.Cut(string(raw), ":")
	gotID, err1 := url.QueryUnescape(encID)
	gotSecret, err2 := url.QueryUnescape(encSecret)
	if err1 != nil || err2 != nil || gotID != id || gotSecret != secret {
		return fmt.Errorf("credentials decode to %q, %q (%v, %v); want %q, %q", gotID, gotSecret, err1, err2, id, secret)
	}
	if r.PostForm.Has("client_secret") || r.PostForm.Has("client_assertion") {
		return fmt.Errorf("form also carries credentials")
	}
	return nil
}

func checkPost(r *http.Request, id, secret string) error {
	if got := r.PostForm.Get("client_id"); got != id {
		return fmt.Errorf("client_id = %q, want %q", got, id)
	}
	if got := r.PostForm.Get("client_secret"); got != secret {
		return fmt.Errorf("client_secret = %q, want %q", got, secret)
	}
	if r.Header.Get("Authorization") != "" {
		return fmt.Errorf("unexpected Authorization header")
	}
	return nil
}

// runAuth introspects through an endpoint whose client check is check, and
// fails the test unless the check passed.
func runAuth(t *testing.T, auth introspection.ClientAuth, check func(r *http.Request) error) {
	t.Helper()
	e := newEndpoint(t)
	e.set(testToken, `{"active":true,"sub":"u"}`)
	e.with(func() {
		e.auth = func(r *http.Request) bool {
			if err := check(r); err != nil {
				t.Errorf("server-side client authentication: %v", err)
				return false
			}
			return true
		}
	})
	in, err := introspection.New(e.endpointURL(), auth, &introspection.Config{CacheSize: -1})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for range 2 {
		if c, err := in.Introspect(context.Background(), testToken); err != nil || c.Subject != "u" {
			t.Fatalf("Introspect(%q) = %v, %v; want subject u", testToken, c, err)
		}
	}
}

func TestClientSecretBasic(t *testing.T) {
	for _, cred := range trickyCredentials {
		t.Run(cred.id, func(t *testing.T) {
			runAuth(t, introspection.ClientSecretBasic(cred.id, cred.secret), func(r *http.Request) error {
				return checkBasic(r, cred.id, cred.secret)
			})
		})
	}
}

func TestClientSecretPost(t *testing.T) {
	for _, cred := range trickyCredentials {
		t.Run(cred.id, func(t *testing.T) {
			runAuth(t, introspection.ClientSecretPost(cred.id, cred.secret), func(r *http.Request) error {
				return checkPost(r, cred.id, cred.secret)
			})
		})
	}
}

func TestBearerToken(t *testing.T) {
	const bearer = "rs-own-access-token.+/="
	runAuth(t, introspection.BearerToken(bearer), func(r *http.Request) error {
		if got := r.Header.Get("Authorization"); got != "Bearer "+bearer {
			return fmt.Errorf("Authorization = %q, want the bearer token", got)
		}
		if r.PostForm.Has("client_secret") || r.PostForm.Has("client_id") {
			return fmt.Errorf("form carries client credentials")
		}
		return nil
	})
}

func TestTLSClientAuth(t *testing.T) {
	runAuth(t, introspection.TLSClientAuth("mtls-client"), func(r *http.Request) error {
		if got := r.PostForm.Get("client_id"); got != "mtls-client" {
			return fmt.Errorf("client_id = %q, want mtls-client", got)
		}
		if r.Header.Get("Authorization") != "" || r.PostForm.Has("client_secret") {
			return fmt.Errorf("credentials sent besides client_id")
		}
		return nil
	})
}

func TestEmptyBearerTokenIsUnavailable(t *testing.T) {
	e := newEndpoint(t)
	in, err := introspection.New(e.endpointURL(), introspection.BearerToken(""), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = in.Introspect(context.Background(), "opaque-Z9x")
	checkUnavailable(t, err, "opaque-Z9x")
	if n := e.calls.Load(); n != 0 {
		t.Errorf("endpoint calls = %d, want 0", n)
	}
}

func TestClientAuthPrintsNoSecret(t *testing.T) {
	const secret = "very-secret-value"
	rsaKey := testKeys(t).rsa
	jwtAuth, err := introspection.PrivateKeyJWT("id", rsaKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	auths := []introspection.ClientAuth{
		introspection.ClientSecretBasic("id", secret),
		introspection.ClientSecretPost("id", secret),
		introspection.BearerToken(secret),
		jwtAuth,
	}
	for _, a := range auths {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			got := fmt.Sprintf(verb, a)
			if strings.Contains(got, secret) || strings.Contains(got, base64.StdEncoding.EncodeToString([]byte("id:"+secret))) ||
				strings.Contains(got, rsaKey.D.String()) {
				t.Errorf("Sprintf(%q, %s) = %q, leaks the credentials", verb, a, got)
			}
		}
	}
}

type keys struct {
	rsa              *rsa.PrivateKey
	p256, p384, p521 *ecdsa.PrivateKey
	ed               ed25519.PrivateKey
}

var (
	keysOnce sync.Once
	keySet   keys
)

// testKeys generates one key of each kind per test binary.
func testKeys(t *testing.T) keys {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if keySet.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		for _, k := range []struct {
			c elliptic.Curve
			p **ecdsa.PrivateKey
		}{{elliptic.P256(), &keySet.p256}, {elliptic.P384(), &keySet.p384}, {elliptic.P521(), &keySet.p521}} {
			if *k.p, err = ecdsa.GenerateKey(k.c, rand.Reader); err != nil {
				panic(err)
			}
		}
		if _, keySet.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
	return keySet
}

func TestPrivateKeyJWT(t *testing.T) {
	k := testKeys(t)
	tests := []struct {
		name    string
		key     crypto.Signer
		cfg     introspection.AssertionConfig
		wantAlg string
	}{
		{"RSA default", k.rsa, introspection.AssertionConfig{}, "RS256"},
		{"RSA PS256", k.rsa, introspection.AssertionConfig{Algorithm: "PS256", KeyID: "rsa-1"}, "PS256"},
		{"RSA RS512", k.rsa, introspection.AssertionConfig{Algorithm: "RS512"}, "RS512"},
		{"P-256", k.p256, introspection.AssertionConfig{KeyID: "ec-1"}, "ES256"},
		{"P-384", k.p384, introspection.AssertionConfig{}, "ES384"},
		{"P-521", k.p521, introspection.AssertionConfig{}, "ES512"},
		{"Ed25519", k.ed, introspection.AssertionConfig{KeyID: "ed-1"}, "EdDSA"},
		{"issuer audience", k.p256, introspection.AssertionConfig{Audience: "https://as.example.test"}, "ES256"},
		{"long lifetime", k.ed, introspection.AssertionConfig{Lifetime: 5 * time.Minute}, "EdDSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const id = "client:ïd"
			cfg := tt.cfg
			auth, err := introspection.PrivateKeyJWT(id, tt.key, &cfg)
			if err != nil {
				t.Fatalf("PrivateKeyJWT(%s) error = %v", tt.name, err)
			}
			seen := make(map[string]bool)
			runAuth(t, auth, func(r *http.Request) error {
				aud := tt.cfg.Audience
				if aud == "" {
					aud = "http://" + r.Host + "/introspect"
				}
				jti, err := checkAssertion(r, assertionWant{id, aud, tt.wantAlg, tt.cfg.KeyID, tt.cfg.Lifetime, tt.key.Public()})
				if err == nil && seen[jti] {
					err = fmt.Errorf("jti %q reused", jti)
				}
				seen[jti] = true
				return err
			})
			if len(seen) != 2 {
				t.Errorf("server saw %d distinct assertions, want 2", len(seen))
			}
		})
	}
}

type assertionWant struct {
	id, aud, alg, kid string
	lifetime          time.Duration
	pub               crypto.PublicKey
}

// checkAssertion verifies an RFC 7523 client assertion with the core's JWS
// validator, an implementation independent of the signer under test, and
// returns its jti.
func checkAssertion(r *http.Request, want assertionWant) (string, error) {
	if got := r.PostForm.Get("client_assertion_type"); got != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return "", fmt.Errorf("client_assertion_type = %q", got)
	}
	if r.Header.Get("Authorization") != "" || r.PostForm.Has("client_secret") {
		return "", fmt.Errorf("other credentials sent too")
	}
	a := r.PostForm.Get("client_assertion")
	if err := checkHeader(a, want); err != nil {
		return "", err
	}
	c, err := verifyAssertion(a, want, time.Now)
	if err != nil {
		return "", err
	}
	lifetime := want.lifetime
	if lifetime == 0 {
		lifetime = introspection.DefaultAssertionLifetime
	}
	switch {
	case c.Subject != want.id:
		return "", fmt.Errorf("sub = %q, want %q", c.Subject, want.id)
	case len(c.Audience) != 1:
		return "", fmt.Errorf("aud = %q, want one value", c.Audience)
	case c.ExpiresAt.Sub(c.IssuedAt) != lifetime:
		return "", fmt.Errorf("exp - iat = %v, want %v", c.ExpiresAt.Sub(c.IssuedAt), lifetime)
	case time.Since(c.IssuedAt).Abs() > time.Minute:
		return "", fmt.Errorf("iat = %v, not now", c.IssuedAt)
	case len(c.ID) < 16:
		return "", fmt.Errorf("jti %q too short", c.ID)
	}
	return c.ID, nil
}

// verifyAssertion checks the assertion's signature, "iss", "aud" and "exp".
func verifyAssertion(a string, want assertionWant, now func() time.Time) (*middleware.Claims, error) {
	key, err := jwks.NewKey(want.kid, want.alg, want.pub)
	if err != nil {
		return nil, err
	}
	ks, err := jwks.NewStatic(key)
	if err != nil {
		return nil, err
	}
	v, err := middleware.NewValidator(middleware.Issuer{
		URL: want.id, Audiences: []string{want.aud}, Keys: ks,
		Algorithms: []string{want.alg}, Types: []string{"JWT"},
	}, &middleware.Config{Now: now, ClockSkew: -1, CacheSize: -1})
	if err != nil {
		return nil, err
	}
	c, err := v.Validate(context.Background(), a)
	if err != nil {
		return nil, fmt.Errorf("assertion refused: %v", err)
	}
	return c, nil
}

func checkHeader(a string, want assertionWant) error {
	seg, _, _ := strings.Cut(a, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return fmt.Errorf("header: %v", err)
	}
	var h map[string]string
	if err := json.Unmarshal(raw, &h); err != nil {
		return fmt.Errorf("header: %v", err)
	}
	if h["alg"] != want.alg || h["kid"] != want.kid || h["typ"] != "JWT" {
		return fmt.Errorf("header = %v, want alg %q kid %q typ JWT", h, want.alg, want.kid)
	}
	return nil
}

// The assertion's time claims follow the injected clock.
func TestPrivateKeyJWTClock(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	auth, err := introspection.PrivateKeyJWT("c", testKeys(t).p256, &introspection.AssertionConfig{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{}
	const endpoint = "https://as.example.test/introspect"
	if err := auth.Authenticate(context.Background(), endpoint, form, http.Header{}); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	want := assertionWant{id: "c", aud: endpoint, alg: "ES256", pub: testKeys(t).p256.Public()}
	c, err := verifyAssertion(form.Get("client_assertion"), want, func() time.Time { return at })
	if err != nil {
		t.Fatalf("verifying the assertion at %v: %v", at, err)
	}
	if !c.IssuedAt.Equal(at) || !c.ExpiresAt.Equal(at.Add(time.Minute)) {
		t.Errorf("iat, exp = %v, %v; want %v, %v", c.IssuedAt, c.ExpiresAt, at, at.Add(time.Minute))
	}
	if _, err := verifyAssertion(form.Get("client_assertion"), want, func() time.Time { return at.Add(time.Minute) }); err == nil {
		t.Errorf("assertion still valid one lifetime after iat")
	}
}

func TestPrivateKeyJWTRefusesBadKeys(t *testing.T) {
	k := testKeys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   string
		key  crypto.Signer
		alg  string
	}{
		{"RSA 1024", "c", small, ""},
		{"P-224", "c", p224, ""},
		{"RSA with ES256", "c", k.rsa, "ES256"},
		{"RSA with none", "c", k.rsa, "none"},
		{"RSA with HS256", "c", k.rsa, "HS256"},
		{"P-256 with ES384", "c", k.p256, "ES384"},
		{"Ed25519 with RS256", "c", k.ed, "RS256"},
		{"no client ID", "", k.p256, ""},
		{"no key", "c", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := introspection.PrivateKeyJWT(tt.id, tt.key, &introspection.AssertionConfig{Algorithm: tt.alg}); err == nil {
				t.Errorf("PrivateKeyJWT(%q, %s, %q) error = nil, want an error", tt.id, tt.name, tt.alg)
			}
		})
	}
}
