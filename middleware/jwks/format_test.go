package jwks_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/internal/discovery"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// TestFormatNeverPrintsSecret: an HMAC key, a key set holding it and a
// remote key source format without the secret under every verb, in clear
// or in the encodings fmt uses.
func TestFormatNeverPrintsSecret(t *testing.T) {
	t.Parallel()
	secret := []byte("hmac-secret-0123456789-abcdefghij-KLMNOP")
	k, err := jwks.NewSymmetricKey("mac", "HS256", secret)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := jwks.NewStatic(k)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := jwks.NewRemote(context.Background(), "", &jwks.Config{URL: "https://as.example.test/jwks", Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rk.Close()
	secrets := []string{string(secret), fmt.Sprintf("%x", secret), fmt.Sprintf("%X", secret), strings.Trim(fmt.Sprint(secret), "[]")}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for what, v := range map[string]any{"key": k, "key set": ks, "remote keys": rk, "keys": []*jwks.Key{k}} {
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
	if out := fmt.Sprint(rk); !strings.Contains(out, "https://as.example.test/jwks") {
		t.Errorf("remote keys print as %q, want the JWKS URL", out)
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
