package introspection

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/rsguard/rsguard/middleware"
)

// FuzzParseResponse checks that parsing an introspection response never
// panics, classifies every input as active, inactive or malformed, and never
// accepts a document that encoding/json rejects or that does not say
// "active": true.
func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{
		`{"active":true}`,
		`{"active":false}`,
		`{"active":true,"scope":"a b","exp":1750000000,"aud":["x","y"],"cnf":{"jkt":"abc"}}`,
		`{"active":"true"}`,
		`{"active":true,"active":false}`,
		`{}`,
		`[]`,
		`{"active":true}x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := parseResponse(body, "")
		var ref map[string]any
		refErr := json.Unmarshal(body, &ref)
		switch {
		case err == nil:
			if c == nil {
				t.Fatalf("parseResponse(%q) = nil, nil", body)
			}
			if refErr != nil || !json.Valid(body) {
				t.Fatalf("parseResponse(%q) accepted what encoding/json rejects: %v", body, refErr)
			}
			if ref["active"] != true {
				t.Fatalf("parseResponse(%q) accepted, but encoding/json reads active = %v", body, ref["active"])
			}
		case errors.Is(err, middleware.ErrInactive):
			if !errors.Is(err, middleware.ErrInvalidToken) || c != nil {
				t.Fatalf("parseResponse(%q) = %v, %v; inactive must be invalid_token without claims", body, c, err)
			}
			if refErr != nil || ref["active"] != false {
				t.Fatalf("parseResponse(%q) said inactive, but encoding/json reads %v, %v", body, ref["active"], refErr)
			}
		default:
			if !errors.Is(err, middleware.ErrUnavailable) || !errors.Is(err, ErrMalformedResponse) || c != nil {
				t.Fatalf("parseResponse(%q) = %v, %v; want unavailable with ErrMalformedResponse", body, c, err)
			}
		}
	})
}
