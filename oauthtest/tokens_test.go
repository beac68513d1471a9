package oauthtest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/jose"
	"github.com/rsguard/rsguard/middleware"
)

var allAlgorithms = []string{
	"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512", "EdDSA",
}

func TestTokenVerifiesWithServedJWKS(t *testing.T) {
	t.Parallel()
	for _, alg := range allAlgorithms {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, &Config{Algorithm: alg})
			v := validator(t, s)
			tok := s.Token(TokenOptions{Subject: "alice", ClientID: "app", Scopes: []string{"read", "write"}})
			c, err := validate(v, tok)
			if err != nil {
				t.Fatalf("Validate(%s token) = %v, want nil", alg, err)
			}
			if c.Subject != "alice" || c.ClientID != "app" || c.Issuer != s.Issuer() {
				t.Errorf("claims sub=%q client_id=%q iss=%q, want alice, app, %q", c.Subject, c.ClientID, c.Issuer, s.Issuer())
			}
			if got := c.Scopes.String(); got != "read write" {
				t.Errorf("scopes = %q, want %q", got, "read write")
			}
			h := header(t, tok)
			if h["alg"] != alg || h["typ"] != "at+jwt" || h["kid"] != s.KeyID() {
				t.Errorf("header = %v, want alg %s, typ at+jwt, kid %s", h, alg, s.KeyID())
			}
			// A token with a flipped signature byte must be refused.
			if _, err := validate(v, tamper(tok)); !errors.Is(err, middleware.ErrBadSignature) {
				t.Errorf("Validate(tampered %s token) = %v, want ErrBadSignature", alg, err)
			}
		})
	}
}

func TestTokenClaims(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	s := newServer(t, &Config{Algorithm: "ES256", Now: func() time.Time { return now }, Audience: "https://aud.test"})
	nbf := now.Add(-time.Minute)
	tok := s.Token(TokenOptions{
		Audience:  []string{"a", "b"},
		Lifetime:  5 * time.Minute,
		NotBefore: nbf,
		Claims:    map[string]any{"jti": nil, "tenant": "t1"},
	})
	c := payload(t, tok)
	want := map[string]any{
		"iss": s.Issuer(), "sub": DefaultSubject, "client_id": DefaultClientID,
		"iat": float64(now.Unix()), "exp": float64(now.Unix() + 300), "nbf": float64(nbf.Unix()),
		"tenant": "t1",
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("claim %q = %v, want %v", k, c[k], v)
		}
	}
	if aud, _ := json.Marshal(c["aud"]); string(aud) != `["a","b"]` {
		t.Errorf("aud = %s, want [\"a\",\"b\"]", aud)
	}
	for _, absent := range []string{"jti", "scope"} {
		if _, ok := c[absent]; ok {
			t.Errorf("claim %q present, want absent", absent)
		}
	}
	if aud := payload(t, s.Token(TokenOptions{}))["aud"]; aud != "https://aud.test" {
		t.Errorf("default aud = %v, want https://aud.test", aud)
	}
	if j1, j2 := payload(t, s.Token(TokenOptions{}))["jti"], payload(t, s.Token(TokenOptions{}))["jti"]; j1 == j2 || j1 == nil {
		t.Errorf("jti of two tokens = %v, %v, want distinct values", j1, j2)
	}
}

func TestTokenRefusedByValidator(t *testing.T) {
	t.Parallel()
	s := newServer(t, nil)
	v := validator(t, s)
	tests := []struct {
		name string
		opts TokenOptions
		want error
	}{
		{"expired", TokenOptions{Lifetime: -time.Hour}, middleware.ErrExpired},
		{"not yet valid", TokenOptions{NotBefore: time.Now().Add(time.Hour)}, middleware.ErrNotYetValid},
		{"other audience", TokenOptions{Audience: []string{"https://other.test"}}, middleware.ErrAudienceMismatch},
		{"typ JWT", TokenOptions{Header: map[string]any{"typ": "JWT"}}, middleware.ErrWrongType},
		{"no typ", TokenOptions{Header: map[string]any{"typ": nil}}, middleware.ErrWrongType},
		{"crit", TokenOptions{Header: map[string]any{"crit": []string{"x"}, "x": 1}}, middleware.ErrUnknownCritical},
		// An unsecured JWS has an empty signature, which the core reads as
		// malformed before it looks at "alg".
		{"alg none", TokenOptions{Header: map[string]any{"alg": "none"}}, middleware.ErrInvalidToken},
		// The served JWK names its "alg", so the core refuses the pair.
		{"alg relabelled", TokenOptions{Header: map[string]any{"alg": "RS512"}}, middleware.ErrKeyMismatch},
		{"unknown kid", TokenOptions{Header: map[string]any{"kid": "nope"}}, middleware.ErrUnknownKey},
		{"other issuer", TokenOptions{Claims: map[string]any{"iss": "https://evil.test"}}, middleware.ErrIssuerMismatch},
		{"no exp", TokenOptions{Claims: map[string]any{"exp": nil}}, middleware.ErrMissingClaim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := validate(v, s.Token(tt.opts)); !errors.Is(err, tt.want) {
				t.Errorf("Validate(%s) = %v, want %v", tt.name, err, tt.want)
			}
		})
	}
}

func TestTokenPanicsOnUnknownKeyID(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "EdDSA"})
	defer func() {
		if recover() == nil {
			t.Error("Token(KeyID: unknown) did not panic")
		}
	}()
	s.Token(TokenOptions{KeyID: "unknown"})
}

// header decodes a JWT's header.
func header(t *testing.T, tok string) map[string]any {
	t.Helper()
	return segment(t, tok, 0)
}

// payload decodes a JWT's claims.
func payload(t *testing.T, tok string) map[string]any {
	t.Helper()
	return segment(t, tok, 1)
}

func segment(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	b, err := jose.Decode(parts[i])
	if err != nil {
		t.Fatalf("segment %d: %v", i, err)
	}
	return decodeObject(t, b)
}

// tamper flips a bit in the middle of the token's signature.
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.')
	sig, _ := jose.Decode(tok[i+1:])
	sig[len(sig)/2] ^= 1
	return tok[:i+1] + b64(sig)
}
