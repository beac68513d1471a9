package middleware

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDPoPProofChecks has one case per check of RFC 9449 §4.3, for each
// proof algorithm family: the well-formed proof is accepted, and each
// proof that breaks one check is refused for that check's reason.
func TestDPoPProofChecks(t *testing.T) {
	tk := keyFor(t, "ES256")
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			v := dpopValidator(t, "ES256", DPoPAllowed, nil)
			c := newDPoPClient(t, alg)
			other := newDPoPClient(t, "ES256")
			token := c.boundToken(tk)
			privJWK := merge(c.jwk, map[string]any{"d": "AAAA"})
			tests := []struct {
				name   string
				cred   func() *Credentials
				reason error // nil: accepted
			}{
				{"valid", func() *Credentials { return dpopCred(token, c.proof(token, nil, nil)) }, nil},
				{"htu_with_query_and_fragment_ignored", func() *Credentials {
					cr := dpopCred(token, c.proof(token, nil, map[string]any{"htu": testURI + "?x=1#f"}))
					cr.URI = testURI + "?y=2"
					return cr
				}, nil},
				{"htu_normalized", func() *Credentials {
					return dpopCred(token, c.proof(token, nil, map[string]any{"htu": "HTTPS://API.Example.TEST:443/orders/./%31"}))
				}, nil},
				{"1_no_proof", func() *Credentials { return dpopCred(token) }, ErrDPoPProofCount},
				{"1_two_proofs", func() *Credentials {
					return dpopCred(token, c.proof(token, nil, nil), c.proof(token, nil, nil))
				}, ErrDPoPProofCount},
				{"2_not_a_jws", func() *Credentials { return dpopCred(token, "not-a-jwt") }, ErrDPoPMalformed},
				{"2_claims_not_json", func() *Credentials {
					return dpopCred(token, c.k.mintRaw(mustJSON(map[string]any{"typ": "dpop+jwt", "alg": alg, "jwk": c.jwk}), []byte("{")))
				}, ErrDPoPMalformed},
				{"3_no_jti", func() *Credentials { return dpopCred(token, c.proof(token, nil, map[string]any{"jti": nil})) }, ErrDPoPMalformed},
				{"3_no_htm", func() *Credentials { return dpopCred(token, c.proof(token, nil, map[string]any{"htm": nil})) }, ErrDPoPMalformed},
				{"3_no_iat", func() *Credentials { return dpopCred(token, c.proof(token, nil, map[string]any{"iat": nil})) }, ErrDPoPMalformed},
				{"3_iat_string", func() *Credentials { return dpopCred(token, c.proof(token, nil, map[string]any{"iat": "now"})) }, ErrDPoPMalformed},
				{"4_typ_missing", func() *Credentials { return dpopCred(token, c.proof(token, map[string]any{"typ": nil}, nil)) }, ErrDPoPType},
				{"4_typ_jwt", func() *Credentials { return dpopCred(token, c.proof(token, map[string]any{"typ": "JWT"}, nil)) }, ErrDPoPType},
				{"4_typ_at_jwt", func() *Credentials { return dpopCred(token, c.proof(token, map[string]any{"typ": "at+jwt"}, nil)) }, ErrDPoPType},
				{"5_alg_none", func() *Credentials { return dpopCred(token, c.proof(token, map[string]any{"alg": "none"}, nil)) }, ErrDPoPAlgorithm},
				{"5_alg_hs256", func() *Credentials { return dpopCred(token, c.proof(token, map[string]any{"alg": "HS256"}, nil)) }, ErrDPoPAlgorithm},
				{"5_alg_unknown", func() *Credentials { return dpopCred(token, c.proof(token, map[string]any{"alg": "ES999"}, nil)) }, ErrDPoPAlgorithm},
				{"6_no_jwk", func() *Credentials { return dpopCred(token, c.proof(token, map[string]any{"jwk": nil}, nil)) }, ErrDPoPKey},
				{"6_private_jwk", func() *Credentials { return dpopCred(token, c.proof(token, map[string]any{"jwk": privJWK}, nil)) }, ErrDPoPKey},
				{"6_jwk_wrong_type", func() *Credentials {
					return dpopCred(token, c.proof(token, map[string]any{"jwk": map[string]any{"kty": "oct", "k": "AAAA"}}, nil))
				}, ErrDPoPKey},
				{"6_jwk_of_another_alg", func() *Credentials {
					wrong := newDPoPClient(t, map[string]string{"ES256": "EdDSA", "EdDSA": "ES256", "RS256": "ES256"}[alg])
					return dpopCred(token, c.proof(token, map[string]any{"jwk": wrong.jwk}, nil))
				}, ErrDPoPKey},
				{"6_signature_by_another_key", func() *Credentials {
					// The proof names c's key but is signed by other's: built
					// so that it differs from c's valid proof by construction.
					p := other.proof(token, map[string]any{"alg": "ES256", "jwk": c.jwk}, nil)
					if alg != "ES256" {
						p = c.proof(token, nil, nil)
						p = p[:strings.LastIndexByte(p, '.')+1] + b64s(other.k.sign(p[:strings.LastIndexByte(p, '.')]))
					}
					return dpopCred(token, p)
				}, map[string]error{"ES256": ErrDPoPSignature, "EdDSA": ErrDPoPSignature, "RS256": ErrDPoPSignature}[alg]},
				{"6_signature_tampered", func() *Credentials { return dpopCred(token, tamperSig(c.proof(token, nil, nil))) }, ErrDPoPSignature},
				{"7_htm_other", func() *Credentials { return dpopCred(token, c.proof(token, nil, map[string]any{"htm": "POST"})) }, ErrDPoPMethod},
				{"7_htm_lower_case", func() *Credentials { return dpopCred(token, c.proof(token, nil, map[string]any{"htm": "get"})) }, ErrDPoPMethod},
				{"8_htu_other_path", func() *Credentials {
					return dpopCred(token, c.proof(token, nil, map[string]any{"htu": "https://api.example.test/orders/2"}))
				}, ErrDPoPURI},
				{"8_htu_other_host", func() *Credentials {
					return dpopCred(token, c.proof(token, nil, map[string]any{"htu": "https://evil.example.test/orders/1"}))
				}, ErrDPoPURI},
				{"8_htu_http", func() *Credentials {
					return dpopCred(token, c.proof(token, nil, map[string]any{"htu": "http://api.example.test/orders/1"}))
				}, ErrDPoPURI},
				{"8_htu_other_port", func() *Credentials {
					return dpopCred(token, c.proof(token, nil, map[string]any{"htu": "https://api.example.test:8443/orders/1"}))
				}, ErrDPoPURI},
				{"9_iat_too_old", func() *Credentials {
					return dpopCred(token, c.proof(token, nil, map[string]any{"iat": testNow.Add(-DefaultDPoPProofWindow - DefaultClockSkew - time.Second).Unix()}))
				}, ErrDPoPTime},
				{"9_iat_old_within_window", func() *Credentials {
					return dpopCred(token, c.proof(token, nil, map[string]any{"iat": testNow.Add(-DefaultDPoPProofWindow - DefaultClockSkew).Unix()}))
				}, nil},
				{"9_iat_future", func() *Credentials {
					return dpopCred(token, c.proof(token, nil, map[string]any{"iat": testNow.Add(DefaultClockSkew + time.Second).Unix()}))
				}, ErrDPoPTime},
				{"9_iat_future_within_skew", func() *Credentials {
					return dpopCred(token, c.proof(token, nil, map[string]any{"iat": testNow.Add(DefaultClockSkew).Unix()}))
				}, nil},
				{"11_ath_missing", func() *Credentials { return dpopCred(token, c.proof(token, nil, map[string]any{"ath": nil})) }, ErrDPoPTokenHash},
				{"11_ath_of_another_token", func() *Credentials {
					return dpopCred(token, c.proof(token, nil, map[string]any{"ath": athOf(token + "x")}))
				}, ErrDPoPTokenHash},
				{"12_jkt_of_another_key", func() *Credentials {
					t2 := other.boundToken(tk)
					return dpopCred(t2, c.proof(t2, nil, nil))
				}, ErrDPoPKeyBinding},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					cred := tt.cred()
					claims, err := v.Authenticate(context.Background(), cred)
					if tt.reason == nil {
						if err != nil || claims == nil {
							t.Fatalf("Authenticate = %v, %v; want accepted", claims, err)
						}
						return
					}
					if claims != nil || !errors.Is(err, ErrInvalidToken) || !errors.Is(err, tt.reason) {
						t.Fatalf("Authenticate = %v, %v; want invalid_token %v", claims, err, tt.reason)
					}
					wantCode := CodeInvalidDPoPProof
					if tt.reason == ErrDPoPKeyBinding {
						wantCode = CodeInvalidToken
					}
					if got := AsError(err).Code(); got != wantCode {
						t.Errorf("Code() = %q, want %q", got, wantCode)
					}
					for _, p := range cred.DPoP {
						noLeak(t, p, err)
					}
					noLeak(t, token, err)
				})
			}
		})
	}
}

// tamperSig flips one character in the middle of a compact JWS's signature,
// keeping it base64url, so that it differs from the original by construction.
func tamperSig(s string) string {
	i := strings.LastIndexByte(s, '.') + 5
	repl := byte('A')
	if s[i] == 'A' {
		repl = 'B'
	}
	return s[:i] + string(repl) + s[i+1:]
}

// TestDPoPDowngrades checks the presentations refused whatever the proof:
// a DPoP-bound token with the Bearer scheme, a proof with the Bearer scheme,
// an unbound token with the DPoP scheme, Bearer where DPoP is required, and
// DPoP where the issuer accepts Bearer only; and that the route's mode
// overrides the issuer's.
func TestDPoPDowngrades(t *testing.T) {
	tk := keyFor(t, "ES256")
	c := newDPoPClient(t, "ES256")
	bound, unbound := c.boundToken(tk), tk.token()
	bearer := func(tok string, proofs ...string) *Credentials {
		return &Credentials{Authorization: []string{"Bearer " + tok}, DPoP: proofs, Method: testMethod, URI: testURI}
	}
	tests := []struct {
		name   string
		mode   DPoPMode
		route  DPoPMode
		cred   func() *Credentials
		kind   error
		reason error
	}{
		{"bound_as_bearer", DPoPAllowed, 0, func() *Credentials { return bearer(bound) }, ErrInvalidToken, ErrSenderConstrained},
		{"bound_as_bearer_with_proof", DPoPAllowed, 0, func() *Credentials { return bearer(bound, c.proof(bound, nil, nil)) }, ErrInvalidRequest, ErrProofWithBearer},
		{"bound_as_bearer_mode_off", DPoPOff, 0, func() *Credentials { return bearer(bound) }, ErrInvalidToken, ErrSenderConstrained},
		{"bound_as_query_token", DPoPAllowed, 0, func() *Credentials { return &Credentials{Token: bound} }, ErrInvalidToken, ErrSenderConstrained},
		{"proof_with_bearer", DPoPAllowed, 0, func() *Credentials { return bearer(unbound, c.proof(unbound, nil, nil)) }, ErrInvalidRequest, ErrProofWithBearer},
		{"proof_with_bearer_mode_off_ignored", DPoPOff, 0, func() *Credentials { return bearer(unbound, c.proof(unbound, nil, nil)) }, nil, nil},
		{"unbound_as_dpop", DPoPAllowed, 0, func() *Credentials { return dpopCred(unbound, c.proof(unbound, nil, nil)) }, ErrInvalidToken, ErrNotDPoPBound},
		{"unbound_as_bearer_allowed", DPoPAllowed, 0, func() *Credentials { return bearer(unbound) }, nil, nil},
		{"unbound_as_bearer_required", DPoPRequired, 0, func() *Credentials { return bearer(unbound) }, ErrInvalidToken, ErrDPoPRequired},
		{"bound_as_dpop_required", DPoPRequired, 0, func() *Credentials { return dpopCred(bound, c.proof(bound, nil, nil)) }, nil, nil},
		{"bound_as_dpop_mode_off", DPoPOff, 0, func() *Credentials { return dpopCred(bound, c.proof(bound, nil, nil)) }, ErrInvalidToken, ErrSenderConstrained},
		{"unbound_as_dpop_mode_off", DPoPOff, 0, func() *Credentials { return dpopCred(unbound, c.proof(unbound, nil, nil)) }, ErrInvalidToken, ErrNotDPoPBound},
		{"route_requires_dpop", DPoPAllowed, DPoPRequired, func() *Credentials { return bearer(unbound) }, ErrInvalidToken, ErrDPoPRequired},
		{"route_allows_dpop", DPoPOff, DPoPAllowed, func() *Credentials { return dpopCred(bound, c.proof(bound, nil, nil)) }, nil, nil},
		{"route_bearer_only", DPoPAllowed, DPoPOff, func() *Credentials { return dpopCred(bound, c.proof(bound, nil, nil)) }, ErrInvalidToken, ErrSenderConstrained},
		{"dpop_without_method_and_uri", DPoPAllowed, 0, func() *Credentials {
			cr := dpopCred(bound, c.proof(bound, nil, nil))
			cr.Method, cr.URI = "", ""
			return cr
		}, ErrInvalidToken, ErrSenderConstrained},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := dpopValidator(t, "ES256", tt.mode, nil)
			cred := tt.cred()
			cred.DPoPMode = tt.route
			claims, err := v.Authenticate(context.Background(), cred)
			if tt.kind == nil {
				if err != nil || claims == nil {
					t.Fatalf("Authenticate = %v, %v; want accepted", claims, err)
				}
				return
			}
			if claims != nil || !errors.Is(err, tt.kind) || !errors.Is(err, tt.reason) {
				t.Fatalf("Authenticate = %v, %v; want %v, %v", claims, err, tt.kind, tt.reason)
			}
		})
	}
}

// TestValidateRefusesBoundTokens checks issue 11's rule: Validate, which has
// no proof or certificate, refuses every token with "cnf", on the first call
// and on the cache hits after it, and whatever the issuer's DPoP mode.
func TestValidateRefusesBoundTokens(t *testing.T) {
	tk := keyFor(t, "ES256")
	for _, mode := range []DPoPMode{DPoPOff, DPoPAllowed, DPoPRequired} {
		v := dpopValidator(t, "ES256", mode, nil)
		for _, cnf := range []map[string]any{
			{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"},
			{"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"},
			{"jwk": map[string]any{"kty": "EC"}},
			{},
		} {
			tok := tk.mint(nil, map[string]any{"cnf": cnf})
			want := ErrSenderConstrained
			if _, x5t := cnf["x5t#S256"]; x5t && mode == DPoPRequired {
				want = ErrDPoPRequired // not DPoP-bound, so refused for its scheme first
			}
			for range 2 {
				_, err := v.Validate(context.Background(), tok)
				wantRefused(t, tok, err, want)
			}
		}
	}
}

// TestConfirmationMembers checks the reading of "cnf": unknown members are
// refused unless named in AllowUnverifiedConfirmation; a "cnf" that is not
// an object, or has a duplicate or case-twin member, is malformed.
func TestConfirmationMembers(t *testing.T) {
	tk := keyFor(t, "ES256")
	v := dpopValidator(t, "ES256", DPoPOff, nil)
	opt := dpopValidator(t, "ES256", DPoPOff, &Config{AllowUnverifiedConfirmation: []string{"kid"}})
	tests := []struct {
		name   string
		v      *Validator
		raw    string
		reason error
	}{
		{"unknown_member", v, `{"kid":"k1"}`, ErrSenderConstrained},
		{"unknown_member_ignored", opt, `{"kid":"k1"}`, nil},
		{"other_unknown_member_not_ignored", opt, `{"kid":"k1","jwk":{}}`, ErrSenderConstrained},
		{"known_member_not_ignorable", opt, `{"kid":"k1","jkt":"abc"}`, ErrSenderConstrained},
		{"empty", v, `{}`, ErrSenderConstrained},
		{"not_an_object", v, `"abc"`, ErrMalformed},
		{"duplicate_jkt", v, `{"jkt":"a","jkt":"b"}`, ErrMalformed},
		{"case_twin_jkt", v, `{"jkt":"a","JKT":"b"}`, ErrMalformed},
		{"jkt_not_a_string", v, `{"jkt":1}`, ErrMalformed},
		{"jkt_empty", v, `{"jkt":""}`, ErrMalformed},
		{"duplicate_cnf", v, `{"kid":"a"},"cnf":{"kid":"a"}`, ErrMalformed},
		{"case_twin_cnf", v, `{"kid":"a"},"CNF":{"kid":"a"}`, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := strings.TrimSuffix(string(mustJSON(baseClaims())), "}") + `,"cnf":` + tt.raw + `}`
			tok := tk.mintRaw(mustJSON(tk.baseHeader()), []byte(claims))
			_, err := tt.v.Validate(context.Background(), tok)
			if tt.reason == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want accepted", err)
				}
				return
			}
			wantRefused(t, tok, err, tt.reason)
		})
	}
}

// TestDPoPReplay checks replay inside the window (refused as replayed) and
// after it (refused by "iat", the store having forgotten the proof), and
// that a store failure is 503 unless the validator fails open.
func TestDPoPReplay(t *testing.T) {
	tk := keyFor(t, "ES256")
	c := newDPoPClient(t, "ES256")
	token := c.boundToken(tk)
	now := testNow
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	store := NewMemoryReplayStore(&MemoryReplayConfig{Now: clock})
	v := dpopValidator(t, "ES256", DPoPAllowed, &Config{Now: clock, DPoP: DPoPConfig{ReplayStore: store}})
	proof := c.proof(token, nil, nil)
	if _, err := v.Authenticate(context.Background(), dpopCred(token, proof)); err != nil {
		t.Fatalf("first use: %v", err)
	}
	wantProof := func(err, reason error) {
		t.Helper()
		if !errors.Is(err, ErrInvalidToken) || !errors.Is(err, reason) || AsError(err).Code() != CodeInvalidDPoPProof {
			t.Fatalf("Authenticate = %v, want invalid_dpop_proof %v", err, reason)
		}
	}
	_, err := v.Authenticate(context.Background(), dpopCred(token, proof))
	wantProof(err, ErrDPoPReplayed)
	mu.Lock()
	now = testNow.Add(DefaultDPoPProofWindow + DefaultClockSkew)
	mu.Unlock()
	_, err = v.Authenticate(context.Background(), dpopCred(token, proof))
	wantProof(err, ErrDPoPReplayed) // last instant of the window: still remembered
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	_, err = v.Authenticate(context.Background(), dpopCred(token, proof))
	wantProof(err, ErrDPoPTime)
	if replayed, _ := store.Use(context.Background(), "probe:x", now.Add(time.Minute)); replayed {
		t.Fatal("a fresh key reported as replayed")
	}

	closed := dpopValidator(t, "ES256", DPoPAllowed, &Config{DPoP: DPoPConfig{ReplayStore: failingStore{}}})
	_, err = closed.Authenticate(context.Background(), dpopCred(token, c.proof(token, nil, nil)))
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrReplayUnavailable) || Status(err) != 503 {
		t.Fatalf("failing store: %v, want 503 ErrReplayUnavailable", err)
	}
	open := dpopValidator(t, "ES256", DPoPAllowed, &Config{DPoP: DPoPConfig{ReplayStore: failingStore{}, AllowReplayStoreFailure: true}})
	if _, err := open.Authenticate(context.Background(), dpopCred(token, c.proof(token, nil, nil))); err != nil {
		t.Fatalf("failing store, fail open: %v", err)
	}
}

// TestDPoPProofOnceUnderConcurrency sends one proof from 1,000 goroutines
// at once: exactly one is accepted, every other refused as replayed.
func TestDPoPProofOnceUnderConcurrency(t *testing.T) {
	tk := keyFor(t, "ES256")
	c := newDPoPClient(t, "ES256")
	token := c.boundToken(tk)
	v := dpopValidator(t, "ES256", DPoPAllowed, nil)
	proof := c.proof(token, nil, nil)
	var ok, replayed, other atomic.Int64
	var start, done sync.WaitGroup
	start.Add(1)
	for range 1000 {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			_, err := v.Authenticate(context.Background(), dpopCred(token, proof))
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrDPoPReplayed):
				replayed.Add(1)
			default:
				other.Add(1)
			}
		}()
	}
	start.Done()
	done.Wait()
	if ok.Load() != 1 || replayed.Load() != 999 || other.Load() != 0 {
		t.Fatalf("accepted %d, replayed %d, other %d; want 1, 999, 0", ok.Load(), replayed.Load(), other.Load())
	}
}
