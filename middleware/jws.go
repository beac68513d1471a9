package middleware

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"hash"
	"strings"
	"unsafe"
)

// b64 is strict unpadded base64url (RFC 7515 §2): no padding, no
// non-canonical trailing bits. Characters outside the alphabet, including the
// \r and \n that encoding/base64 would skip, are refused by splitJWS first.
var b64 = base64.RawURLEncoding.Strict()

// jws is a compact JWS (RFC 7515 §7.1) split into its parts, with the
// protected header parsed. Its decoded parts share one scratch buffer; the
// payload gets its own, which the claims keep.
type jws struct {
	signingInput string // header "." payload, as received
	payload      string // base64url, as received
	signature    string // base64url, as received
	alg, typ     string // alias scratch
	kid          string // alias scratch
	jwk          span   // the "jwk" member's value in the decoded header, for DPoP proofs; zero if absent
	hasTyp       bool
	sig          []byte // decoded signature, in scratch
	scratch      []byte // decoded header, then room for the signature and digest
	hdrLen       int    // decoded header bytes at the start of scratch
}

var errNotJWS = invalid(ErrMalformed)

// errJWE is returned for a compact JWE. A resource server cannot decrypt it,
// so it is as opaque as any other token: the validator sends it to its
// introspector when it has one, and refuses it otherwise.
var errJWE = invalid(ErrUnsupportedFormat)

// b64url marks the base64url alphabet.
var b64url = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// Room at the end of jws.scratch: the largest digest of a supported algorithm
// (SHA-512), then the largest DER ECDSA signature (P-521: two INTEGERs of up
// to 67 bytes in a SEQUENCE with a two-byte length).
const (
	maxDigest   = 64
	maxDERSig   = 2*(2+67) + 3
	scratchTail = maxDigest + maxDERSig
)

// splitJWS splits a compact JWS into j and parses its header. A token of any
// other shape is errNotJWS (so that it may go to introspection), and a compact
// JWE (five parts) is errJWE.
//
// The dots are found with IndexByte; the parts' alphabet is left to the
// strict base64url decoder, which refuses everything outside it except CR and
// LF, refused here.
func splitJWS(token string, j *jws) error {
	h, err := cutJWS(token, j)
	if err != nil {
		return err
	}
	j.scratch = make([]byte, b64.DecodedLen(h)+b64.DecodedLen(len(j.signature))+scratchTail)
	n, err := b64.Decode(j.scratch, bytesOf(token[:h]))
	if err != nil || n == 0 || j.scratch[0] != '{' {
		return errNotJWS // not a JWS header: perhaps an opaque token
	}
	j.hdrLen = n
	if err := j.parseHeader(j.scratch[:n]); err != nil {
		return err
	}
	return j.finishSplit()
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
	if h == 0 || p == h+1 || strings.IndexByte(token, '\n') >= 0 || strings.IndexByte(token, '\r') >= 0 {
		return 0, errNotJWS
	}
	j.signingInput, j.payload, j.signature = token[:p], token[h+1:p], token[p+1:]
	return h, nil
}

// finishSplit decodes the signature after the header was parsed.
func (j *jws) finishSplit() error {
	if j.signature == "" {
		// Checked after the header, so that a token with "alg":"none" and no
		// signature is refused for its algorithm.
		return errNoSignature
	}
	var err error
	j.sig, err = j.decodeSignature()
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
		if c := token[i]; c != '.' && !b64url[c] {
			return errNotJWS
		}
	}
	return errJWE
}

var errHeader = newError(ErrInvalidToken, ErrMalformed, errors.New("header is not a valid JOSE header"))

func (j *jws) parseHeader(buf []byte) error {
	var seen int
	crit := false
	s := scanner{b: buf}
	err := s.object(true, func(name string) error {
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
			return s.skip(1)
		case "enc":
			return errJSON // a JWE header (RFC 7516 §4.1.2)
		case "jwk":
			// Never used to verify an access token; a DPoP proof's key
			// (RFC 9449 §4.2), located here to save a second scan.
			if j.jwk.end != 0 {
				return errJSON
			}
			var err error
			j.jwk, err = s.value()
			return err
		default:
			return s.skip(1)
		}
		if seen&bit != 0 {
			return errJSON
		}
		seen |= bit
		v, err := s.str()
		*dst = v
		return err
	})
	switch {
	case err != nil:
		return errHeader
	case j.alg == "":
		return errHeader
	case crit:
		return invalid(ErrUnknownCritical)
	case strings.EqualFold(j.alg, "none"):
		return invalid(ErrDisallowedAlg)
	}
	return nil
}

// claims decodes and parses the payload, into a buffer of its own that the
// claims keep.
func (j *jws) claims() (*Claims, claimSpans, error) {
	buf := make([]byte, b64.DecodedLen(len(j.payload)))
	n, err := b64.Decode(buf, bytesOf(j.payload))
	if err != nil {
		return nil, claimSpans{}, errClaims
	}
	return parseClaims(buf[:n:n])
}

// bytesOf returns the bytes of s without copying; the result must not be
// modified.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

var errNoSignature = newError(ErrInvalidToken, ErrMalformed, errors.New("signature is empty"))

var errSignature = newError(ErrInvalidToken, ErrMalformed, errors.New("signature is not valid base64url"))

// decodeSignature decodes the signature into scratch after the header.
func (j *jws) decodeSignature() ([]byte, error) {
	n, err := b64.Decode(j.scratch[j.hdrLen:], bytesOf(j.signature))
	if err != nil {
		return nil, errSignature
	}
	return j.scratch[j.hdrLen : j.hdrLen+n], nil
}

// verify checks the signature with key, whose fit to j.alg the caller
// checked.
func (j *jws) verify(k *Key) bool {
	sig := j.sig
	input := bytesOf(j.signingInput)
	digest := j.scratch[len(j.scratch)-scratchTail : len(j.scratch)-maxDERSig]
	switch j.alg {
	case "RS256", "PS256", "ES256":
		d := sha256.Sum256(input)
		return j.verifyDigest(k, crypto.SHA256, append(digest[:0], d[:]...))
	case "RS384", "PS384", "ES384":
		d := sha512.Sum384(input)
		return j.verifyDigest(k, crypto.SHA384, append(digest[:0], d[:]...))
	case "RS512", "PS512", "ES512":
		d := sha512.Sum512(input)
		return j.verifyDigest(k, crypto.SHA512, append(digest[:0], d[:]...))
	case "EdDSA", "Ed25519":
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.public.(ed25519.PublicKey), input, sig)
	case "HS256":
		return verifyHMAC(sha256.New, k, input, sig)
	case "HS384":
		return verifyHMAC(sha512.New384, k, input, sig)
	case "HS512":
		return verifyHMAC(sha512.New, k, input, sig)
	}
	return false
}

func (j *jws) verifyDigest(k *Key, h crypto.Hash, digest []byte) bool {
	sig := j.sig
	switch j.alg[0] {
	case 'R':
		return rsa.VerifyPKCS1v15(k.public.(*rsa.PublicKey), h, digest, sig) == nil
	case 'P':
		opts := rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
		return rsa.VerifyPSS(k.public.(*rsa.PublicKey), h, digest, sig, &opts) == nil
	case 'E':
		der := j.scratch[len(j.scratch)-maxDERSig:]
		return verifyECDSA(k.public.(*ecdsa.PublicKey), digest, sig, der[:0])
	}
	return false
}

// verifyECDSA verifies a JWS ECDSA signature: R and S as fixed-length
// big-endian octets (RFC 7518 §3.4), never DER. It re-encodes them as the
// DER that crypto/ecdsa takes, in buf (of capacity maxDERSig), without
// big.Int.
func verifyECDSA(pub *ecdsa.PublicKey, digest, sig, buf []byte) bool {
	size := (pub.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*size {
		return false
	}
	return ecdsa.VerifyASN1(pub, digest, appendDERSignature(buf, sig[:size], sig[size:]))
}

// appendDERSignature appends the DER SEQUENCE of the unsigned big-endian
// integers r and s (each at most 66 bytes: P-521) to dst.
func appendDERSignature(dst, r, s []byte) []byte {
	r, s = minimalUnsigned(r), minimalUnsigned(s)
	rl, sl := len(r)+int(r[0]>>7), len(s)+int(s[0]>>7)
	body := 4 + rl + sl
	dst = append(dst, 0x30)
	if body > 0x7f {
		dst = append(dst, 0x81) // long form, one length byte
	}
	dst = append(dst, byte(body))
	dst = appendDERInt(dst, r, rl)
	return appendDERInt(dst, s, sl)
}

func appendDERInt(dst, v []byte, n int) []byte {
	dst = append(dst, 0x02, byte(n))
	if n > len(v) {
		dst = append(dst, 0) // keep the integer positive
	}
	return append(dst, v...)
}

// minimalUnsigned drops leading zero bytes, keeping at least one byte.
func minimalUnsigned(b []byte) []byte {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

func verifyHMAC(h func() hash.Hash, k *Key, input, sig []byte) bool {
	mac := hmac.New(h, k.public.([]byte))
	mac.Write(input)
	return hmac.Equal(mac.Sum(nil), sig)
}

func knownAlg(alg string) bool {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
		"ES256", "ES384", "ES512", "EdDSA", "Ed25519", "HS256", "HS384", "HS512":
		return true
	}
	return false
}
