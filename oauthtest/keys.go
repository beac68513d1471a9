package oauthtest

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/rsguard/rsguard/internal/jose"
)

// RSAKeyBits is the modulus size of generated RSA keys (RFC 7518 §3.3 asks
// for at least 2048).
const RSAKeyBits = jose.RSABits

// signingKey is one of the server's key pairs.
type signingKey struct {
	kid  string
	alg  string
	priv crypto.Signer
	jwk  map[string]string // public JWK members
}

// keyRing holds every key the server ever made (so that tokens can still be
// signed with a removed key) and the published ones in publication order.
type keyRing struct {
	all       map[string]*signingKey
	published []*signingKey
	current   *signingKey
}

// insert publishes k and makes it the current key.
func (kr *keyRing) insert(k *signingKey) {
	if kr.all == nil {
		kr.all = make(map[string]*signingKey)
	}
	kr.all[k.kid] = k
	kr.published = append(kr.published, k)
	kr.current = k
}

func (kr *keyRing) remove(kid string) {
	kr.published = slices.DeleteFunc(kr.published, func(k *signingKey) bool { return k.kid == kid })
}

// publishedKey returns the published key kid, or nil.
func (kr *keyRing) publishedKey(kid string) *signingKey {
	for _, k := range kr.published {
		if k.kid == kid {
			return k
		}
	}
	return nil
}

// newSigningKey generates a key pair for a JWS algorithm and names it by its
// RFC 7638 thumbprint.
func newSigningKey(alg string) (*signingKey, error) {
	priv, err := jose.GenerateKey(alg)
	if err != nil {
		return nil, err
	}
	members, err := jose.PublicJWK(priv.Public())
	if err != nil {
		return nil, err
	}
	thumb, err := json.Marshal(members) // sorted keys, no whitespace (RFC 7638 §3)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(thumb)
	return &signingKey{kid: b64(sum[:]), alg: alg, priv: priv, jwk: members}, nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// publicJWK returns the key's public JWK with "kid", "alg" and "use".
func (k *signingKey) publicJWK() map[string]string {
	m := make(map[string]string, len(k.jwk)+3)
	for n, v := range k.jwk {
		m[n] = v
	}
	m["kid"], m["alg"], m["use"] = k.kid, k.alg, "sig"
	return m
}

// JWKS returns the JWK Set document (RFC 7517 §5) the server currently
// publishes, without going through HTTP or its faults.
func (s *Server) JWKS() []byte {
	s.mu.Lock()
	keys := make([]map[string]string, 0, len(s.keys.published))
	for _, k := range s.keys.published {
		keys = append(keys, k.publicJWK())
	}
	s.mu.Unlock()
	doc, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err) // strings only: cannot happen
	}
	return doc
}

// KeyID returns the "kid" of the current signing key.
func (s *Server) KeyID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys.current.kid
}

// PublicKey returns the public key kid (published or removed), or nil if the
// server never had such a key.
func (s *Server) PublicKey(kid string) crypto.PublicKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.keys.all[kid]; k != nil {
		return k.priv.Public()
	}
	return nil
}

// RotateKey generates a new key for the JWS algorithm alg ("" means
// [Config.Algorithm]), publishes it and makes it the current signing key. The
// old keys stay published until [Server.RemoveKey]. It returns the new key's
// "kid" (its RFC 7638 thumbprint) and panics on an unsupported algorithm.
func (s *Server) RotateKey(alg string) (kid string) {
	if alg == "" {
		alg = s.alg
	}
	k, err := newSigningKey(alg) // slow for RSA: not under the lock
	if err != nil {
		panic(fmt.Sprintf("oauthtest: RotateKey: %v", err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys.insert(k)
	return k.kid
}

// RemoveKey stops publishing the key kid in the JWK Set; tokens signed with it
// then no longer introspect as active. Removing the current key does not
// change which key signs new tokens. An unknown kid is ignored.
func (s *Server) RemoveKey(kid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys.remove(kid)
}

func (s *Server) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	writeRaw(w, http.StatusOK, s.JWKS(), "")
}
