package oauthtest

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/rsguard/rsguard/middleware"
)

func TestJWKSMembers(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"RS256": "RSA", "PS384": "RSA", "ES256": "EC", "ES384": "EC", "ES512": "EC", "EdDSA": "OKP",
	}
	for alg, kty := range want {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, &Config{Algorithm: alg})
			_, h, body := get(t, s, s.JWKSURL())
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Errorf("JWKS Content-Type = %q, want application/json", ct)
			}
			set, err := jwk.Parse(body)
			if err != nil {
				t.Fatalf("jwk.Parse(JWKS) = %v", err)
			}
			if set.Len() != 1 {
				t.Fatalf("JWKS has %d keys, want 1", set.Len())
			}
			k, _ := set.Key(0)
			kid, _ := k.KeyID()
			use, _ := k.KeyUsage()
			a, _ := k.Algorithm()
			if kid != s.KeyID() || use != "sig" || a.String() != alg || k.KeyType().String() != kty {
				t.Errorf("JWK kid=%q use=%q alg=%q kty=%q, want %q sig %s %s", kid, use, a, k.KeyType(), s.KeyID(), alg, kty)
			}
			if priv, err := jwk.IsPrivateKey(k); err != nil || priv {
				t.Errorf("JWK is private = %v (%v), want a public key", priv, err)
			}
			// The kid is the key's RFC 7638 thumbprint, computed here by jwx.
			thumb, err := k.Thumbprint(crypto.SHA256)
			if err != nil || base64.RawURLEncoding.EncodeToString(thumb) != kid {
				t.Errorf("kid %q is not the RFC 7638 thumbprint (err %v)", kid, err)
			}
		})
	}
}

func TestRotateAndRemoveKey(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256"})
	first := s.KeyID()
	oldTok := s.Token(TokenOptions{})

	second := s.RotateKey("EdDSA")
	if second == first || s.KeyID() != second {
		t.Fatalf("RotateKey = %q, KeyID() = %q; want a new current key other than %q", second, s.KeyID(), first)
	}
	if got := jwksKIDs(t, s); len(got) != 2 || got[0] != first || got[1] != second {
		t.Fatalf("JWKS kids after rotation = %q, want [%q %q]", got, first, second)
	}
	newTok := s.Token(TokenOptions{})
	if h := header(t, newTok); h["kid"] != second || h["alg"] != "EdDSA" {
		t.Errorf("new token header = %v, want kid %q alg EdDSA", h, second)
	}
	v := validator(t, s)
	for name, tok := range map[string]string{"old": oldTok, "new": newTok} {
		if _, err := validate(v, tok); err != nil {
			t.Errorf("Validate(%s token) after rotation = %v, want nil", name, err)
		}
	}
	if third := s.RotateKey(""); s.PublicKey(third) == nil || header(t, s.Token(TokenOptions{}))["alg"] != "ES256" {
		t.Errorf("RotateKey(\"\") did not make an ES256 key, the configured algorithm")
	}

	s.RemoveKey(first)
	if got := jwksKIDs(t, s); len(got) != 2 || got[0] != second {
		t.Fatalf("JWKS kids after RemoveKey = %q, want [%q, third]", got, second)
	}
	v = validator(t, s)
	if _, err := validate(v, oldTok); !errors.Is(err, middleware.ErrUnknownKey) {
		t.Errorf("Validate(token of removed key) = %v, want ErrUnknownKey", err)
	}
	if _, err := validate(v, newTok); err != nil {
		t.Errorf("Validate(token of kept key) = %v, want nil", err)
	}
	// A removed key can still sign, for negative tests.
	if h := header(t, s.Token(TokenOptions{KeyID: first})); h["kid"] != first {
		t.Errorf("Token(KeyID: removed) kid = %v, want %q", h["kid"], first)
	}
	if s.PublicKey(first) == nil || s.PublicKey("nope") != nil {
		t.Errorf("PublicKey: want the removed key known and an unknown kid nil")
	}
	s.RemoveKey("nope") // ignored
}

func TestRotateKeyPanicsOnUnknownAlgorithm(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256"})
	defer func() {
		if recover() == nil {
			t.Error("RotateKey(\"HS256\") did not panic")
		}
	}()
	s.RotateKey("HS256")
}

func TestNewServerPanicsOnUnknownAlgorithm(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("NewServer(Algorithm: none) did not panic")
		}
	}()
	NewServer(&Config{Algorithm: "none"}).Close()
}

// jwksKIDs fetches the JWKS over HTTP and returns its kids in order.
func jwksKIDs(t *testing.T, s *Server) []string {
	t.Helper()
	_, _, body := get(t, s, s.JWKSURL())
	var doc struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	var kids []string
	for _, k := range doc.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}
