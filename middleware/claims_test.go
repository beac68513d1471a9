package middleware

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidateTimeBoundaries(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "EdDSA")
	exp := testNow.Add(time.Hour)
	nbf := testNow.Add(-time.Hour)
	skew := DefaultClockSkew
	const ns = time.Nanosecond
	claims := map[string]any{"exp": exp.Unix(), "nbf": nbf.Unix(), "iat": nil}
	tests := []struct {
		name   string
		skew   time.Duration // Config.ClockSkew
		claims map[string]any
		now    time.Time
		reason error // nil: accepted
	}{
		{"exp-1ns+skew", 0, claims, exp.Add(skew - ns), nil},
		{"exp+skew", 0, claims, exp.Add(skew), ErrExpired},
		{"exp+skew+1s", 0, claims, exp.Add(skew + time.Second), ErrExpired},
		{"nbf-skew", 0, claims, nbf.Add(-skew), nil},
		{"nbf-skew-1ns", 0, claims, nbf.Add(-skew - ns), ErrNotYetValid},
		{"no skew, exp-1ns", -1, claims, exp.Add(-ns), nil},
		{"no skew, exp", -1, claims, exp, ErrExpired},
		{"no skew, nbf", -1, claims, nbf, nil},
		{"no skew, nbf-1ns", -1, claims, nbf.Add(-ns), ErrNotYetValid},
		{"2m skew, exp+2m-1ns", 2 * time.Minute, claims, exp.Add(2*time.Minute - ns), nil},
		{"2m skew, exp+2m", 2 * time.Minute, claims, exp.Add(2 * time.Minute), ErrExpired},
		{"2m skew, nbf-2m", 2 * time.Minute, claims, nbf.Add(-2 * time.Minute), nil},
		{"2m skew, nbf-2m-1ns", 2 * time.Minute, claims, nbf.Add(-2*time.Minute - ns), ErrNotYetValid},
		{"iat-skew", 0, map[string]any{"iat": testNow.Unix()}, testNow.Add(-skew), nil},
		{"iat-skew-1ns", 0, map[string]any{"iat": testNow.Unix()}, testNow.Add(-skew - ns), ErrNotYetValid},
		{"fractional exp, before", 0, map[string]any{"exp": float64(exp.Unix()) + 0.5}, exp.Add(skew + 500*time.Millisecond - ns), nil},
		{"fractional exp, at", 0, map[string]any{"exp": float64(exp.Unix()) + 0.5}, exp.Add(skew + 500*time.Millisecond), ErrExpired},
		{"exp in exponent form", 0, map[string]any{"exp": json.Number("1.8e9")}, time.Unix(1.8e9, 0).Add(skew), ErrExpired},
		{"exp 0", 0, map[string]any{"exp": 0}, testNow, ErrExpired},
		{"exp missing", 0, map[string]any{"exp": nil}, testNow, ErrMissingClaim},
		{"exp null", 0, map[string]any{"exp": json.RawMessage("null")}, testNow, ErrMalformed},
		{"exp a string", 0, map[string]any{"exp": "2030-01-01"}, testNow, ErrMalformed},
		{"exp negative", 0, map[string]any{"exp": -1}, testNow, ErrMalformed},
		{"exp after 9999", 0, map[string]any{"exp": int64(253402300800)}, testNow, ErrMalformed},
		{"exp at 9999-12-31T23:59:59", 0, map[string]any{"exp": int64(253402300799)}, testNow, nil},
		{"nbf far in the future", 0, map[string]any{"nbf": int64(253402300799)}, testNow, ErrNotYetValid},
		{"nbf a bool", 0, map[string]any{"nbf": true}, testNow, ErrMalformed},
		{"iat an array", 0, map[string]any{"iat": []int{1}}, testNow, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := k.mint(nil, tc.claims)
			for _, size := range []int{-1, 0} { // without and with the cache
				v := newTestValidator(t, []*testKey{k}, nil, &Config{ClockSkew: tc.skew, Now: fixedNow(tc.now), CacheSize: size})
				_, err := validate(v, tok)
				if tc.reason == nil {
					if err != nil {
						t.Fatalf("Validate(%v) at %v = %v, want nil", tc.claims, tc.now, err)
					}
					continue
				}
				wantRefused(t, tok, err, tc.reason)
			}
		})
	}
}

func TestValidateIssuerAudience(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "ES256")
	const other = "https://other.example.test"
	multi := func(is *Issuer) { is.Audiences = []string{other, testAudience} }
	tests := []struct {
		name   string
		edit   func(*Issuer)
		claims map[string]any
		reason error
	}{
		{"aud string", nil, map[string]any{"aud": testAudience}, nil},
		{"aud array of one", nil, map[string]any{"aud": []string{testAudience}}, nil},
		{"aud array, ours second", nil, map[string]any{"aud": []string{other, testAudience}}, nil},
		{"two accepted audiences", multi, map[string]any{"aud": other}, nil},
		{"aud missing", nil, map[string]any{"aud": nil}, ErrMissingClaim},
		{"aud empty array", nil, map[string]any{"aud": []string{}}, ErrMissingClaim},
		{"aud empty string", nil, map[string]any{"aud": ""}, ErrAudienceMismatch},
		{"aud other", nil, map[string]any{"aud": other}, ErrAudienceMismatch},
		{"aud other array", nil, map[string]any{"aud": []string{other, "x"}}, ErrAudienceMismatch},
		{"aud differs in case", nil, map[string]any{"aud": strings.ToUpper(testAudience)}, ErrAudienceMismatch},
		{"aud with trailing slash", nil, map[string]any{"aud": testAudience + "/"}, ErrAudienceMismatch},
		{"aud a number", nil, map[string]any{"aud": 1}, ErrMalformed},
		{"aud array with a number", nil, map[string]any{"aud": []any{testAudience, 1}}, ErrMalformed},
		{"aud nested array", nil, map[string]any{"aud": []any{[]string{testAudience}}}, ErrMalformed},
		{"iss missing", nil, map[string]any{"iss": nil}, ErrMissingClaim},
		{"iss empty", nil, map[string]any{"iss": ""}, ErrMissingClaim},
		{"iss other", nil, map[string]any{"iss": other}, ErrIssuerMismatch},
		{"iss with trailing slash", nil, map[string]any{"iss": testIssuer + "/"}, ErrIssuerMismatch},
		{"iss differs in case", nil, map[string]any{"iss": strings.ToUpper(testIssuer)}, ErrIssuerMismatch},
		{"iss an array", nil, map[string]any{"iss": []string{testIssuer}}, ErrMalformed},
		{"sub a number", nil, map[string]any{"sub": 7}, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestValidator(t, []*testKey{k}, tc.edit, nil)
			tok := k.mint(nil, tc.claims)
			_, err := validate(v, tok)
			if tc.reason == nil {
				if err != nil {
					t.Fatalf("Validate(%v) = %v, want nil", tc.claims, err)
				}
				return
			}
			wantRefused(t, tok, err, tc.reason)
		})
	}
}

func TestValidateScopes(t *testing.T) {
	t.Parallel()
	k := keyFor(t, "ES256")
	tests := []struct {
		name   string
		claim  string // Issuer.ScopeClaim
		claims map[string]any
		want   string // scopes, space-separated; "!" for ErrMalformed
	}{
		{"scope string", "", map[string]any{"scope": "a b c"}, "a b c"},
		{"scope duplicates", "", map[string]any{"scope": "a b a"}, "a b"},
		{"scope empty", "", map[string]any{"scope": ""}, ""},
		{"no scope", "", map[string]any{"scope": nil}, ""},
		{"scp string", "", map[string]any{"scope": nil, "scp": "x y"}, "x y"},
		{"scp array", "", map[string]any{"scope": nil, "scp": []string{"x", "y:z"}}, "x y:z"},
		{"scope wins over scp", "", map[string]any{"scope": "a", "scp": []string{"x"}}, "a"},
		{"scope array", "", map[string]any{"scope": []string{"a", "b"}}, "a b"},
		{"ScopeClaim scp ignores scope", "scp", map[string]any{"scope": "a", "scp": "x"}, "x"},
		{"ScopeClaim scope ignores scp", "scope", map[string]any{"scope": nil, "scp": "x"}, ""},
		{"ScopeClaim permissions array", "permissions", map[string]any{"permissions": []string{"read:users", "write:users"}}, "read:users write:users"},
		{"ScopeClaim permissions string", "permissions", map[string]any{"permissions": "read:users"}, "read:users"},
		{"ScopeClaim permissions absent", "permissions", map[string]any{}, ""},
		{"scope double space", "", map[string]any{"scope": "a  b"}, "!"},
		{"scope leading space", "", map[string]any{"scope": " a"}, "!"},
		{"scope with a quote", "", map[string]any{"scope": `a"b`}, "!"},
		{"scope with a tab", "", map[string]any{"scope": "a\tb"}, "!"},
		{"scope non-ASCII", "", map[string]any{"scope": "caf\u00e9"}, "!"},
		{"scope a number", "", map[string]any{"scope": 1}, "!"},
		{"scp with an empty item", "", map[string]any{"scope": nil, "scp": []string{"a", ""}}, "!"},
		{"scp item with a space", "", map[string]any{"scope": nil, "scp": []string{"a b"}}, "!"},
		{"scp an object", "", map[string]any{"scope": nil, "scp": map[string]any{}}, "!"},
		{"permissions nested", "permissions", map[string]any{"permissions": []any{[]string{"a"}}}, "!"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestValidator(t, []*testKey{k}, func(is *Issuer) { is.ScopeClaim = tc.claim }, nil)
			tok := k.mint(nil, tc.claims)
			c, err := validate(v, tok)
			if tc.want == "!" {
				wantRefused(t, tok, err, ErrMalformed)
				return
			}
			if err != nil {
				t.Fatalf("Validate(%v) = %v, want nil", tc.claims, err)
			}
			if got := c.Scopes.String(); got != tc.want {
				t.Fatalf("Validate(%v).Scopes = %q, want %q", tc.claims, got, tc.want)
			}
		})
	}
}

func TestParseClaims(t *testing.T) {
	t.Parallel()
	c, err := ParseClaims([]byte(`{
		"iss":"https://i","sub":"s","aud":["a","b"],"exp":1700000000.25,"iat":1600000000,
		"nbf":1600000001,"jti":"j","azp":"az","username":"u","token_type":"Bearer",
		"scope":"x y","\u0063ustom":{"n":[1,2]},"active":true}`), "")
	if err != nil {
		t.Fatalf("ParseClaims = %v, want nil", err)
	}
	want := Claims{
		Issuer: "https://i", Subject: "s", Audience: []string{"a", "b"},
		ExpiresAt: time.Unix(1700000000, 250_000_000), IssuedAt: time.Unix(1600000000, 0),
		NotBefore: time.Unix(1600000001, 0), ID: "j", ClientID: "az", Username: "u", TokenType: "Bearer",
	}
	if c.Issuer != want.Issuer || c.Subject != want.Subject || !slices.Equal(c.Audience, want.Audience) ||
		!c.ExpiresAt.Equal(want.ExpiresAt) || !c.IssuedAt.Equal(want.IssuedAt) || !c.NotBefore.Equal(want.NotBefore) ||
		c.ID != want.ID || c.ClientID != want.ClientID || c.Username != want.Username ||
		c.TokenType != want.TokenType || c.Scopes.String() != "x y" {
		t.Fatalf("ParseClaims = %+v, want %+v and scopes \"x y\"", *c, want)
	}
	if !c.HasAudience([]string{"z", "b"}) || c.HasAudience([]string{"z"}) || c.HasAudience(nil) {
		t.Errorf("HasAudience over %q: want true only for a list holding one of them", c.Audience)
	}
	var custom struct {
		N []int `json:"n"`
	}
	if ok, err := c.Claim("custom", &custom); !ok || err != nil || !slices.Equal(custom.N, []int{1, 2}) {
		t.Errorf("Claim(custom) = %v, %v, %v; want true, nil, [1 2]", ok, err, custom.N)
	}
	if ok, err := c.Claim("missing", &custom); ok || err != nil {
		t.Errorf("Claim(missing) = %v, %v; want false, nil", ok, err)
	}
	var n int
	if ok, err := c.Claim("sub", &n); !ok || err == nil {
		t.Errorf("Claim(sub) into an int = %v, %v; want true and an error", ok, err)
	}
}

func TestClaimsClientID(t *testing.T) {
	t.Parallel()
	for doc, want := range map[string]string{
		`{"client_id":"c"}`:           "c",
		`{"azp":"a"}`:                 "a",
		`{"client_id":"c","azp":"a"}`: "c",
		`{"azp":"a","client_id":"c"}`: "c",
		`{"client_id":"","azp":"a"}`:  "a",
		`{}`:                          "",
	} {
		c, err := ParseClaims([]byte(doc), "")
		if err != nil || c.ClientID != want {
			t.Errorf("ParseClaims(%s).ClientID = %q, %v; want %q", doc, c.ClientID, err, want)
		}
	}
}

func TestClaimsRawAndDecode(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"sub":"s","roles":["admin"],"tenant":{"id":7}}`)
	c, err := ParseClaims(doc, "")
	if err != nil {
		t.Fatal(err)
	}
	copy(doc, `{"sub":"X"`) // ParseClaims copied its input
	if c.Subject != "s" {
		t.Fatalf("Subject after the input changed = %q, want %q", c.Subject, "s")
	}
	raw := c.Raw()
	if string(raw) != `{"sub":"s","roles":["admin"],"tenant":{"id":7}}` {
		t.Fatalf("Raw() = %s", raw)
	}
	raw[2] = 'X' // Raw returns a copy
	if c.Raw()[2] != 's' || c.Subject != "s" {
		t.Fatalf("changing Raw's result changed the claims: %s", c.Raw())
	}
	var mine struct {
		Sub    string   `json:"sub"`
		Roles  []string `json:"roles"`
		Tenant struct {
			ID int `json:"id"`
		} `json:"tenant"`
	}
	if err := c.Decode(&mine); err != nil || mine.Sub != "s" || !slices.Equal(mine.Roles, []string{"admin"}) || mine.Tenant.ID != 7 {
		t.Fatalf("Decode = %v, %+v", err, mine)
	}
	if c.HasAudience([]string{"x", ""}) {
		t.Fatal("HasAudience = true for claims without an audience")
	}
}

func TestParseClaimsDuplicates(t *testing.T) {
	t.Parallel()
	registered := map[string]string{
		"iss": `"a"`, "sub": `"a"`, "aud": `"a"`, "exp": `1`, "iat": `1`, "nbf": `1`, "jti": `"a"`,
		"client_id": `"a"`, "azp": `"a"`, "username": `"a"`, "token_type": `"a"`, "scope": `"a"`, "scp": `"a"`,
	}
	for name, v := range registered {
		for _, doc := range []string{
			`{"` + name + `":` + v + `,"` + name + `":` + v + `}`,
			`{"` + name + `":` + v + `,"x":1,"` + name + `":` + v + `}`,
			`{"` + name + `":` + v + `,"\u` + hex4(name[0]) + name[1:] + `":` + v + `}`, // escaped twin
		} {
			_, err := ParseClaims([]byte(doc), "")
			if !errors.Is(err, ErrMalformed) || !errors.Is(err, ErrInvalidToken) {
				t.Errorf("ParseClaims(%s) = %v, want %v", doc, err, ErrMalformed)
			}
		}
	}
	// Every other member is refused twice too, and so is the configured
	// scope claim: one reading of every member (issue 11), where
	// encoding/json would keep the last and Claim the first.
	for _, doc := range []string{
		`{"x":1,"x":2,"iss":"a"}`,
		`{"permissions":["a"],"permissions":["b"]}`,
		`{"role":"user","ROLE":"admin"}`,
		`{"role":"user","\u0072ole":"admin"}`,
		`{"kelvin":1,"\u212aelvin":2}`,
	} {
		for _, claim := range []string{"", "permissions"} {
			if _, err := ParseClaims([]byte(doc), claim); !errors.Is(err, ErrMalformed) {
				t.Errorf("ParseClaims(%s, %q) = %v, want %v", doc, claim, err, ErrMalformed)
			}
		}
	}
}

func hex4(c byte) string {
	const digits = "0123456789abcdef"
	return "00" + string(digits[c>>4]) + string(digits[c&15])
}

func TestParseClaimsErrors(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		``, `null`, `[]`, `"x"`, `{"iss":1}`, `{"aud":{}}`, `{"aud":[null]}`, `{"exp":"1"}`, `{"exp":-1}`,
		`{"exp":1e20}`, `{"exp":null}`, `{"iat":true}`, `{"scope":1}`, `{"scope":"a  b"}`, `{"scp":[1]}`,
		`{"jti":null}`, `{"sub":"a"`, `{"sub":"a"} {}`, `{"token_type":["Bearer"]}`,
	} {
		_, err := ParseClaims([]byte(doc), "")
		if !errors.Is(err, ErrMalformed) || !errors.Is(err, ErrInvalidToken) {
			t.Errorf("ParseClaims(%s) = %v, want %v", doc, err, ErrMalformed)
		}
		if err != nil && doc != "" && strings.Contains(err.Error(), doc) {
			t.Errorf("ParseClaims(%s) error %q quotes its input", doc, err)
		}
	}
}
