package middleware

import (
	"encoding/base64"
	"errors"
	"strings"
	"unsafe"

	"github.com/rsguard/rsguard/internal/jose"
	"github.com/rsguard/rsguard/internal/jsonscan"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// b64 is strict unpadded base64url (RFC 7515 §2), for encoding thumbprints,
// "ath" and nonces. Tokens and proofs are decoded by [jose.DecodeInto],
// which also refuses the CR and LF that encoding/base64 skips.
var b64 = base64.RawURLEncoding.Strict()

// jws is a compact JWS (RFC 7515 §7.1) split into its parts, with the
// protected header parsed. splitJWS decodes the header and the signature into
// one scratch buffer and the payload into a block of its own, which the claims
// keep; splitToken puts the header into that block too (see there).
type jws struct {
	signingInput string        // header "." payload, as received
	payload      string        // base64url, as received
	signature    string        // base64url, as received
	alg, typ     string        // alias scratch
	a            jose.Alg      // the facts of alg; the zero Alg when rsguard knows no such algorithm
	kid          string        // alias scratch
	jwk          jsonscan.Span // the "jwk" member's value in the decoded header, for DPoP proofs; zero if absent
	hasTyp       bool
	sig          []byte  // decoded signature, in scratch (not set by splitToken)
	scratch      []byte  // decoded header, then room for the signature
	hdrLen       int     // decoded header bytes at the start of scratch
	claimsBlock  *Claims // from splitToken: the claims, sharing one block with
	body         []byte  // the room for their JSON, and the header after it
}

var errNotJWS = invalid(ErrMalformed)

// errJWE is returned for a compact JWE. A resource server cannot decrypt it,
// so it is as opaque as any other token: the validator sends it to its
// introspector when it has one, and refuses it otherwise.
var errJWE = invalid(ErrUnsupportedFormat)

// splitJWS splits a compact JWS into j and parses its header. A token of any
// other shape is errNotJWS (so that it may go to introspection), and a compact
// JWE (five parts) is errJWE.
//
// The dots are found with IndexByte; the parts' alphabet is left to the
// strict base64url decoder (jose.DecodeInto), which refuses every byte
// outside it, CR and LF included.
func splitJWS(token string, j *jws) error {
	h, err := cutJWS(token, j)
	if err != nil {
		return err
	}
	j.scratch = make([]byte, jose.DecodedLen(h)+jose.DecodedLen(len(j.signature)))
	if err := j.splitHeader(token[:h]); err != nil {
		return err
	}
	return j.finishSplit()
}

// sigBufSize is the room a validation keeps on its stack for the decoded
// signature: enough for RSA keys up to 4096 bits, ECDSA and EdDSA.
const sigBufSize = 512

// splitToken is splitJWS for an access token, with one allocation fewer:
// the decoded header goes into the block of the claims (newClaims), after
// the room for their JSON, and the signature into sigBuf, which only the
// signature check reads (a larger one gets a buffer of its own). It returns
// the signature; j.claims then decodes the payload into the block.
//
// A header that headers remembers is neither decoded nor parsed again; one
// parsed without error (and without a "jwk", which only proofs use) is
// offered to it.
func splitToken(token string, j *jws, sigBuf []byte, headers *memo[tokenHeader]) ([]byte, error) {
	h, err := cutJWS(token, j)
	if err != nil {
		return nil, err
	}
	enc := token[:h]
	pn := jose.DecodedLen(len(j.payload))
	if th, ok := headers.get(enc); ok {
		j.claimsBlock, j.body = newClaims(pn)
		j.alg, j.typ, j.kid, j.a, j.hasTyp = th.alg, th.typ, th.kid, th.a, th.hasTyp
	} else {
		c, buf := newClaims(pn + jose.DecodedLen(h))
		j.claimsBlock, j.body, j.scratch = c, buf[:pn:pn], buf[pn:]
		if err := j.splitHeader(enc); err != nil {
			return nil, err
		}
		if j.jwk.End == 0 {
			headers.put(enc, func(string) tokenHeader { return newTokenHeader(j) })
		}
	}
	if sn := jose.DecodedLen(len(j.signature)); sn > len(sigBuf) {
		sigBuf = make([]byte, sn)
	}
	return decodeSignature(sigBuf, j.signature)
}

// tokenHeader is what splitToken reads from a protected header, for its
// memo.
type tokenHeader struct {
	alg, typ, kid string
	a             jose.Alg
	hasTyp        bool
}

// newTokenHeader copies the parsed header of j, whose strings alias its
// scratch, into one allocation of its own.
func newTokenHeader(j *jws) tokenHeader {
	all := j.alg + j.typ + j.kid
	typ := len(j.alg) + len(j.typ)
	return tokenHeader{alg: all[:len(j.alg)], typ: all[len(j.alg):typ], kid: all[typ:], a: j.a, hasTyp: j.hasTyp}
}

// splitHeader decodes the encoded header enc into j.scratch and parses it.
func (j *jws) splitHeader(enc string) error {
	n, err := jose.DecodeInto(j.scratch, enc)
	if err != nil || n == 0 || j.scratch[0] != '{' {
		return errNotJWS // not a JWS header: perhaps an opaque token
	}
	j.hdrLen = n
	return j.parseHeader(j.scratch[:n])
}

// cutJWS finds the parts of a compact JWS and sets j's signingInput, payload
// and signature; it returns the length of the encoded header.
func cutJWS(token string, j *jws) (int, error) {
	h := strings.IndexByte(token, '.')
	if h < 0 {
		return 0, errNotJWS
	}
	p := strings.IndexByte(token[h+1:], '.')
	if p < 0 {
		return 0, errNotJWS
	}
	p += h + 1
	if strings.IndexByte(token[p+1:], '.') >= 0 {
		return 0, otherShape(token)
	}
	if h == 0 || p == h+1 {
		return 0, errNotJWS
	}
	j.signingInput, j.payload, j.signature = token[:p], token[h+1:p], token[p+1:]
	return h, nil
}

// finishSplit decodes the signature after the header was parsed.
func (j *jws) finishSplit() error {
	var err error
	j.sig, err = decodeSignature(j.scratch[j.hdrLen:], j.signature)
	return err
}

// otherShape classifies a token with more than two dots: a compact JWE (five
// base64url parts, RFC 7516 §7.1) is an unsupported format; anything else is
// not a JWS.
func otherShape(token string) error {
	if strings.Count(token, ".") != 4 {
		return errNotJWS
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c != '.' && !jose.InAlphabet(c) {
			return errNotJWS
		}
	}
	return errJWE
}

var errHeader = newError(ErrInvalidToken, ErrMalformed, errors.New("header is not a valid JOSE header")).at(RuleHeader)

func (j *jws) parseHeader(buf []byte) error {
	var seen int
	crit := false
	s := jsonscan.Scanner{B: buf}
	err := s.Object(true, func(name string) error {
		var dst *string
		bit := 0
		switch name {
		case "alg":
			dst, bit = &j.alg, 1
		case "typ":
			dst, bit = &j.typ, 2
			j.hasTyp = true
		case "kid":
			dst, bit = &j.kid, 4
		case "crit":
			// RFC 7515 §4.1.11: no extension is understood here, so any
			// "crit" makes the token unacceptable.
			crit = true
			return s.Skip(1)
		case "enc":
			return jsonscan.ErrSyntax // a JWE header (RFC 7516 §4.1.2)
		case "jwk":
			// Never used to verify an access token; a DPoP proof's key
			// (RFC 9449 §4.2), located here to save a second scan.
			if j.jwk.End != 0 {
				return jsonscan.ErrSyntax
			}
			var err error
			j.jwk, err = s.Value()
			return err
		default:
			return s.Skip(1)
		}
		return s.StrOnce(&seen, bit, dst)
	})
	var known bool
	j.a, known = jose.Lookup(j.alg)
	switch {
	case err != nil:
		return errHeader
	case j.alg == "":
		return errHeader
	case crit:
		return invalid(ErrUnknownCritical)
	case !known && strings.EqualFold(j.alg, "none"): // no known algorithm is "none"
		return invalid(ErrDisallowedAlg)
	}
	return nil
}

// claims decodes and parses the payload, into a buffer of its own that the
// claims keep.
func (j *jws) claims() (*Claims, claimSpans, error) {
	c, buf := j.claimsBlock, j.body
	if c == nil {
		c, buf = newClaims(jose.DecodedLen(len(j.payload)))
	}
	n, err := jose.DecodeInto(buf, j.payload)
	if err != nil {
		return nil, claimSpans{}, errClaims
	}
	return parseClaims(c, buf[:n:n])
}

// bytesOf returns the bytes of s without copying; the result must not be
// modified.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

var errNoSignature = newError(ErrInvalidToken, ErrMalformed, errors.New("signature is empty"))

var errSignature = newError(ErrInvalidToken, ErrMalformed, errors.New("signature is not valid base64url"))

// decodeSignature decodes the base64url signature sig into dst. Its callers
// call it after parsing the header, so that a token with "alg":"none" and no
// signature is refused for its algorithm, not for the missing signature.
func decodeSignature(dst []byte, sig string) ([]byte, error) {
	if sig == "" {
		return nil, errNoSignature
	}
	n, err := jose.DecodeInto(dst, sig)
	if err != nil {
		return nil, errSignature
	}
	return dst[:n], nil
}

// verify checks the signature with key, whose fit to j.alg the caller
// checked ([jwks.Key.Accepts]).
func (j *jws) verify(k *jwks.Key) bool {
	return k.Verify(j.alg, bytesOf(j.signingInput), j.sig)
}

// knownAlg reports whether alg is a JWS algorithm rsguard verifies.
func knownAlg(alg string) bool {
	_, ok := jose.Lookup(alg)
	return ok
}
