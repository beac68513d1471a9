package middleware

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"hash/maphash"
	"math/big"
	"strings"
	"sync"

	"github.com/rsguard/rsguard/internal/jose"
	"github.com/rsguard/rsguard/internal/jsonscan"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// RSA proof keys: clients pick their own keys, so the sizes are bounded to
// keep a proof's verification cost bounded (an RSA verification grows with
// the square of the modulus).
const (
	minProofRSABits = 2048
	maxProofRSABits = 4096
	maxProofJWK     = 2048 // bytes of the "jwk" header member
)

// proofKey is a parsed proof key, its RFC 7638 thumbprint and the algorithm
// of the proof header it came from.
type proofKey struct {
	key *jwks.Key
	jkt string
	alg jose.Alg
}

// proofKeyCache remembers the proof headers (as received, base64url) that
// passed every header check, with their parsed keys, so that a client's
// proofs after the first cost no header decoding, parsing or thumbprint:
// clients keep their DPoP key (RFC 9449 §2), so their headers repeat. It
// holds at most proofKeyShards*proofKeyShardCap headers of at most
// MaxDPoPProofSize bytes; a full shard drops an arbitrary one.
type proofKeyCache struct {
	seed   maphash.Seed
	shards [proofKeyShards]struct {
		mu sync.RWMutex
		m  map[string]*proofKey
	}
}

const (
	proofKeyShards   = 16
	proofKeyShardCap = 256
)

func newProofKeyCache() *proofKeyCache {
	c := &proofKeyCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*proofKey)
	}
	return c
}

// get returns the key of an encoded header that passed before, or nil.
func (c *proofKeyCache) get(hdr string) *proofKey {
	sh := &c.shards[maphash.String(c.seed, hdr)%proofKeyShards]
	sh.mu.RLock()
	pk := sh.m[hdr]
	sh.mu.RUnlock()
	return pk
}

// put remembers an encoded header that passed every header check.
func (c *proofKeyCache) put(hdr string, pk *proofKey) {
	sh := &c.shards[maphash.String(c.seed, hdr)%proofKeyShards]
	hdr = strings.Clone(hdr) // not the whole proof
	sh.mu.Lock()
	if len(sh.m) >= proofKeyShardCap {
		for k := range sh.m {
			delete(sh.m, k)
			break
		}
	}
	sh.m[hdr] = pk
	sh.mu.Unlock()
}

// jwkMembers are the members of a proof's public JWK that rsguard reads.
type jwkMembers struct {
	kty, crv, x, y, n, e string
	private              bool
}

// parseProofJWK parses a proof's public JWK (RFC 7517; RFC 9449 §4.2: no
// private member) of type EC (P-256, P-384, P-521), OKP (Ed25519) or RSA,
// and computes its RFC 7638 thumbprint. Every refusal is errProofKey, or
// errProofMalformed for a JWK that is not a valid JSON object.
func parseProofJWK(raw []byte) (*proofKey, error) {
	if len(raw) > maxProofJWK {
		return nil, errProofKey
	}
	var m jwkMembers
	if err := scanJWK(raw, &m); err != nil {
		return nil, errProofMalformed
	}
	if m.private {
		return nil, errProofKey
	}
	var pub any
	var canon []byte
	switch m.kty {
	case "EC":
		pub = ecKey(&m)
		canon = appendCanon(nil, "crv", m.crv, "kty", "EC", "x", m.x, "y", m.y)
	case "OKP":
		pub = okpKey(&m)
		canon = appendCanon(nil, "crv", m.crv, "kty", "OKP", "x", m.x)
	case "RSA":
		pub = rsaKey(&m)
		canon = appendCanon(nil, "e", m.e, "kty", "RSA", "n", m.n)
	}
	if pub == nil {
		return nil, errProofKey
	}
	key, err := jwks.NewKey("", "", pub)
	if err != nil {
		return nil, errProofKey
	}
	sum := sha256.Sum256(canon)
	return &proofKey{key: key, jkt: b64.EncodeToString(sum[:])}, nil
}

// scanJWK reads the members of a JWK; duplicates are errors.
func scanJWK(raw []byte, m *jwkMembers) error {
	var seen int
	s := jsonscan.Scanner{B: raw}
	return s.Object(true, func(name string) error {
		var dst *string
		bit := 0
		switch name {
		case "kty":
			dst, bit = &m.kty, 1
		case "crv":
			dst, bit = &m.crv, 2
		case "x":
			dst, bit = &m.x, 4
		case "y":
			dst, bit = &m.y, 8
		case "n":
			dst, bit = &m.n, 16
		case "e":
			dst, bit = &m.e, 32
		case "d", "p", "q", "dp", "dq", "qi", "oth", "k":
			m.private = true
			return s.Skip(1)
		default:
			return s.Skip(1)
		}
		return s.StrOnce(&seen, bit, dst)
	})
}

// appendCanon appends the RFC 7638 §3 JSON object of the name/value pairs,
// given in lexicographic order. The values are base64url or curve names
// checked by the caller, so none needs escaping.
func appendCanon(b []byte, kv ...string) []byte {
	b = append(b, '{')
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, kv[i]...)
		b = append(b, `":"`...)
		b = append(b, kv[i+1]...)
		b = append(b, '"')
	}
	return append(b, '}')
}

// decodeFixed decodes strict base64url of exactly n bytes.
func decodeFixed(s string, n int) []byte {
	if jose.DecodedLen(len(s)) != n {
		return nil
	}
	b, err := jose.Decode(s)
	if err != nil || len(b) != n {
		return nil
	}
	return b
}

func ecKey(m *jwkMembers) any {
	var curve elliptic.Curve
	switch m.crv {
	case "P-256":
		curve = elliptic.P256()
	case "P-384":
		curve = elliptic.P384()
	case "P-521":
		curve = elliptic.P521()
	default:
		return nil
	}
	size := (curve.Params().BitSize + 7) / 8
	x, y := decodeFixed(m.x, size), decodeFixed(m.y, size)
	if x == nil || y == nil {
		return nil
	}
	point := append(append([]byte{4}, x...), y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil // not on the curve
	}
	return pub
}

func okpKey(m *jwkMembers) any {
	if m.crv != "Ed25519" || m.y != "" {
		return nil
	}
	x := decodeFixed(m.x, ed25519.PublicKeySize)
	if x == nil {
		return nil
	}
	return ed25519.PublicKey(x)
}

func rsaKey(m *jwkMembers) any {
	n, err := jose.Decode(m.n)
	if err != nil || len(n) == 0 || n[0] == 0 {
		return nil // RFC 7518 §6.3.1.1: no leading zero octets
	}
	e, err := jose.Decode(m.e)
	if err != nil || len(e) == 0 || len(e) > 4 || e[0] == 0 {
		return nil
	}
	exp := 0
	for _, c := range e {
		exp = exp<<8 | int(c)
	}
	bits := len(n) * 8
	if bits < minProofRSABits || bits > maxProofRSABits || exp < 3 || exp&1 == 0 || exp > 1<<31-1 || n[len(n)-1]&1 == 0 {
		return nil
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}
}
