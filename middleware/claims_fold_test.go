package middleware

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestParseClaimsCaseTwins checks that a member whose name equals a
// registered claim's under case folding, but not exactly, is refused.
// encoding/json matches struct fields that way (Unicode simple folding, last
// member wins), so [Claims.Decode] into a struct with `json:"sub"` would read
// "Sub" while the validator checked "sub".
func TestParseClaimsCaseTwins(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
	}{
		{"Sub", `{"iss":"a","sub":"alice","Sub":"admin"}`},
		{"SUB before", `{"SUB":"admin","iss":"a","sub":"alice"}`},
		{"AUD", `{"iss":"a","aud":"api","AUD":"other"}`},
		{"Iss", `{"iss":"a","Iss":"b"}`},
		{"Exp", `{"iss":"a","exp":1,"Exp":99999999999}`},
		{"Scope", `{"iss":"a","scope":"read","Scope":"admin"}`},
		{"Client_ID", `{"iss":"a","client_id":"c","Client_ID":"d"}`},
		{"long s", `{"iss":"a","sub":"alice","ſub":"admin"}`},
		{"escaped long s", `{"iss":"a","sub":"alice","\u017fub":"admin"}`},
		{"twin alone", `{"iss":"a","SUB":"admin"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseClaims([]byte(tt.doc), "")
			if !errors.Is(err, ErrMalformed) || !errors.Is(err, ErrInvalidToken) {
				t.Errorf("ParseClaims(%s) = %v, want %v", tt.doc, err, ErrMalformed)
			}
		})
	}
	// The premise: encoding/json does read the twin into a `json:"sub"` field.
	var v struct {
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal([]byte(`{"sub":"alice","ſub":"admin"}`), &v); err != nil || v.Sub != "admin" {
		t.Fatalf("encoding/json read sub = %q, %v; the premise of this test no longer holds", v.Sub, err)
	}
	// Unrelated names, and names merely sharing a prefix, are fine.
	for _, doc := range []string{
		`{"iss":"a","subject":"x","Audience":"y","ISSUER":"z","scopes":"w"}`,
		`{"iss":"a","":"x","s":1,"İss":"z"}`,
	} {
		if _, err := ParseClaims([]byte(doc), ""); err != nil {
			t.Errorf("ParseClaims(%s) = %v, want nil", doc, err)
		}
	}
}

// TestParseClaimsScopeClaimCaseTwin checks the same for a configured scope
// claim, which is not registered: "Permissions" beside "permissions".
func TestParseClaimsScopeClaimCaseTwin(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`{"permissions":["read"],"Permissions":["admin"]}`,
		`{"PERMISSIONS":["admin"],"permissions":["read"]}`,
		`{"PERMISSIONS":["admin"]}`,
	} {
		if _, err := ParseClaims([]byte(doc), "permissions"); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseClaims(%s, permissions) = %v, want %v", doc, err, ErrMalformed)
		}
	}
	// Nor when it is not the scope claim: no member has a case twin.
	doc := `{"permissions":["read"],"Permissions":["admin"]}`
	if _, err := ParseClaims([]byte(doc), ""); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseClaims(%s) = %v, want %v (a case twin)", doc, err, ErrMalformed)
	}
}

// TestClaimsAudienceNoSpareCapacity checks that Audience has no spare
// capacity, so that handlers sharing cached claims and appending to it each
// get their own copy.
func TestClaimsAudienceNoSpareCapacity(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{`{"aud":"a"}`, `{"aud":["a","b","c"]}`, `{"aud":["a","b","c","d","e"]}`} {
		c, err := ParseClaims([]byte(doc), "")
		if err != nil {
			t.Fatalf("ParseClaims(%s) = %v", doc, err)
		}
		if len(c.Audience) != cap(c.Audience) {
			t.Errorf("ParseClaims(%s).Audience: len %d, cap %d; want no spare capacity", doc, len(c.Audience), cap(c.Audience))
		}
		x := append(c.Audience, "x")
		y := append(c.Audience, "y")
		if x[len(x)-1] != "x" || y[len(y)-1] != "y" {
			t.Errorf("appends to ParseClaims(%s).Audience share memory: %q, %q", doc, x, y)
		}
	}
}
