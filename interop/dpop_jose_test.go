package interop_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/rsguard/rsguard/middleware/dpop"
	"github.com/rsguard/rsguard/oauthtest"
)

// joseProof is a DPoP proof (RFC 9449 §4.2) made with go-jose alone: its
// JWS, embedded JWK and "typ" are go-jose's, not rsguard's.
func joseProof(t *testing.T, key crypto.Signer, alg jose.SignatureAlgorithm, method, uri, token, nonce string) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	jti := make([]byte, 12)
	rand.Read(jti)
	sum := sha256.Sum256([]byte(token))
	claims := map[string]any{
		"jti": base64.RawURLEncoding.EncodeToString(jti), "htm": method, "htu": uri,
		"iat": time.Now().Unix(), "ath": base64.RawURLEncoding.EncodeToString(sum[:]),
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	payload, _ := json.Marshal(claims)
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	compact, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return compact
}

// TestGoJoseDPoPProofs: proofs signed by go-jose for each algorithm family,
// for tokens bound to the go-jose thumbprint of the key, are accepted by
// rsguard's guard with nonces on; the same proof a second time is refused.
func TestGoJoseDPoPProofs(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	keys := []struct {
		alg jose.SignatureAlgorithm
		key crypto.Signer
	}{{jose.ES384, ec}, {jose.EdDSA, ed}, {jose.RS256, rs}, {jose.PS256, rs}}
	as := newDPoPAS(t, false)
	api := newDPoPAPI(t, as, false)
	for _, k := range keys {
		t.Run(string(k.alg), func(t *testing.T) {
			tp, err := (&jose.JSONWebKey{Key: k.key.Public()}).Thumbprint(crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			token := as.Token(oauthtest.TokenOptions{JKT: base64.RawURLEncoding.EncodeToString(tp)})
			send := func(proof string) *http.Response {
				req, _ := http.NewRequest("GET", api.URL+"/r", nil)
				req.Header.Set("Authorization", "DPoP "+token)
				req.Header.Set("DPoP", proof)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				readAll(t, resp)
				return resp
			}
			first := send(joseProof(t, k.key, k.alg, "GET", api.URL+"/r", token, ""))
			nonce := first.Header.Get("DPoP-Nonce")
			if first.StatusCode != http.StatusUnauthorized || nonce == "" ||
				!strings.Contains(first.Header.Get("WWW-Authenticate"), "use_dpop_nonce") {
				t.Fatalf("proof without nonce: %d %q, want 401 use_dpop_nonce", first.StatusCode, first.Header.Get("WWW-Authenticate"))
			}
			proof := joseProof(t, k.key, k.alg, "GET", api.URL+"/r", token, nonce)
			if r := send(proof); r.StatusCode != http.StatusOK {
				t.Errorf("go-jose proof with nonce: %d %q, want 200", r.StatusCode, r.Header.Get("WWW-Authenticate"))
			}
			if r := send(proof); r.StatusCode != http.StatusUnauthorized ||
				!strings.Contains(r.Header.Get("WWW-Authenticate"), "invalid_dpop_proof") {
				t.Errorf("replayed proof: %d %q, want 401 invalid_dpop_proof", r.StatusCode, r.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// TestOAuth2OverDPoPTransport: golang.org/x/oauth2's client credentials
// source fetches the token through a dpop.Transport (which answers the token
// endpoint's use_dpop_nonce), and oauth2.Transport presents it with the
// token type the server gave, "DPoP", over the same dpop.Transport, which
// then adds "ath" and handles the resource server's nonce.
func TestOAuth2OverDPoPTransport(t *testing.T) {
	as := newDPoPAS(t, false)
	api := newDPoPAPI(t, as, false)
	key, err := dpop.GenerateKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	tr := &dpop.Transport{Key: key}
	ctx := context.WithValue(testContext(t), oauth2.HTTPClient, &http.Client{Transport: tr})
	cc := clientcredentials.Config{ClientID: dpopClientID, ClientSecret: dpopSecret, TokenURL: as.TokenURL(),
		AuthStyle: oauth2.AuthStyleInHeader}
	client := &http.Client{Transport: &oauth2.Transport{Source: cc.TokenSource(ctx), Base: tr}}
	for i, wantHits := range []int64{2, 1} {
		before := api.hits.Load()
		resp, err := client.Post(api.URL+"/orders", "text/plain", strings.NewReader("o"))
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, resp); resp.StatusCode != http.StatusOK || got != "POST "+dpopClientID+" o" {
			t.Errorf("call %d: %d %q", i, resp.StatusCode, got)
		}
		if hits := api.hits.Load() - before; hits != wantHits {
			t.Errorf("call %d: %d requests, want %d", i, hits, wantHits)
		}
	}
	if n := as.Requests(oauthtest.EndpointToken); n != 2 {
		t.Errorf("token endpoint saw %d requests, want 2 (use_dpop_nonce, then the token)", n)
	}
}
