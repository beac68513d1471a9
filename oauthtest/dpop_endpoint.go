package oauthtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rsguard/rsguard/internal/jose"
)

// DPoPProofWindow is how far a DPoP proof's "iat" may be from the server's
// clock at the token endpoint (RFC 9449 §4.3 point 11); a proof's "jti" is
// remembered for twice as long, so a replay is refused as long as the proof
// could be accepted.
const DPoPProofWindow = time.Minute

// dpopAlgs are the proof algorithms the token endpoint accepts and
// advertises ("dpop_signing_alg_values_supported", RFC 9449 §5.1).
var dpopAlgs = []string{"ES256", "ES384", "ES512", "EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}

// dpopNonces holds the token endpoint's current DPoP nonce and the one
// before it, still accepted after a rotation (RFC 9449 §8).
type dpopNonces struct {
	mu                sync.Mutex
	current, previous string
}

func newDPoPNonces() *dpopNonces { return &dpopNonces{current: randomString(16)} }

// DPoPNonce returns the nonce the token endpoint currently gives out, or ""
// when [Config.RequireDPoPNonce] is off.
func (s *Server) DPoPNonce() string {
	if s.nonces == nil {
		return ""
	}
	s.nonces.mu.Lock()
	defer s.nonces.mu.Unlock()
	return s.nonces.current
}

// RotateDPoPNonce replaces the token endpoint's DPoP nonce with a new one
// and returns it. Proofs with the nonce before it are still accepted; older
// ones get "use_dpop_nonce". It panics when [Config.RequireDPoPNonce] is
// off.
func (s *Server) RotateDPoPNonce() string {
	if s.nonces == nil {
		panic("oauthtest: RotateDPoPNonce without Config.RequireDPoPNonce")
	}
	s.nonces.mu.Lock()
	defer s.nonces.mu.Unlock()
	s.nonces.previous, s.nonces.current = s.nonces.current, randomString(16)
	return s.nonces.current
}

func (n *dpopNonces) accepts(nonce string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return nonce != "" && (secretEqual(nonce, n.current) || (n.previous != "" && secretEqual(nonce, n.previous)))
}

// offerDPoPNonce sets the DPoP-Nonce header of a token endpoint answer
// (RFC 9449 §8.2) when nonces are required.
func (s *Server) offerDPoPNonce(w http.ResponseWriter) {
	if n := s.DPoPNonce(); n != "" {
		w.Header().Set("DPoP-Nonce", n)
	}
}

func invalidProof(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_dpop_proof", desc: desc}
}

// dpopProof is a decoded DPoP proof, not yet verified.
type dpopProof struct {
	header struct {
		Typ string          `json:"typ"`
		Alg string          `json:"alg"`
		JWK json.RawMessage `json:"jwk"`
	}
	claims struct {
		JTI   string `json:"jti"`
		HTM   string `json:"htm"`
		HTU   string `json:"htu"`
		Nonce string `json:"nonce"`
	}
	iat json.Number
}

// checkDPoPProof verifies the DPoP proof of a token request as RFC 9449
// §4.3 asks and returns the RFC 7638 thumbprint of its key; "" when the
// request carries no proof.
func (s *Server) checkDPoPProof(r *http.Request) (string, *oauthError) {
	vals := r.Header.Values("DPoP")
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", invalidProof("more than one DPoP header")
	}
	p, jkt, e := decodeProof(vals[0])
	if e != nil {
		return "", e
	}
	if e := s.checkProofClaims(r, p); e != nil {
		return "", e
	}
	iat, _ := numericDate(p.iat)
	if !s.useJTI("dpop\x00"+jkt+"\x00"+p.claims.JTI, iat.Add(2*DPoPProofWindow), s.now()) {
		return "", invalidProof("proof replayed")
	}
	return jkt, nil
}

// decodeProof checks a proof's form, type, algorithm, key and signature
// (RFC 9449 §4.3 points 2–7) and returns it with its key's thumbprint.
func decodeProof(proof string) (*dpopProof, string, *oauthError) {
	d, err := decodeJWS(proof)
	if err != nil {
		return nil, "", invalidProof("not a compact JWS")
	}
	var p dpopProof
	parts := strings.Split(proof, ".") // three, decodeJWS checked
	hdr, _ := jose.Decode(parts[0])
	body, _ := jose.Decode(parts[1])
	if json.Unmarshal(hdr, &p.header) != nil || json.Unmarshal(body, &p.claims) != nil {
		return nil, "", invalidProof("malformed header or claims")
	}
	p.iat, _ = d.claims["iat"].(json.Number) // a number, not a string holding one
	if p.header.Typ != "dpop+jwt" {
		return nil, "", invalidProof(`typ is not "dpop+jwt"`)
	}
	pub, err := jose.ParsePublicJWK(p.header.JWK)
	if err != nil {
		return nil, "", invalidProof("jwk is not a public key")
	}
	if !verify(p.header.Alg, pub, []byte(d.input), d.sig) || !jose.Fits(p.header.Alg, pub) {
		return nil, "", invalidProof("bad signature or algorithm")
	}
	jkt, err := jose.Thumbprint(pub)
	if err != nil {
		return nil, "", invalidProof("jwk is not a public key")
	}
	return &p, jkt, nil
}

// checkProofClaims checks "htm", "htu", "iat", "jti" and "nonce" (RFC 9449
// §4.3 points 8–11, §8).
func (s *Server) checkProofClaims(r *http.Request, p *dpopProof) *oauthError {
	c := &p.claims
	if c.HTM != r.Method {
		return invalidProof("htm does not match the request method")
	}
	if !sameTarget(c.HTU, s.TokenURL()) {
		return invalidProof("htu does not match the token endpoint")
	}
	iat, ok := numericDate(p.iat)
	if now := s.now(); !ok || iat.Before(now.Add(-DPoPProofWindow)) || iat.After(now.Add(DPoPProofWindow)) {
		return invalidProof("iat missing or outside the accepted window")
	}
	if c.JTI == "" {
		return invalidProof("missing jti")
	}
	if s.nonces != nil && !s.nonces.accepts(c.Nonce) {
		return &oauthError{status: http.StatusBadRequest, code: "use_dpop_nonce",
			desc: "authorization server requires nonce in DPoP proof"}
	}
	return nil
}

// sameTarget compares a proof's "htu" with an endpoint URL after RFC 3986
// §6.2.2–6.2.3 normalization of the scheme, host and default port, ignoring
// the query and fragment.
func sameTarget(htu, endpoint string) bool {
	a, err1 := url.Parse(htu)
	b, err2 := url.Parse(endpoint)
	if err1 != nil || err2 != nil {
		return false
	}
	return originKey(a) == originKey(b) && orDefault(a.EscapedPath(), "/") == orDefault(b.EscapedPath(), "/")
}

func originKey(u *url.URL) string {
	scheme, port := strings.ToLower(u.Scheme), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	return scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port
}
