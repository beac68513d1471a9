package middleware

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/internal/discovery"
	"github.com/rsguard/rsguard/middleware/jwks"
)

var formatVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}

// TestSecretsNeverPrint: an HMAC key, a key set holding it, and credentials
// carrying a token and a DPoP proof format without the secret under every
// verb, in clear or in the encodings fmt uses.
func TestSecretsNeverPrint(t *testing.T) {
	t.Parallel()
	secret := []byte("hmac-secret-0123456789-abcdefghij-KLMNOP")
	tk := mustTestKey("mac", "HS256", "HS256", secret)
	k := tk.key
	ks, err := jwks.NewStatic(k)
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
	rk, err := jwks.NewRemote(context.Background(), "", &jwks.Config{URL: "https://as.example.test/jwks", Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rk.Close()
	const token, proof = "tok-Qz8-secret", "dpop-Wv5-proof"
	cred := Credentials{Authorization: []string{"Bearer " + token}, Token: token, DPoP: []string{proof}, Method: "GET", URI: "https://api.example.test/x"}
	secrets := []string{string(secret), fmt.Sprintf("%x", secret), fmt.Sprintf("%X", secret), strings.Trim(fmt.Sprint([]byte(secret)), "[]"),
		token, proof, fmt.Sprintf("%x", token), fmt.Sprintf("%x", proof)}
	for _, verb := range formatVerbs {
		for what, v := range map[string]any{"key": k, "key set": ks, "credentials": cred, "*credentials": &cred, "validator": v, "remote keys": rk,
			"issuer": Issuer{URL: testIssuer, Audiences: []string{testAudience}, Keys: ks}} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("%s of the %s = %q, which holds a secret (%q)", verb, what, out, s)
				}
			}
		}
	}
	if out := fmt.Sprint(k); !strings.Contains(out, `"mac"`) || !strings.Contains(out, "HS256") {
		t.Errorf("key prints as %q, want its kid and alg", out)
	}
	if out := fmt.Sprintf("%p", k); !strings.HasPrefix(out, "0x") {
		t.Errorf("%%p of a key = %q, want its address", out)
	}
}

// TestURLUserinfoRefused: a JWKS URL or issuer with user information is
// refused when the key source is made, and the error does not quote the
// password; so is a discovered jwks_uri carrying one.
func TestURLUserinfoRefused(t *testing.T) {
	t.Parallel()
	const password = "pw-Hx3-secret"
	for _, u := range []string{
		"https://user:" + password + "@as.example.test/jwks",
		"https://" + password + "@as.example.test/jwks",
		"http://user:" + password + "@127.0.0.1/jwks",
		"https://user:" + password + "@as.example.test/%zz",
	} {
		_, err := jwks.NewRemote(context.Background(), "", &jwks.Config{URL: u, Lazy: true})
		if err == nil || strings.Contains(err.Error(), password) {
			t.Errorf("jwks.NewRemote(JWKSURL %q) = %v, want an error without the password", u, err)
		}
		_, err = jwks.NewRemote(context.Background(), u, &jwks.Config{Lazy: true})
		if err == nil || strings.Contains(err.Error(), password) {
			t.Errorf("jwks.NewRemote(issuer %q) = %v, want an error without the password", u, err)
		}
		_, err = discovery.Discover(context.Background(), nil, u, false)
		if !errors.Is(err, jwks.ErrDiscovery) || strings.Contains(err.Error(), password) {
			t.Errorf("discovery.Discover(%q) = %v, want %v without the password", u, err, jwks.ErrDiscovery)
		}
	}
}
