package redisstore_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// dpopKey is a DPoP client's proof key (ES256, RFC 9449 §4.2) and its
// RFC 7638 thumbprint, for "cnf"."jkt" (RFC 9449 §6.1).
type dpopKey struct {
	priv *ecdsa.PrivateKey
	jwk  map[string]string
	jkt  string
	seq  atomic.Int64
}

func newDPoPKey(t testing.TB) *dpopKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := priv.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	k := &dpopKey{priv: priv, jwk: map[string]string{
		"kty": "EC", "crv": "P-256", "x": b64(pub[1:33]), "y": b64(pub[33:]),
	}}
	// RFC 7638 §3: the required members in lexicographic order, no spaces.
	tp := fmt.Sprintf(`{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}`, k.jwk["x"], k.jwk["y"])
	sum := sha256.Sum256([]byte(tp))
	k.jkt = b64(sum[:])
	return k
}

// proof returns a new proof, with a "jti" of its own, for a request with
// method to uri presenting token.
func (k *dpopKey) proof(t testing.TB, method, uri, token string) string {
	t.Helper()
	ath := sha256.Sum256([]byte(token))
	hdr, _ := json.Marshal(map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": k.jwk})
	claims, _ := json.Marshal(map[string]any{
		"jti": fmt.Sprintf("%s-%d", k.jkt[:8], k.seq.Add(1)), "htm": method, "htu": uri,
		"iat": time.Now().Unix(), "ath": b64(ath[:]),
	})
	input := b64(hdr) + "." + b64(claims)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64(sig)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
