package dpop_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/dpop"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// A service gets a DPoP-bound token from its authorization server and calls
// an API that requires DPoP with server nonces; the Transport signs every
// proof and answers both servers' nonce requests by itself.
func ExampleTransport() {
	as := oauthtest.NewServer(&oauthtest.Config{ // stands in for your authorization server
		RequireDPoPNonce: true,
		Clients:          []oauthtest.Client{{ID: "svc", Secret: "s3cret", Scopes: []string{"orders:read"}}},
	})
	defer as.Close()
	api := exampleAPI(as) // an API behind rsguard, DPoP and nonces required
	defer api.Close()

	key, err := dpop.GenerateKey("ES256") // keep it for the token's lifetime
	if err != nil {
		log.Fatal(err)
	}
	tr := &dpop.Transport{Key: key}
	client := &http.Client{Transport: tr}

	form := url.Values{"grant_type": {"client_credentials"}}
	req, _ := http.NewRequest("POST", as.TokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("svc", "s3cret")
	resp, err := client.Do(req) // 400 use_dpop_nonce, retried with the nonce
	if err != nil {
		log.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	fmt.Println("token type:", tok.TokenType)

	tr.Token = dpop.StaticToken(tok.AccessToken)
	resp, err = client.Get(api.URL + "/orders") // 401 use_dpop_nonce, retried
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// token type: DPoP
	// 200 orders of svc
}

func exampleAPI(as *oauthtest.Server) *httptest.Server {
	keys, _ := jwks.ParseStatic(as.JWKS())
	nonces, _ := middleware.NewNonceKey([]byte("a 32-byte secret shared by all replicas"), 0)
	v, err := middleware.NewValidator(middleware.Issuer{
		URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}, Keys: keys, DPoP: middleware.DPoPRequired,
	}, &middleware.Config{DPoP: middleware.DPoPConfig{Nonce: nonces}})
	if err != nil {
		log.Fatal(err)
	}
	g, _ := middleware.NewGuard(v, nil)
	return httptest.NewServer(g.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := middleware.FromContext(r.Context())
		fmt.Fprintf(w, "orders of %s", c.Subject)
	})))
}
