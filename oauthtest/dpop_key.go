package oauthtest

import (
	"crypto"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rsguard/rsguard/internal/jose"
	"github.com/rsguard/rsguard/middleware/dpop"
)

// DPoPKey is a client's DPoP proof key (RFC 9449 §4), for tests: it makes
// well-formed proofs with [DPoPKey.NewProof] and malformed ones with
// [DPoPKey.MakeProof]. The embedded [dpop.Key] gives its thumbprint (the
// "jkt" to bind tokens to, see [TokenOptions.JKT]) and can drive a
// [dpop.Transport].
type DPoPKey struct {
	*dpop.Key
	signer crypto.Signer
}

// NewDPoPKey generates a proof key for a JWS algorithm: ES256, ES384, ES512,
// EdDSA, RS256 … PS512. It panics on any other algorithm.
func NewDPoPKey(alg string) *DPoPKey {
	s, err := jose.GenerateKey(alg)
	if err != nil {
		panic(fmt.Sprintf("oauthtest: NewDPoPKey: %v", err))
	}
	k, err := dpop.NewKey(s, alg)
	if err != nil {
		panic(fmt.Sprintf("oauthtest: NewDPoPKey: %v", err))
	}
	return &DPoPKey{Key: k, signer: s}
}

// NewProof returns a valid proof for a request with method to uri, issued
// now with a fresh "jti"; with "ath" for token unless it is "" (a token
// request), and "nonce" unless nonce is "". It panics on a URI that is not
// absolute.
func (k *DPoPKey) NewProof(method, uri, token, nonce string) string {
	p, err := k.Proof(method, uri, token, nonce)
	if err != nil {
		panic(fmt.Sprintf("oauthtest: NewProof: %v", err))
	}
	return p
}

// ProofOptions describe a proof to make with [DPoPKey.MakeProof]; the zero
// value of each field gives the value of a valid proof.
type ProofOptions struct {
	// Method is "htm". Default "GET".
	Method string
	// URI is the target URI; "htu" is it without query and fragment (the
	// URI is used as is when it does not parse).
	URI string
	// Token, when not "", is hashed into "ath".
	Token string
	// Nonce, when not "", is "nonce".
	Nonce string
	// IssuedAt is "iat". Default time.Now().
	IssuedAt time.Time
	// JTI is "jti". Default a fresh random value.
	JTI string
	// Header holds extra or overriding JOSE header parameters ("typ",
	// "alg", "jwk", "kid" …); a nil value deletes one. With "alg" "none"
	// the signature is left empty; any other "alg" changes the header only.
	Header map[string]any
	// Claims are extra or overriding claims; a nil value deletes one.
	Claims map[string]any
}

// MakeProof returns a proof as opts describe, valid or not, signed with the
// key's algorithm. It panics only on values that cannot be encoded as JSON.
func (k *DPoPKey) MakeProof(opts ProofOptions) string {
	htu, err := dpop.TargetURI(opts.URI)
	if err != nil {
		htu = opts.URI
	}
	iat := opts.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	c := map[string]any{
		"htm": orDefault(opts.Method, "GET"),
		"htu": htu,
		"iat": iat.Unix(),
		"jti": orDefault(opts.JTI, randomString(16)),
	}
	if opts.Token != "" {
		c["ath"] = dpop.AccessTokenHash(opts.Token)
	}
	if opts.Nonce != "" {
		c["nonce"] = opts.Nonce
	}
	override(c, opts.Claims)
	h := map[string]any{"typ": dpop.ProofType, "alg": k.Algorithm(), "jwk": k.JWK()}
	override(h, opts.Header)
	payload, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprintf("oauthtest: MakeProof: %v", err))
	}
	if h["alg"] == "none" {
		hb, err := json.Marshal(h)
		if err != nil {
			panic(fmt.Sprintf("oauthtest: MakeProof: %v", err))
		}
		return b64(hb) + "." + b64(payload) + "."
	}
	p, err := jose.Sign(h, payload, k.signer, k.Algorithm())
	if err != nil {
		panic(fmt.Sprintf("oauthtest: MakeProof: %v", err))
	}
	return p
}

// JWK returns a copy of the public JWK that proofs carry in their "jwk"
// header (RFC 9449 §4.2), to alter for negative tests.
func (k *DPoPKey) JWK() map[string]any {
	m, err := jose.PublicJWK(k.Public())
	if err != nil {
		panic(err) // the key was generated here: cannot happen
	}
	out := make(map[string]any, len(m))
	for n, v := range m {
		out[n] = v
	}
	return out
}

// Signer returns the private key, for libraries that sign proofs
// themselves.
func (k *DPoPKey) Signer() crypto.Signer { return k.signer }
