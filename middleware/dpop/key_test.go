package dpop_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/rsguard/rsguard/internal/jose"
	"github.com/rsguard/rsguard/middleware/dpop"
)

func TestNewKey(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	k, err := dpop.NewKey(p384, "")
	if err != nil || k.Algorithm() != "ES384" {
		t.Fatalf("NewKey(P-384, \"\") = %v, %v, want ES384", k, err)
	}
	if want, _ := jose.Thumbprint(p384.Public()); k.Thumbprint() != want {
		t.Errorf("Thumbprint = %s, want %s", k.Thumbprint(), want)
	}
	for _, alg := range []string{"ES256", "RS256", "HS256", "none"} {
		if k, err := dpop.NewKey(p384, alg); err == nil {
			t.Errorf("NewKey(P-384, %s) = %v, want an error", alg, k)
		}
	}
	if _, err := dpop.NewKey(nil, ""); err == nil {
		t.Error("NewKey(nil) succeeded")
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if got := fmt.Sprintf(f, k); !strings.Contains(got, k.Thumbprint()) || strings.Contains(got, p384.D.String()) {
			t.Errorf("Sprintf(%s) = %s", f, got)
		}
	}
}

func TestSignRefusesBadClaims(t *testing.T) {
	k := newKey(t, "ES256")
	for _, c := range []dpop.Claims{
		{Method: "GET", URI: "/relative"},
		{Method: "GET", URI: "mailto:a@b"},
		{Method: "", URI: "https://a.example/"},
		{Method: "GET", URI: "://"},
	} {
		if p, err := k.Sign(c); err == nil {
			t.Errorf("Sign(%+v) = %s, want an error", c, p)
		}
	}
}

// TestTransportConcurrent: one Transport shared by many goroutines, against
// the guard with nonces on, while the nonce rotates: every call succeeds,
// each proof is sent once (the api fails the test on a repeated proof).
func TestTransportConcurrent(t *testing.T) {
	as := newAS(t, true)
	a := newAPI(t, as)
	tr := &dpop.Transport{Key: newKey(t, "ES256"), Now: a.clock.now}
	client := &http.Client{Transport: tr}
	_, body := tokenRequest(t, client, as)
	tr.Token = dpop.StaticToken(body["access_token"].(string))
	const goroutines, calls = 32, 8
	var wg sync.WaitGroup
	errs := make(chan string, goroutines*calls)
	for g := range goroutines {
		wg.Go(func() {
			for i := range calls {
				if g == 0 && i == calls/2 {
					a.clock.add(2 * a.nonceStep()) // outdate the nonce under everyone, within the proof window
				}
				status, got := call(t, client, "GET", a.URL+"/c", "")
				if status != http.StatusOK {
					errs <- fmt.Sprintf("goroutine %d call %d: %d %s", g, i, status, got)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if hits := a.hits.Load(); hits > goroutines*calls*2 || hits == goroutines*calls {
		t.Errorf("%d requests for %d calls: want some retries, at most one each", hits, goroutines*calls)
	}
}

// TestSecretsNotFormatted: neither the private key nor the token shows in
// any formatting of a Transport.
func TestSecretsNotFormatted(t *testing.T) {
	k := newKey(t, "ES256")
	tr := &dpop.Transport{Key: k, Token: dpop.StaticToken("tok-SECRET-123")}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		got := fmt.Sprintf(f, tr)
		if strings.Contains(got, "SECRET") || strings.Contains(got, fmt.Sprintf("%x", "tok-SECRET-123")) {
			t.Errorf("Sprintf(%s, transport) shows the token: %s", f, got)
		}
	}
}
