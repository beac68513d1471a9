package middleware

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/middleware/jwks"
)

var formatVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}

// TestSecretsNeverPrint: a validator holding an HMAC key (and a token it
// verified with it), an issuer with the key set, and credentials carrying a
// token and a DPoP proof format without the secret under every verb, in
// clear or in the encodings fmt uses. The keys themselves: jwks's
// TestFormatNeverPrintsSecret.
func TestSecretsNeverPrint(t *testing.T) {
	t.Parallel()
	secret := []byte("hmac-secret-0123456789-abcdefghij-KLMNOP")
	tk := mustTestKey("mac", "HS256", "HS256", secret)
	ks, err := jwks.NewStatic(tk.key)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewValidator(Issuer{URL: testIssuer, Audiences: []string{testAudience}, Keys: ks, Algorithms: []string{"HS256"}},
		&Config{Now: fixedNow(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := validate(v, tk.token()); err != nil || v.cache.len() != 1 {
		t.Fatalf("Validate(HS256) = %v, cache %d; want a cached token", err, v.cache.len())
	}
	const token, proof = "tok-Qz8-secret", "dpop-Wv5-proof"
	cred := Credentials{Authorization: []string{"Bearer " + token}, Token: token, DPoP: []string{proof}, Method: "GET", URI: "https://api.example.test/x"}
	secrets := []string{string(secret), fmt.Sprintf("%x", secret), fmt.Sprintf("%X", secret), strings.Trim(fmt.Sprint([]byte(secret)), "[]"),
		token, proof, fmt.Sprintf("%x", token), fmt.Sprintf("%x", proof)}
	for _, verb := range formatVerbs {
		for what, v := range map[string]any{"credentials": cred, "*credentials": &cred, "validator": v,
			"issuer": Issuer{URL: testIssuer, Audiences: []string{testAudience}, Keys: ks}} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("%s of the %s = %q, which holds a secret (%q)", verb, what, out, s)
				}
			}
		}
	}
}
