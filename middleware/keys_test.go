package middleware

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// TestValidateSymmetricKey: a 32-byte HMAC key without alg verifies HS256
// tokens, and HS384 or HS512 tokens are a key mismatch (RFC 7518 §3.2); the
// validator keeps its own copy of the secret.
func TestValidateSymmetricKey(t *testing.T) {
	t.Parallel()
	short := randomBytes(32)
	for _, alg := range hmacAlgs {
		k := mustTestKey("h", alg, "", short)
		v := newTestValidator(t, []*testKey{k}, func(is *Issuer) { is.Algorithms = hmacAlgs }, nil)
		tok := k.token()
		_, err := validate(v, tok)
		if alg == "HS256" && err != nil {
			t.Errorf("Validate(HS256 token, 32-byte key) = %v, want nil", err)
		} else if alg != "HS256" {
			wantRefused(t, tok, err, ErrKeyMismatch)
		}
	}
	k := mustTestKey("h", "HS256", "HS256", randomBytes(32))
	tok := k.token()
	clear(k.signer.([]byte))
	v := newTestValidator(t, []*testKey{k}, issuerFor("HS256"), nil)
	if _, err := validate(v, tok); err != nil {
		t.Fatalf("Validate after the caller cleared its secret = %v, want nil", err)
	}
}

func TestValidateKeySelection(t *testing.T) {
	t.Parallel()
	a := newTestKey(t, "a", "ES256", "ES256")
	b := newTestKey(t, "b", "ES256", "ES256")
	evil := attackerKey(t, "ES256", "a")
	// A JWKS server the tokens point at with "jku" and "x5u": never fetched.
	var fetched atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetched.Add(1)
		w.Write(mustJSON(map[string]any{"keys": []any{jwkOf(evil)}}))
	}))
	defer srv.Close()
	two := newTestValidator(t, []*testKey{a, b}, nil, nil)
	one := newTestValidator(t, []*testKey{a}, nil, nil)
	embedded := map[string]any{"kid": nil, "jwk": jwkOf(evil), "jku": srv.URL, "x5u": srv.URL, "x5c": []string{"MIIB"}}
	tests := []struct {
		name   string
		v      *Validator
		token  string
		reason error // nil: accepted
	}{
		{"kid a", two, a.token(), nil},
		{"kid b", two, b.token(), nil},
		{"kid b signed by a", two, a.mint(map[string]any{"kid": "b"}, nil), ErrBadSignature},
		{"unknown kid", two, a.mint(map[string]any{"kid": "c"}, nil), ErrUnknownKey},
		{"empty kid, two keys", two, a.mint(map[string]any{"kid": ""}, nil), ErrUnknownKey},
		{"no kid, two keys", two, a.mint(map[string]any{"kid": nil}, nil), ErrUnknownKey},
		{"no kid, one key", one, a.mint(map[string]any{"kid": nil}, nil), nil},
		{"kid, one key", one, a.token(), nil},
		{"unknown kid, one key", one, a.mint(map[string]any{"kid": "zzz"}, nil), ErrUnknownKey},
		{"kid case differs", one, a.mint(map[string]any{"kid": "A"}, nil), ErrUnknownKey},
		{"attacker's key under kid a", two, evil.token(), ErrBadSignature},
		{"embedded keys, no kid, two keys", two, evil.mint(embedded, nil), ErrUnknownKey},
		{"embedded keys, no kid, one key", one, evil.mint(embedded, nil), ErrBadSignature},
		{"embedded keys, kid a", two, evil.mint(merge(embedded, map[string]any{"kid": "a"}), nil), ErrBadSignature},
		{"embedded keys with a's own key", two, a.mint(map[string]any{"jwk": jwkOf(a), "jku": srv.URL}, nil), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := validate(tc.v, tc.token)
			if tc.reason == nil {
				if err != nil {
					t.Fatalf("Validate(%s) = %v, want nil", tc.name, err)
				}
				return
			}
			wantRefused(t, tc.token, err, tc.reason)
		})
	}
	if n := fetched.Load(); n != 0 {
		t.Errorf("the jku/x5u server got %d requests, want 0", n)
	}
}

func TestValidateKeyFit(t *testing.T) {
	t.Parallel()
	rsaKey := keyFor(t, "RS256").signer
	rs256 := mustTestKey("rsa-rs256", "PS256", "RS256", rsaKey) // signs PS256; its JWK says RS256
	anyRSA := mustTestKey("rsa-any", "PS256", "", rsaKey)
	p256 := newTestKey(t, "p256", "ES256", "")
	es384OnP256 := mustTestKey("p256", "ES384", "", p256.signer)
	ed := keyFor(t, "EdDSA")
	edAsES := mustTestKey(ed.key.ID(), "ES256", "", p256.signer)
	hs := keyFor(t, "HS256")
	rsAsHS := mustTestKey("rsa-any", "HS256", "", randomBytes(32))
	hsAsRS := mustTestKey(hs.key.ID(), "RS256", "", rsaKey)
	keys := []*testKey{rs256, anyRSA, p256, ed, hs}
	all := func(is *Issuer) { is.Algorithms = allAlgs() }
	v := newTestValidator(t, keys, all, nil)
	esOnly := newTestValidator(t, keys, func(is *Issuer) { is.Algorithms = []string{"ES256"} }, nil)
	tests := []struct {
		name   string
		v      *Validator
		token  string
		reason error
	}{
		{"key alg RS256, token PS256", v, rs256.token(), ErrKeyMismatch},
		{"key without alg, token PS256", v, anyRSA.token(), nil},
		{"key without alg, token RS256", v, mustTestKey("rsa-any", "RS256", "", rsaKey).token(), nil},
		{"P-256 key, token ES384", v, es384OnP256.token(), ErrKeyMismatch},
		{"P-256 key, token ES256", v, p256.token(), nil},
		{"Ed25519 kid, token ES256", v, edAsES.token(), ErrKeyMismatch},
		{"RSA kid, token HS256", v, rsAsHS.token(), ErrKeyMismatch},
		{"HMAC kid, token RS256", v, hsAsRS.token(), ErrKeyMismatch},
		{"RSA kid, token EdDSA", v, mustTestKey("rsa-any", "EdDSA", "", ed.signer).token(), ErrKeyMismatch},
		{"alg not in the issuer's list", esOnly, anyRSA.token(), ErrDisallowedAlg},
		{"alg RS1", v, anyRSA.mint(map[string]any{"alg": "RS1"}, nil), ErrDisallowedAlg},
		{"alg ES256K", v, p256.mint(map[string]any{"alg": "ES256K"}, nil), ErrDisallowedAlg},
		{"alg es256", v, p256.mint(map[string]any{"alg": "es256"}, nil), ErrDisallowedAlg},
		{"alg empty", v, p256.mint(map[string]any{"alg": ""}, nil), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := validate(tc.v, tc.token)
			if tc.reason == nil {
				if err != nil {
					t.Fatalf("Validate(%s) = %v, want nil", tc.name, err)
				}
				return
			}
			wantRefused(t, tc.token, err, tc.reason)
		})
	}
}
