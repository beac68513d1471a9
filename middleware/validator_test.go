package middleware

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware/jwks"
)

func TestValidateEveryAlgorithm(t *testing.T) {
	t.Parallel()
	for _, alg := range allAlgs() {
		t.Run(alg, func(t *testing.T) {
			k := keyFor(t, alg)
			v := newTestValidator(t, []*testKey{k}, issuerFor(alg), &Config{CacheSize: -1})
			tok := k.token()
			c, err := validate(v, tok)
			if err != nil {
				t.Fatalf("Validate(%s token) = %v, want nil", alg, err)
			}
			want := Claims{
				Issuer: testIssuer, Subject: "user-1", Audience: []string{testAudience},
				ExpiresAt: testNow.Add(time.Hour), IssuedAt: testNow, ID: "jti-1", ClientID: "client-1",
			}
			if c.Issuer != want.Issuer || c.Subject != want.Subject || !slices.Equal(c.Audience, want.Audience) ||
				!c.ExpiresAt.Equal(want.ExpiresAt) || !c.IssuedAt.Equal(want.IssuedAt) || !c.NotBefore.IsZero() ||
				c.ID != want.ID || c.ClientID != want.ClientID || c.Scopes.String() != "read write" {
				t.Fatalf("Validate(%s token) = %+v, want %+v with scopes \"read write\"", alg, *c, want)
			}
			// Without kid, from a set of one key whose JWK names no alg.
			bare := mustTestKey("", alg, "", k.signer)
			v = newTestValidator(t, []*testKey{bare}, issuerFor(alg), nil)
			tok = bare.mint(map[string]any{"kid": nil}, nil)
			if _, err := validate(v, tok); err != nil {
				t.Fatalf("Validate(%s token without kid, one key) = %v, want nil", alg, err)
			}
		})
	}
}

// TestValidateAllKeys accepts every algorithm's token from one key set
// holding every key, with the default issuer settings plus HMAC.
func TestValidateAllKeys(t *testing.T) {
	t.Parallel()
	var keys []*testKey
	for _, alg := range allAlgs() {
		keys = append(keys, keyFor(t, alg))
	}
	v := newTestValidator(t, keys, func(is *Issuer) { is.Algorithms = allAlgs() }, nil)
	def := newTestValidator(t, keys, nil, nil)
	for _, k := range keys {
		tok := k.token()
		if _, err := validate(v, tok); err != nil {
			t.Errorf("Validate(%s token) = %v, want nil", k.alg, err)
		}
		_, err := validate(def, tok)
		if k.alg[0] == 'H' {
			wantRefused(t, tok, err, ErrDisallowedAlg) // HMAC only when named
		} else if err != nil {
			t.Errorf("Validate(%s token) with default algorithms = %v, want nil", k.alg, err)
		}
	}
}

func TestValidateFormat(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "ES256")
	v := newTestValidator(t, []*testKey{k}, nil, nil)
	tok := k.token()
	parts := strings.Split(tok, ".")
	h, p, s := parts[0], parts[1], parts[2]
	sigBytes, _ := base64.RawURLEncoding.DecodeString(s)
	// A header of odd length, so that it has unused bits and room for "=".
	oddHdr := b64s([]byte(`{"alg":"ES256","typ":"at+jwt","kid":"kid-ES256"}`))
	if len(oddHdr)%4 == 0 {
		oddHdr = b64s([]byte(`{"alg":"ES256","typ":"at+jwt","kid":"kid-ES256" }`))
	}
	if _, err := validate(v, k.signParts(oddHdr, p)); err != nil {
		t.Fatalf("Validate(token with odd header) = %v, want nil", err)
	}
	oddPay := b64s(mustJSON(merge(baseClaims(), map[string]any{"x": "~~~"})))
	if len(oddPay)%4 == 0 {
		oddPay = b64s(mustJSON(merge(baseClaims(), map[string]any{"x": "~~"})))
	}
	stdPay := b64s(mustJSON(merge(baseClaims(), map[string]any{"x": "~~~???>>>~~~???>>>"})))
	if !strings.ContainsAny(stdPay, "-_") {
		t.Fatalf("payload %q has no '-' or '_' to turn into '+' or '/'", stdPay)
	}
	stdPay = strings.NewReplacer("-", "+", "_", "/").Replace(stdPay)
	tests := []struct {
		name   string
		token  string
		reason error
	}{
		{"JWE five parts", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a2V5.aXY.Y2lwaGVy.dGFn", ErrUnsupportedFormat},
		{"five JWS-like parts", tok + ".e30.e30", ErrUnsupportedFormat},
		{"two parts", h + "." + p, ErrMalformed},
		{"four parts", tok + ".e30", ErrMalformed},
		{"six parts", tok + ".e30.e30.e30", ErrMalformed},
		{"one part", h, ErrMalformed},
		{"empty header", "." + p + "." + s, ErrMalformed},
		{"empty payload", h + ".." + s, ErrMalformed},
		{"stripped signature", h + "." + p + ".", ErrMalformed},
		{"only dots", "..", ErrMalformed},
		{"padded header", k.signParts(oddHdr+strings.Repeat("=", 4-len(oddHdr)%4), p), ErrMalformed},
		{"padded payload", k.signParts(h, oddPay+strings.Repeat("=", 4-len(oddPay)%4)), ErrMalformed},
		{"padded signature", tok + "==", ErrMalformed},
		{"non-canonical header bits", k.signParts(nonCanonical(t, oddHdr), p), ErrMalformed},
		{"non-canonical payload bits", k.signParts(h, nonCanonical(t, oddPay)), ErrMalformed},
		{"non-canonical signature bits", h + "." + p + "." + nonCanonical(t, s), ErrMalformed},
		{"standard alphabet payload", k.signParts(h, stdPay), ErrMalformed},
		{"standard alphabet signature", h + "." + p + "." + strings.NewReplacer("-", "+", "_", "/").Replace(s) + "+/", ErrMalformed},
		{"CRLF in header", h[:5] + "\r\n" + h[5:] + "." + p + "." + s, ErrMalformed},
		{"LF in payload", h + "." + p[:7] + "\n" + p[7:] + "." + s, ErrMalformed},
		{"CR in signature", h + "." + p + "." + s[:9] + "\r" + s[9:], ErrMalformed},
		{"CRLF at the end", tok + "\r\n", ErrMalformed},
		{"space in signature", h + "." + p + "." + s[:9] + " " + s[9:], ErrMalformed},
		{"header not JSON", k.signParts(b64s([]byte("alg=ES256")), p), ErrMalformed},
		{"header a JSON array", k.signParts(b64s([]byte(`["ES256"]`)), p), ErrMalformed},
		{"header with trailing data", k.signParts(b64s([]byte(`{"alg":"ES256","typ":"at+jwt"}x`)), p), ErrMalformed},
		{"header without alg", k.signParts(b64s([]byte(`{"typ":"at+jwt","kid":"kid-ES256"}`)), p), ErrMalformed},
		{"alg not a string", k.signParts(b64s([]byte(`{"alg":["ES256"],"typ":"at+jwt"}`)), p), ErrMalformed},
		{"kid not a string", k.signParts(b64s([]byte(`{"alg":"ES256","typ":"at+jwt","kid":1}`)), p), ErrMalformed},
		{"JWE header in three parts", k.mint(map[string]any{"enc": "A256GCM"}, nil), ErrMalformed},
		{"payload not JSON", k.signParts(h, b64s([]byte("sub=user-1"))), ErrMalformed},
		{"payload a JSON array", k.signParts(h, b64s([]byte(`[{"iss":"x"}]`))), ErrMalformed},
		{"payload empty object", k.signParts(h, b64s([]byte(`{}`))), ErrMissingClaim},
		{"payload with trailing data", k.signParts(h, p+b64s([]byte("{}"))), ErrMalformed},
		{"truncated signature", h + "." + p + "." + b64s(sigBytes[:len(sigBytes)-1]), ErrBadSignature},
		{"signature cut mid-character", tok[:len(tok)-1], ErrMalformed},
		{"signature with a byte more", h + "." + p + "." + b64s(append(sigBytes, 0)), ErrBadSignature},
		{"signature of another token", k.mint(nil, map[string]any{"sub": "user-2"})[:len(h)+len(p)+1] + "." + s, ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := validate(v, tc.token)
			wantRefused(t, tc.token, err, tc.reason)
		})
	}
}

func TestValidateEmptyToken(t *testing.T) {
	t.Parallel()
	v := newTestValidator(t, []*testKey{keyFor(t, "ES256")}, nil, nil)
	_, err := validate(v, "")
	if !errors.Is(err, ErrMissingToken) || errors.Is(err, ErrInvalidToken) {
		t.Fatalf("Validate(\"\") = %v, want %v only", err, ErrMissingToken)
	}
}

// padTo mints a token of k whose length is exactly n, or n-1 when n cannot
// be reached, by growing a claim.
func padTo(tb testing.TB, k *testKey, n int) string {
	tb.Helper()
	base := len(k.token())
	for extra := (n - base) * 3 / 4; extra > 0; extra-- {
		tok := k.mint(nil, map[string]any{"pad": strings.Repeat("a", extra)})
		if len(tok) == n || len(tok) == n-1 {
			return tok
		}
		if len(tok) < n-1 {
			break
		}
	}
	tb.Fatalf("padTo(%d): no padding gives that length", n)
	return ""
}

func TestValidateMaxTokenSize(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "EdDSA")
	tok := k.token()
	tests := []struct {
		name   string
		max    int
		token  string
		reason error // nil: accepted
	}{
		{"at the limit", len(tok), tok, nil},
		{"one byte over", len(tok) - 1, tok, ErrTokenTooLarge},
		{"default limit", 0, padTo(t, k, DefaultMaxTokenSize), nil},
		{"over the default limit", 0, padTo(t, k, DefaultMaxTokenSize+3), ErrTokenTooLarge},
		{"huge garbage", 0, strings.Repeat("A", 1<<20), ErrTokenTooLarge},
		{"huge JWS shape", 0, "eyJhbGciOiJFZERTQSJ9." + strings.Repeat("A", 1<<20) + ".AA", ErrTokenTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestValidator(t, []*testKey{k}, nil, &Config{MaxTokenSize: tc.max})
			_, err := validate(v, tc.token)
			if tc.reason == nil {
				if err != nil {
					t.Fatalf("Validate(%d-byte token), limit %d = %v, want nil", len(tc.token), tc.max, err)
				}
				return
			}
			wantRefused(t, tc.token, err, tc.reason)
		})
	}
}

func TestValidateType(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "EdDSA")
	const absent = "\x00absent"
	tests := []struct {
		types  []string
		typ    string
		accept bool
	}{
		{nil, "at+jwt", true},
		{nil, "AT+JWT", true},
		{nil, "application/at+jwt", true},
		{nil, "Application/At+Jwt", true},
		{nil, "JWT", false},
		{nil, "jwt", false},
		{nil, absent, false},
		{nil, "", false},
		{nil, "at+jwt ", false},
		{nil, "application/", false},
		{nil, "application/jwt", false},
		{nil, "application/okta-internal-at+jwt", false},
		{nil, "at+jwt+jwt", false},
		{CompatTypes(), "at+jwt", true},
		{CompatTypes(), "application/at+jwt", true},
		{CompatTypes(), "JWT", true},
		{CompatTypes(), "jwt", true},
		{CompatTypes(), absent, true},
		{CompatTypes(), "application/okta-internal-at+jwt", false},
		{CompatTypes(), "JOSE", false},
		{[]string{""}, absent, true},
		{[]string{""}, "at+jwt", false},
		{[]string{""}, "JWT", false},
		{[]string{""}, "", false},
		{[]string{"JWT"}, "JWT", true},
		{[]string{"JWT"}, absent, false},
		{[]string{"JWT"}, "at+jwt", false},
		{[]string{"application/okta-internal-at+jwt"}, "application/okta-internal-at+jwt", true},
		{[]string{"application/okta-internal-at+jwt"}, "okta-internal-at+jwt", true},
		{[]string{"application/okta-internal-at+jwt"}, "at+jwt", false},
		{[]string{"application/okta-internal-at+jwt"}, absent, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q/%q", tc.types, tc.typ), func(t *testing.T) {
			v := newTestValidator(t, []*testKey{k}, func(is *Issuer) { is.Types = tc.types }, nil)
			var typ any = tc.typ
			if tc.typ == absent {
				typ = nil
			}
			tok := k.mint(map[string]any{"typ": typ}, nil)
			_, err := validate(v, tok)
			if tc.accept {
				if err != nil {
					t.Fatalf("Validate(typ %q) with Types %q = %v, want nil", tc.typ, tc.types, err)
				}
				return
			}
			wantRefused(t, tok, err, ErrWrongType)
		})
	}
}

func TestValidateCritical(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "ES256")
	v := newTestValidator(t, []*testKey{k}, nil, nil)
	for _, crit := range []any{
		[]string{"exp"}, []string{"b64"}, []string{}, []string{"kid"}, "exp", nil,
	} {
		tok := k.mint(map[string]any{"crit": crit, "exp": 1}, nil)
		if crit == nil {
			tok = k.mintRaw([]byte(`{"alg":"ES256","typ":"at+jwt","kid":"kid-ES256","crit":null}`), mustJSON(baseClaims()))
		}
		_, err := validate(v, tok)
		wantRefused(t, tok, err, ErrUnknownCritical)
	}
}

// countingKeys is a key source that counts its lookups.
type countingKeys struct {
	jwks.Source
	n atomic.Int32
}

func (c *countingKeys) LookupKey(ctx context.Context, kid string) (*jwks.Key, error) {
	c.n.Add(1)
	return c.Source.LookupKey(ctx, kid)
}

func TestValidateMultiIssuer(t *testing.T) {
	t.Parallel()
	ka, kb := newTestKey(t, "a", "ES256", "ES256"), newTestKey(t, "b", "EdDSA", "EdDSA")
	sa, _ := jwks.NewStatic(ka.key)
	sb, _ := jwks.NewStatic(kb.key)
	ca, cb := &countingKeys{Source: sa}, &countingKeys{Source: sb}
	const issA, issB = "https://a.example.test", "https://b.example.test/tenant"
	v, err := NewMultiIssuerValidator([]Issuer{
		{URL: issA, Audiences: []string{testAudience}, Keys: ca, Algorithms: []string{"ES256"}},
		{URL: issB, Audiences: []string{"api-b"}, Keys: cb, Types: CompatTypes()},
	}, &Config{Now: fixedNow(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		token   string
		reason  error
		lookups int32 // key lookups, across both sources
	}{
		{"issuer a", ka.mint(nil, map[string]any{"iss": issA}), nil, 1},
		{"issuer b", kb.mint(map[string]any{"typ": "JWT"}, map[string]any{"iss": issB, "aud": "api-b"}), nil, 1},
		{"a's token for b's audience", ka.mint(nil, map[string]any{"iss": issA, "aud": "api-b"}), ErrAudienceMismatch, 1},
		{"b's key claiming issuer a", kb.mint(nil, map[string]any{"iss": issA}), ErrDisallowedAlg, 0},
		{"b's kid claiming issuer a", kb.mint(map[string]any{"alg": "ES256"}, map[string]any{"iss": issA}), ErrUnknownKey, 1},
		{"a's typ rules for a", ka.mint(map[string]any{"typ": "JWT"}, map[string]any{"iss": issA}), ErrWrongType, 0},
		{"unknown issuer", ka.mint(nil, map[string]any{"iss": "https://evil.example.test"}), ErrIssuerMismatch, 0},
		{"no issuer", ka.mint(nil, map[string]any{"iss": nil}), ErrMissingClaim, 0},
		{"issuer prefix", ka.mint(nil, map[string]any{"iss": "https://b.example.test"}), ErrIssuerMismatch, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := ca.n.Load() + cb.n.Load()
			_, err := validate(v, tc.token)
			if lookups := ca.n.Load() + cb.n.Load() - before; lookups != tc.lookups {
				t.Errorf("Validate(%s) made %d key lookups, want %d", tc.name, lookups, tc.lookups)
			}
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

func TestNewValidatorErrors(t *testing.T) {
	t.Parallel()
	src, _ := jwks.NewStatic(keyFor(t, "ES256").key)
	ok := Issuer{URL: testIssuer, Audiences: []string{testAudience}, Keys: src}
	edit := func(f func(*Issuer)) Issuer {
		is := ok
		f(&is)
		return is
	}
	tests := []struct {
		name    string
		issuers []Issuer
	}{
		{"no issuer", nil},
		{"empty URL", []Issuer{edit(func(is *Issuer) { is.URL = "" })}},
		{"no audience", []Issuer{edit(func(is *Issuer) { is.Audiences = nil })}},
		{"empty audience", []Issuer{edit(func(is *Issuer) { is.Audiences = []string{testAudience, ""} })}},
		{"no keys or introspector", []Issuer{edit(func(is *Issuer) { is.Keys = nil })}},
		{"alg none", []Issuer{edit(func(is *Issuer) { is.Algorithms = []string{"none"} })}},
		{"alg unknown", []Issuer{edit(func(is *Issuer) { is.Algorithms = []string{"RS256", "XS256"} })}},
		{"issuer twice", []Issuer{ok, ok}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewMultiIssuerValidator(tc.issuers, nil)
			if err == nil || v != nil {
				t.Fatalf("NewMultiIssuerValidator(%s) = %v, %v, want nil and an error", tc.name, v, err)
			}
			if !strings.HasPrefix(err.Error(), "middleware: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// lineBreakAt inserts br into the part-th part of the compact JWS tok, at
// offset at.
func lineBreakAt(tok string, part, at int, br string) string {
	parts := strings.Split(tok, ".")
	parts[part] = parts[part][:at] + br + parts[part][at:]
	return strings.Join(parts, ".")
}

// memIntrospector answers RFC 7662 introspection from a map of token to
// response JSON; "down" is unavailable, anything else inactive.
type memIntrospector struct {
	active map[string]string
	calls  atomic.Int32
}

func (m *memIntrospector) Introspect(_ context.Context, token string) (*Claims, error) {
	m.calls.Add(1)
	if token == "down" {
		return nil, Unavailable(ErrIntrospectionError, errors.New("connection refused"))
	}
	resp, ok := m.active[token]
	if !ok {
		return nil, InvalidToken(ErrInactive, nil)
	}
	return ParseClaims([]byte(resp), "")
}

func TestValidateHybrid(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "ES256")
	exp := testNow.Add(time.Hour).Unix()
	in := &memIntrospector{active: map[string]string{
		"opaque-ok":      fmt.Sprintf(`{"active":true,"scope":"a b","sub":"u","aud":%q,"exp":%d}`, testAudience, exp),
		"opaque-iss":     fmt.Sprintf(`{"active":true,"iss":%q,"aud":%q}`, testIssuer, testAudience),
		"opaque-noaud":   `{"active":true,"sub":"u"}`,
		"opaque-refresh": `{"active":true,"token_type":"refresh_token"}`,
		"opaque-bearer":  `{"active":true,"token_type":"Bearer"}`,
		"opaque-aud":     `{"active":true,"aud":"https://other.example.test"}`,
		"opaque-exp":     fmt.Sprintf(`{"active":true,"exp":%d}`, testNow.Add(-time.Hour).Unix()),
		"opaque-nbf":     fmt.Sprintf(`{"active":true,"nbf":%d}`, testNow.Add(time.Hour).Unix()),
		"opaque-other":   `{"active":true,"iss":"https://other.example.test"}`,
		"a.b.c.d.e~":     `{"active":true}`,
		"a.b":            `{"active":true}`,
	}}
	v := newTestValidator(t, []*testKey{k}, func(is *Issuer) { is.Introspector = in }, nil)
	tests := []struct {
		token      string
		reason     error // nil: accepted
		introspect bool  // the introspector is asked
	}{
		{"opaque-ok", nil, true},
		{"opaque-iss", nil, true},
		{"opaque-noaud", nil, true},
		{"opaque-bearer", nil, true},
		{"a.b.c.d.e~", nil, true},
		{"a.b", nil, true},
		{"opaque-unknown", ErrInactive, true},
		{"opaque-refresh", ErrWrongType, true},
		{"opaque-aud", ErrAudienceMismatch, true},
		{"opaque-exp", ErrExpired, true},
		{"opaque-nbf", ErrNotYetValid, true},
		{"opaque-other", ErrIssuerMismatch, true},
		{k.token(), nil, false},
		{k.mint(nil, map[string]any{"aud": "x"}), ErrAudienceMismatch, false},
		{k.mint(map[string]any{"crit": []string{"x"}}, nil), ErrUnknownCritical, false},
		{k.mint(map[string]any{"alg": "none"}, nil), ErrDisallowedAlg, false},
		// A compact JWE cannot be decrypted by a resource server: it is opaque,
		// so it goes to introspection (the fake introspector knows no such
		// token). Without an introspector it is ErrUnsupportedFormat (attack table).
		{"eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a2V5.aXY.Y2lwaGVy.dGFn", ErrInactive, true},
		// A line break in the header leaves no JWS header: opaque. One in the
		// payload or the signature of a token whose header is a JWS's is a
		// malformed JWS, refused without asking.
		{lineBreakAt(k.token(), 0, 5, "\r\n"), ErrInactive, true},
		{lineBreakAt(k.token(), 1, 7, "\n"), ErrMalformed, false},
		{lineBreakAt(k.token(), 2, 9, "\r"), ErrMalformed, false},
		{k.token() + "\r\n", ErrMalformed, false},
	}
	for _, tc := range tests {
		t.Run(tc.token[:min(len(tc.token), 20)], func(t *testing.T) {
			before := in.calls.Load()
			c, err := validate(v, tc.token)
			if asked := in.calls.Load() > before; asked != tc.introspect {
				t.Errorf("Validate(%.20q) asked the introspector: %v, want %v", tc.token, asked, tc.introspect)
			}
			if tc.reason != nil {
				wantRefused(t, tc.token, err, tc.reason)
				return
			}
			if err != nil {
				t.Fatalf("Validate(%.20q) = %v, want nil", tc.token, err)
			}
			if c.Issuer != testIssuer {
				t.Errorf("Validate(%.20q).Issuer = %q, want %q", tc.token, c.Issuer, testIssuer)
			}
		})
	}
	_, err := validate(v, "down")
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrIntrospectionError) || errors.Is(err, ErrInvalidToken) {
		t.Errorf("Validate(\"down\") = %v, want %v and not %v", err, ErrUnavailable, ErrInvalidToken)
	}
	// Without an introspector, an opaque token is malformed.
	plain := newTestValidator(t, []*testKey{k}, nil, nil)
	_, err = validate(plain, "opaque-ok")
	wantRefused(t, "opaque-ok", err, ErrMalformed)
}
