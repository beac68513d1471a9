package jose

import "crypto"

// Family is how a JWS algorithm signs (RFC 7518 §3.1, RFC 8037 §3.1), and
// so which key type it needs.
type Family byte

// The families of [Alg].
const (
	RSA   Family = 'R' // RSASSA-PKCS1-v1_5 (RFC 7518 §3.3): an RSA key
	PSS   Family = 'P' // RSASSA-PSS, salt as long as the hash (§3.5): an RSA key
	ECDSA Family = 'E' // ECDSA, signature R || S (§3.4): an EC key on Curve
	EdDSA Family = 'O' // EdDSA (RFC 8037 §3.1): an Ed25519 (OKP) key
	HMAC  Family = 'H' // HMAC (§3.2): a shared secret of at least Hash.Size() bytes
)

// Alg is the one statement of what rsguard knows of a JWS algorithm: every
// package that signs or verifies reads it here.
type Alg struct {
	Name   string
	Family Family
	Hash   crypto.Hash // 0 for EdDSA, which signs the message itself
	Curve  string      // for ECDSA: the curve's JWK "crv" (P-256, P-384, P-521)

	bit Set // the algorithm's member of a Set: 1 << its place in table (TestSetBits)
}

// Set is a set of algorithms, one bit each, so that an allow-list is checked
// on the request path without hashing a name.
type Set uint32

// With returns s with a added.
func (s Set) With(a Alg) Set { return s | a.bit }

// Has reports whether a is in s. The zero Alg, which [Lookup] returns for an
// unknown name, is in no set.
func (s Set) Has(a Alg) bool { return s&a.bit != 0 }

// table lists the algorithms in the order of [Asymmetric], then the
// fully-specified Ed25519 name, then HMAC.
var table = [...]Alg{
	{"RS256", RSA, crypto.SHA256, "", 1 << 0},
	{"RS384", RSA, crypto.SHA384, "", 1 << 1},
	{"RS512", RSA, crypto.SHA512, "", 1 << 2},
	{"PS256", PSS, crypto.SHA256, "", 1 << 3},
	{"PS384", PSS, crypto.SHA384, "", 1 << 4},
	{"PS512", PSS, crypto.SHA512, "", 1 << 5},
	{"ES256", ECDSA, crypto.SHA256, "P-256", 1 << 6},
	{"ES384", ECDSA, crypto.SHA384, "P-384", 1 << 7},
	{"ES512", ECDSA, crypto.SHA512, "P-521", 1 << 8},
	{"EdDSA", EdDSA, 0, "", 1 << 9},
	{"Ed25519", EdDSA, 0, "", 1 << 10}, // RFC 9864's fully-specified name
	{"HS256", HMAC, crypto.SHA256, "", 1 << 11},
	{"HS384", HMAC, crypto.SHA384, "", 1 << 12},
	{"HS512", HMAC, crypto.SHA512, "", 1 << 13},
}

// A Set holds every algorithm of table.
var _ [32 - len(table)]struct{}

// nAsymmetric is how many of table's first entries make the default
// allow-list: RFC 7518 §3.1's asymmetric algorithms and EdDSA.
const nAsymmetric = 10

// Lookup returns the facts of the JWS algorithm name, compared exactly
// (RFC 7515 §4.1.1: case-sensitive). "none" and unknown names are not found.
// It allocates nothing: it runs on every request.
func Lookup(name string) (Alg, bool) {
	for i := range table {
		if table[i].Name == name {
			return table[i], true
		}
	}
	return Alg{}, false
}

// Asymmetric returns the asymmetric algorithms of RFC 7518 §3.1 and EdDSA
// (RFC 8037), in a new slice: the default allow-list of a verifier.
func Asymmetric() []string {
	names := make([]string, nAsymmetric)
	for i := range names {
		names[i] = table[i].Name
	}
	return names
}

// CurveAlg returns the ECDSA algorithm of a curve's JWK "crv" ("P-256":
// "ES256"), "" for another curve.
func CurveAlg(crv string) string {
	for i := range table[:nAsymmetric] {
		if table[i].Family == ECDSA && table[i].Curve == crv {
			return table[i].Name
		}
	}
	return ""
}
