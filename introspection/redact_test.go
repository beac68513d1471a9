package introspection_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
)

// formatVerbs are the verbs a log line or error might use.
var formatVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}

// TestSecretsNeverPrint formats every client authentication, an
// introspector holding each, and a validator and issuer holding one, under
// every verb: no client secret, bearer token or private key appears, in
// clear or in the encodings fmt uses (hex, decimal).
func TestSecretsNeverPrint(t *testing.T) {
	const secret, token = "s3cr3t-Qw9", "bearer-Zx7-token"
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkj, err := introspection.PrivateKeyJWT(testClientID, priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := priv.D.Bytes()
	secrets := []string{secret, token, base64.StdEncoding.EncodeToString([]byte(testClientID + ":" + secret)),
		priv.D.String(), fmt.Sprintf("%x", d), fmt.Sprintf("%X", d), strings.Trim(fmt.Sprint(d), "[]"),
		fmt.Sprintf("%x", secret), fmt.Sprintf("%x", token)}
	auths := map[string]introspection.ClientAuth{
		"client_secret_basic": introspection.ClientSecretBasic(testClientID, secret),
		"client_secret_post":  introspection.ClientSecretPost(testClientID, secret),
		"bearer":              introspection.BearerToken(token),
		"private_key_jwt":     pkj,
	}
	for name, auth := range auths {
		in, err := introspection.New("https://as.example.test/introspect", auth, nil)
		if err != nil {
			t.Fatal(err)
		}
		iss := middleware.Issuer{URL: "https://as.example.test", Audiences: []string{apiAudience}, Introspector: in}
		v, err := middleware.NewValidator(iss, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, verb := range formatVerbs {
			for what, val := range map[string]any{"auth": auth, "introspector": in, "*introspector": *in, "issuer": iss, "validator": v} {
				out := fmt.Sprintf(verb, val)
				for _, s := range secrets {
					if strings.Contains(out, s) {
						t.Errorf("%s: %s of the %s = %q, which holds a secret (%q)", name, verb, what, out, s)
					}
				}
			}
		}
		if out := fmt.Sprint(in); !strings.Contains(out, name) || !strings.Contains(out, "as.example.test") {
			t.Errorf("%s: introspector prints as %q, want its endpoint and method", name, out)
		}
	}
}
