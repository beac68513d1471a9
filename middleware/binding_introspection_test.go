package middleware

import (
	"context"
	"testing"
)

// jsonIntrospector answers every token with the claims of one RFC 7662
// response, parsed as the introspection package parses it.
type jsonIntrospector struct{ resp string }

func (j jsonIntrospector) Introspect(context.Context, string) (*Claims, error) {
	return ParseClaims([]byte(j.resp), "")
}

// TestIntrospectedBinding checks issue 11's rule on the introspection path:
// an answer with "cnf", or with "token_type" DPoP (RFC 9449 §6.2), is a bound
// token, refused as sender-constrained without its proof or certificate and
// accepted with it.
func TestIntrospectedBinding(t *testing.T) {
	c := newDPoPClient(t, "ES256")
	const opaque = "opaque-token-1234567890"
	base := `{"active":true,"iss":"` + testIssuer + `","aud":"` + testAudience + `","sub":"user-1","exp":` + itoa(testNow.Unix()+3600)
	cert, _ := newClientCert(t, "client")
	tests := []struct {
		name   string
		resp   string
		cred   func() *Credentials
		reason error // nil: accepted
	}{
		{"dpop_type_and_jkt_as_bearer", base + `,"token_type":"DPoP","cnf":{"jkt":"` + c.jkt + `"}}`,
			func() *Credentials { return &Credentials{Authorization: []string{"Bearer " + opaque}} }, ErrSenderConstrained},
		{"dpop_type_and_jkt_with_proof", base + `,"token_type":"DPoP","cnf":{"jkt":"` + c.jkt + `"}}`,
			func() *Credentials { return dpopCred(opaque, c.proof(opaque, nil, nil)) }, nil},
		{"dpop_type_without_cnf_as_bearer", base + `,"token_type":"DPoP"}`,
			func() *Credentials { return &Credentials{Authorization: []string{"Bearer " + opaque}} }, ErrSenderConstrained},
		{"dpop_type_without_cnf_as_dpop", base + `,"token_type":"DPoP"}`,
			func() *Credentials { return dpopCred(opaque, c.proof(opaque, nil, nil)) }, ErrSenderConstrained},
		{"cnf_without_token_type_as_bearer", base + `,"cnf":{"jkt":"` + c.jkt + `"}}`,
			func() *Credentials { return &Credentials{Authorization: []string{"Bearer " + opaque}} }, ErrSenderConstrained},
		{"x5t_without_certificate", base + `,"token_type":"Bearer","cnf":{"x5t#S256":"` + CertificateThumbprint(cert) + `"}}`,
			func() *Credentials { return &Credentials{Authorization: []string{"Bearer " + opaque}} }, ErrSenderConstrained},
		{"x5t_with_certificate", base + `,"token_type":"Bearer","cnf":{"x5t#S256":"` + CertificateThumbprint(cert) + `"}}`,
			func() *Credentials {
				return &Credentials{Authorization: []string{"Bearer " + opaque}, PeerCertificate: cert}
			}, nil},
		{"unknown_cnf_member", base + `,"cnf":{"kid":"k"}}`,
			func() *Credentials { return &Credentials{Authorization: []string{"Bearer " + opaque}} }, ErrSenderConstrained},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewValidator(Issuer{URL: testIssuer, Audiences: []string{testAudience}, Introspector: jsonIntrospector{tt.resp}, DPoP: DPoPAllowed},
				&Config{Now: fixedNow(testNow)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Authenticate(context.Background(), tt.cred())
			if tt.reason == nil {
				if err != nil {
					t.Fatalf("Authenticate = %v, want accepted", err)
				}
				return
			}
			wantRefused(t, opaque, err, tt.reason)
		})
	}
}

func itoa(n int64) string { return string(mustJSON(n)) }
