package introspection_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
)

// TestIntrospectedMembersPresentButEmpty: through a real endpoint, an
// active answer whose "aud" names none of the API's audiences (a string, an
// array, an empty array), or whose "iss" or "token_type" is present but
// empty, is refused; absent members keep their documented reading.
func TestIntrospectedMembersPresentButEmpty(t *testing.T) {
	e := newEndpoint(t)
	in := newIntrospector(t, e, nil)
	issuer := e.URL
	v, err := middleware.NewValidator(middleware.Issuer{URL: issuer, Audiences: []string{apiAudience}, Introspector: in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body string
		want       error // nil: accepted
	}{
		{"all absent", `{"active":true}`, nil},
		{"all present", `{"active":true,"iss":"` + issuer + `","aud":["x","` + apiAudience + `"],"token_type":"Bearer"}`, nil},
		{"aud another API", `{"active":true,"aud":"https://other.example.test"}`, middleware.ErrAudienceMismatch},
		{"aud array of other APIs", `{"active":true,"aud":["https://other.example.test"]}`, middleware.ErrAudienceMismatch},
		{"aud empty array", `{"active":true,"aud":[]}`, middleware.ErrAudienceMismatch},
		{"aud empty string", `{"active":true,"aud":""}`, middleware.ErrAudienceMismatch},
		{"iss empty", `{"active":true,"iss":""}`, middleware.ErrIssuerMismatch},
		{"token_type empty", `{"active":true,"token_type":""}`, middleware.ErrWrongType},
		{"duplicate member", `{"active":true,"role":"a","Role":"b"}`, introspection.ErrMalformedResponse},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := fmt.Sprint("tok-", i)
			e.set(tok, tt.body)
			_, err := v.Validate(context.Background(), tok)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("Validate(%s) = %v, want nil", tt.body, err)
			case tt.want == introspection.ErrMalformedResponse:
				if !errors.Is(err, tt.want) || !errors.Is(err, middleware.ErrUnavailable) {
					t.Fatalf("Validate(%s) = %v, want %v (unavailable)", tt.body, err, tt.want)
				}
			case tt.want != nil && (!errors.Is(err, middleware.ErrInvalidToken) || !errors.Is(err, tt.want)):
				t.Fatalf("Validate(%s) = %v, want %v", tt.body, err, tt.want)
			}
		})
	}
}
