package middleware

import (
	"fmt"
	"strings"
	"testing"
)

// manyMembers is more member names than the scanner's name set holds
// without allocating (24), so that its map takes over.
const manyMembers = 100

// TestClaimsManyMembers: the duplicate check holds past the inline capacity.
func TestClaimsManyMembers(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{"role":"user"`)
	for i := range manyMembers {
		fmt.Fprintf(&b, `,"m%d":%d`, i, i)
	}
	if _, err := ParseClaims([]byte(b.String()+`}`), ""); err != nil {
		t.Fatalf("ParseClaims(%d distinct members) = %v", manyMembers+1, err)
	}
	if _, err := ParseClaims([]byte(b.String()+`,"ROLE":"admin"}`), ""); err == nil {
		t.Fatal(`ParseClaims accepted "ROLE" after "role" and many members`)
	}
}

// TestClaimAgreesWithDecode: the example of issue 11, and a name asked in
// another case than the member's, read alike by Claim and Decode.
func TestClaimAgreesWithDecode(t *testing.T) {
	t.Parallel()
	if _, err := ParseClaims([]byte(`{"role":"user","ROLE":"admin"}`), ""); err == nil {
		t.Fatal(`ParseClaims accepted "role" and "ROLE"`)
	}
	c, err := ParseClaims([]byte(`{"Role":"admin"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	var claim string
	ok, err := c.Claim("role", &claim)
	var s struct {
		Role string `json:"role"`
	}
	if derr := c.Decode(&s); !ok || err != nil || derr != nil || claim != s.Role || claim != "admin" {
		t.Fatalf("Claim(role) = %v %q %v; Decode reads %q %v; want both admin", ok, claim, err, s.Role, derr)
	}
}

// BenchmarkParseClaims parses a typical access token's claims (RFC 9068
// §2.2 members and a few custom ones): the duplicate-member check must keep
// it allocation-free apart from the Claims itself.
func BenchmarkParseClaims(b *testing.B) {
	doc := []byte(`{"iss":"https://issuer.example.test","sub":"user-1234","aud":"https://api.example.test",` +
		`"exp":1767326645,"iat":1767323045,"nbf":1767323045,"jti":"9f3c1a","client_id":"web-app",` +
		`"scope":"orders:read orders:write","auth_time":1767323000,"acr":"1","roles":["admin","user"],"tenant":"t1"}`)
	buf := make([]byte, len(doc))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, doc)
		if _, _, err := parseClaims(new(Claims), buf); err != nil {
			b.Fatal(err)
		}
	}
}
