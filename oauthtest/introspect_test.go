package oauthtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
)

// trickySecrets need form-urlencoding inside HTTP Basic (RFC 6749 §2.3.1).
var trickySecrets = []string{
	"plain", "with:colon", "per%cent", "plus+sign", "with space", "näïve-€-秘密", `"q"&=/?#`,
}

func TestIntrospectionClientAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256"})
	tok := s.OpaqueToken(TokenOptions{Subject: "alice", Scopes: []string{"read"}})
	for i, secret := range trickySecrets {
		id := "client:" + secret // client IDs are form-encoded too
		s.AddClient(Client{ID: id, Secret: secret})
		s.AddClient(Client{ID: "post-" + id, Secret: secret, AuthMethod: AuthClientSecretPost})
		t.Run(trickySecrets[i], func(t *testing.T) {
			t.Parallel()
			r := postForm(t, s, s.IntrospectionURL(), basic(id, secret), form("token", tok))
			if r.status != 200 || r.object(t)["active"] != true {
				t.Errorf("basic %q: %d %s, want 200 active", secret, r.status, r.body)
			}
			r = postForm(t, s, s.IntrospectionURL(), "", form("token", tok, "client_id", "post-"+id, "client_secret", secret))
			if r.status != 200 || r.object(t)["active"] != true {
				t.Errorf("post %q: %d %s, want 200 active", secret, r.status, r.body)
			}
			r = postForm(t, s, s.IntrospectionURL(), basic(id, secret+"x"), form("token", tok))
			r.wantError(t, http.StatusUnauthorized, "invalid_client")
			if got := r.header.Get("WWW-Authenticate"); got != `Basic realm="oauthtest"` {
				t.Errorf("WWW-Authenticate = %q, want a Basic challenge", got)
			}
			r = postForm(t, s, s.IntrospectionURL(), "", form("token", tok, "client_id", "post-"+id, "client_secret", secret[1:]))
			r.wantError(t, http.StatusUnauthorized, "invalid_client")
		})
	}
}

func TestIntrospectionRefusals(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256", Clients: []Client{
		{ID: "b", Secret: "s"},
		{ID: "b2", Secret: "ss"},
		{ID: "p", Secret: "s", AuthMethod: AuthClientSecretPost},
		{ID: "pub", AuthMethod: AuthNone},
		{ID: "rs", AuthMethod: AuthBearer, BearerToken: "rs-token"},
		{ID: "odd", Secret: "s", AuthMethod: "tls_client_auth"},
	}})
	tok := s.OpaqueToken(TokenOptions{})
	rawBasic := "Basic " + base64.RawStdEncoding.EncodeToString([]byte("b2:ss")) // padding left off
	tests := []struct {
		name, auth, form string
		status           int
		code             string
	}{
		{"basic padded", "Basic " + base64.StdEncoding.EncodeToString([]byte("b2:ss")), form("token", tok), 200, ""},
		{"bearer ok", "Bearer rs-token", form("token", tok), 200, ""},
		{"bearer wrong", "Bearer rs-tokem", form("token", tok), 401, "invalid_client"},
		{"bearer empty", "Bearer ", form("token", tok), 401, "invalid_client"},
		{"no auth", "", form("token", tok), 401, "invalid_client"},
		{"unknown client", basic("nobody", "s"), form("token", tok), 401, "invalid_client"},
		{"basic client posting", "", form("token", tok, "client_id", "b", "client_secret", "s"), 401, "invalid_client"},
		{"post client using basic", basic("p", "s"), form("token", tok), 401, "invalid_client"},
		{"unsupported method", basic("odd", "s"), form("token", tok), 401, "invalid_client"},
		{"public client", "", form("token", tok, "client_id", "pub"), 401, "invalid_client"},
		{"two methods", basic("b", "s"), form("token", tok, "client_id", "p", "client_secret", "s"), 400, "invalid_request"},
		{"basic not base64", "Basic %%%", form("token", tok), 401, "invalid_client"},
		{"basic without colon", "Basic " + b64([]byte("bs")), form("token", tok), 401, "invalid_client"},
		{"basic unpadded", rawBasic, form("token", tok), 401, "invalid_client"},
		{"basic with other client_id", basic("b", "s"), form("token", tok, "client_id", "p"), 401, "invalid_client"},
		{"unknown scheme", "Digest x", form("token", tok), 401, "invalid_client"},
		{"missing token", basic("b", "s"), form("token_type_hint", "access_token"), 400, "invalid_request"},
		{"repeated token", basic("b", "s"), "token=a&token=b", 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := postForm(t, s, s.IntrospectionURL(), tt.auth, tt.form)
			if tt.code == "" {
				if r.status != tt.status {
					t.Errorf("status = %d, want %d (%s)", r.status, tt.status, r.body)
				}
				return
			}
			r.wantError(t, tt.status, tt.code)
		})
	}
}

func TestIntrospectionNotForm(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256", Clients: []Client{{ID: "b", Secret: "s"}}})
	req, _ := http.NewRequest(http.MethodPost, s.IntrospectionURL(), nil)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", basic("b", "s"))
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("JSON body: status %d, want 400", resp.StatusCode)
	}
	if status, _, _ := get(t, s, s.IntrospectionURL()); status != http.StatusMethodNotAllowed {
		t.Errorf("GET introspection: status %d, want 405", status)
	}
}

func TestIntrospectionPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	s := newServer(t, &Config{Algorithm: "ES256", Clients: []Client{
		{ID: "ec", AuthMethod: AuthPrivateKeyJWT, PublicKey: ecKey.Public()},
		{ID: "ed", AuthMethod: AuthPrivateKeyJWT, PublicKey: edKey.Public()},
		{ID: "secret", Secret: "s"},
	}})
	tok := s.OpaqueToken(TokenOptions{})
	now := time.Now()
	claims := func(id string, mod map[string]any) map[string]any {
		c := map[string]any{"iss": id, "sub": id, "aud": s.IntrospectionURL(),
			"exp": now.Add(time.Minute).Unix(), "iat": now.Unix(), "jti": randomString(8)}
		override(c, mod)
		return c
	}
	reused := assertion(t, "ES256", ecKey, claims("ec", nil))
	tests := []struct {
		name      string
		assertion string
		extra     []string
		ok        bool
	}{
		{"ES256", reused, nil, true},
		{"jti reused", reused, nil, false},
		{"EdDSA", assertion(t, "EdDSA", edKey, claims("ed", nil)), nil, true},
		{"aud issuer", assertion(t, "ES256", ecKey, claims("ec", map[string]any{"aud": s.Issuer()})), nil, true},
		{"aud token endpoint in array", assertion(t, "ES256", ecKey, claims("ec", map[string]any{"aud": []string{"x", s.TokenURL()}})), nil, true},
		{"matching client_id", assertion(t, "ES256", ecKey, claims("ec", nil)), []string{"client_id", "ec"}, true},
		{"other client_id", assertion(t, "ES256", ecKey, claims("ec", nil)), []string{"client_id", "ed"}, false},
		{"wrong aud", assertion(t, "ES256", ecKey, claims("ec", map[string]any{"aud": "https://other.test"})), nil, false},
		{"expired", assertion(t, "ES256", ecKey, claims("ec", map[string]any{"exp": now.Add(-time.Second).Unix()})), nil, false},
		{"exp too far", assertion(t, "ES256", ecKey, claims("ec", map[string]any{"exp": now.Add(24 * time.Hour).Unix()})), nil, false},
		{"no exp", assertion(t, "ES256", ecKey, claims("ec", map[string]any{"exp": nil})), nil, false},
		{"no jti", assertion(t, "ES256", ecKey, claims("ec", map[string]any{"jti": nil})), nil, false},
		{"future nbf", assertion(t, "ES256", ecKey, claims("ec", map[string]any{"nbf": now.Add(time.Hour).Unix()})), nil, false},
		{"sub differs", assertion(t, "ES256", ecKey, claims("ec", map[string]any{"sub": "ed"})), nil, false},
		{"other key", assertion(t, "ES256", otherKey, claims("ec", nil)), nil, false},
		{"other client's key", assertion(t, "EdDSA", edKey, claims("ec", nil)), nil, false},
		{"secret client", assertion(t, "ES256", ecKey, claims("secret", nil)), nil, false},
		{"garbage", "a.b.c", nil, false},
		{"wrong type", assertion(t, "ES256", ecKey, claims("ec", nil)), []string{"client_assertion_type", "urn:x"}, false},
	}
	for _, tt := range tests { // in order: "jti reused" follows "ES256"
		f := append([]string{"token", tok, "client_assertion_type", assertionType, "client_assertion", tt.assertion}, tt.extra...)
		r := postForm(t, s, s.IntrospectionURL(), "", form(f...))
		if tt.ok {
			if r.status != 200 || r.object(t)["active"] != true {
				t.Errorf("%s: %d %s, want 200 active", tt.name, r.status, r.body)
			}
			continue
		}
		t.Run(tt.name, func(t *testing.T) { r.wantError(t, http.StatusUnauthorized, "invalid_client") })
	}
}

// assertion signs a client assertion. It uses the package's signer, whose
// output the core verifies independently in TestTokenVerifiesWithServedJWKS.
func assertion(t *testing.T, alg string, key crypto.Signer, claims map[string]any) string {
	t.Helper()
	k := &signingKey{alg: alg, priv: key}
	signed, err := encodeJWS(map[string]any{"alg": alg, "typ": "JWT"}, claims, k)
	if err != nil {
		t.Fatalf("encodeJWS: %v", err)
	}
	return signed
}

func TestIntrospectionResponses(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	clock := now
	s := newServer(t, &Config{Algorithm: "ES256", Now: func() time.Time { return clock }, Clients: []Client{{ID: "rs", Secret: "s"}}})
	introspect := func(tok string) map[string]any {
		t.Helper()
		r := postForm(t, s, s.IntrospectionURL(), basic("rs", "s"), form("token", tok, "token_type_hint", "access_token"))
		if r.status != 200 || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("introspection = %d, Cache-Control %q, want 200 no-store", r.status, r.header.Get("Cache-Control"))
		}
		return r.object(t)
	}
	opts := TokenOptions{Subject: "alice", ClientID: "app", Scopes: []string{"read", "write"}, Lifetime: time.Minute}
	opaque, jwt := s.OpaqueToken(opts), s.Token(opts)
	for name, tok := range map[string]string{"opaque": opaque, "jwt": jwt} {
		resp := introspect(tok)
		want := map[string]any{
			"active": true, "scope": "read write", "client_id": "app", "username": "alice", "sub": "alice",
			"token_type": "Bearer", "iss": s.Issuer(), "aud": DefaultAudience,
			"exp": float64(now.Unix() + 60), "iat": float64(now.Unix()),
		}
		for k, v := range want {
			if resp[k] != v {
				t.Errorf("%s: %q = %v, want %v", name, k, resp[k], v)
			}
		}
		if jti, _ := resp["jti"].(string); jti == "" {
			t.Errorf("%s: jti = %v, want a string", name, resp["jti"])
		}
	}
	inactive := map[string]string{
		"unknown":         "no-such-token",
		"expired":         s.OpaqueToken(TokenOptions{Lifetime: -time.Second}),
		"not yet valid":   s.OpaqueToken(TokenOptions{NotBefore: now.Add(time.Minute)}),
		"tampered jwt":    tamper(s.Token(TokenOptions{})),
		"alg none jwt":    s.Token(TokenOptions{Header: map[string]any{"alg": "none"}}),
		"jwt expired":     s.Token(TokenOptions{Lifetime: -time.Second}),
		"revoked opaque":  s.OpaqueToken(TokenOptions{}),
		"revoked jwt":     s.Token(TokenOptions{}),
		"relabelled alg":  s.Token(TokenOptions{Header: map[string]any{"alg": "ES384"}}),
		"kid of nothing":  s.Token(TokenOptions{Header: map[string]any{"kid": "x"}}),
		"jwt as garbage.": "eyJhbGciOiJFUzI1NiJ9.e30",
	}
	s.Revoke(inactive["revoked opaque"])
	s.Revoke(inactive["revoked jwt"])
	for name, tok := range inactive {
		if resp := introspect(tok); len(resp) != 1 || resp["active"] != false {
			t.Errorf("%s: %v, want exactly {\"active\": false}", name, resp)
		}
	}
	// Time passes: the minute-long tokens expire.
	clock = now.Add(time.Minute)
	if resp := introspect(opaque); resp["active"] != false {
		t.Errorf("opaque token after exp: %v, want inactive", resp)
	}
	clock = now
	// A removed key's tokens are no longer known.
	s.RotateKey("")
	if resp := introspect(jwt); resp["active"] != true {
		t.Errorf("jwt after rotation: %v, want active", resp)
	}
	s.RemoveKey(header(t, jwt)["kid"].(string))
	if resp := introspect(jwt); resp["active"] != false {
		t.Errorf("jwt after RemoveKey: %v, want inactive", resp)
	}
}

func TestIntrospectionParsedByCore(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256", Clients: []Client{{ID: "rs", Secret: "s"}}})
	tok := s.OpaqueToken(TokenOptions{Subject: "bob", Scopes: []string{"a", "b"}, NotBefore: time.Now().Add(-time.Minute)})
	r := postForm(t, s, s.IntrospectionURL(), basic("rs", "s"), form("token", tok))
	c, err := middleware.ParseClaims(r.body, "")
	if err != nil {
		t.Fatalf("ParseClaims(introspection response) = %v", err)
	}
	if c.Subject != "bob" || c.Username != "bob" || c.TokenType != "Bearer" || c.Scopes.String() != "a b" ||
		c.Issuer != s.Issuer() || !c.HasAudience([]string{DefaultAudience}) || c.NotBefore.IsZero() || c.ExpiresAt.IsZero() {
		t.Errorf("ParseClaims(introspection response) = %+v, want bob's claims", c)
	}
}

func TestIntrospectionGolden(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	s := newServer(t, &Config{Algorithm: "ES256", Now: func() time.Time { return now }, Clients: []Client{{ID: "rs", Secret: "s"}}})
	tok := s.OpaqueToken(TokenOptions{Subject: "alice", Scopes: []string{"read"}, Claims: map[string]any{"jti": "id-1"}})
	r := postForm(t, s, s.IntrospectionURL(), basic("rs", "s"), form("token", tok))
	golden(t, "introspection.json", s, r.body)
}
