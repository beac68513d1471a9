package middleware_test

import (
	"fmt"
	"net/netip"
	"os"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// ExampleNormalizeHTU shows the form in which a DPoP proof's "htu" and the
// request URI are compared (RFC 9449 §4.3, RFC 3986 §6.2.2–6.2.3).
func ExampleNormalizeHTU() {
	for _, u := range []string{
		"HTTPS://API.Example.COM:443/orders/./%7e1?page=2",
		"http://api.example.com:8080/a/../b",
	} {
		n, err := middleware.NormalizeHTU(u)
		fmt.Println(n, err)
	}
	// Output:
	// https://api.example.com/orders/~1 <nil>
	// http://api.example.com:8080/b <nil>
}

// Example_dPoP configures an issuer whose DPoP-bound tokens (RFC 9449) are
// accepted beside unbound bearer tokens, with server nonces shared by every
// replica through the secret, behind a TLS-terminating proxy.
func Example_dPoP() {
	keys, _ := jwks.ParseStatic([]byte(`{"keys":[]}`))
	nonce, err := middleware.NewNonceKey([]byte(os.Getenv("DPOP_NONCE_SECRET")), 0)
	if err != nil {
		fmt.Println("no nonce secret:", err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{
		URL:       "https://issuer.example.com",
		Audiences: []string{"https://api.example.com"},
		Keys:      keys,
		DPoP:      middleware.DPoPAllowed,
	}, &middleware.Config{DPoP: middleware.DPoPConfig{Nonce: nonce}})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = middleware.NewGuard(v, &middleware.GuardConfig{
		ExternalURL:    "https://api.example.com",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	})
	fmt.Println(v.DPoPAlgorithms()[0], err)
}
