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
	"math/big"
	"strings"
	"unsafe"
)

// b64 is strict unpadded base64url (RFC 7515 §2): no padding, no
// non-canonical trailing bits. Characters outside the alphabet, including the
// \r and \n that encoding/base64 would skip, are refused by splitJWS first.
var b64 = base64.RawURLEncoding.Strict()

// jws is a compact JWS (RFC 7515 §7.1) split into its parts, with the
// protected header parsed.
type jws struct {
	signingInput string // header "." payload
	payload      string
	signature    string
	alg, typ     string
	kid          string
	hasTyp       bool
}

var errNotJWS = invalid(ErrMalformed)

// b64url marks the base64url alphabet.
var b64url = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// splitJWS splits a compact JWS and parses its header. A token of any other
// shape is errNotJWS (so that it may go to introspection), except a compact
// JWE (five parts), which is refused as an unsupported format.
func splitJWS(token string) (*jws, error) {
	dots := 0
	for i := 0; i < len(token); i++ {
		if c := token[i]; c == '.' {
			dots++
		} else if !b64url[c] {
			return nil, errNotJWS
		}
	}
	switch dots {
	case 2:
	case 4:
		return nil, invalid(ErrUnsupportedFormat)
	default:
		return nil, errNotJWS
	}
	h := strings.IndexByte(token, '.')
	p := h + 1 + strings.IndexByte(token[h+1:], '.')
	j := &jws{signingInput: token[:p], payload: token[h+1 : p], signature: token[p+1:]}
	if h == 0 || p == h+1 || p == len(token)-1 {
		return nil, errNotJWS
	}
	if err := j.parseHeader(token[:h]); err != nil {
		return nil, err
	}
	return j, nil
}

var errHeader = newError(ErrInvalidToken, ErrMalformed, errors.New("header is not a valid JOSE header"))

func (j *jws) parseHeader(seg string) error {
	buf, err := decodeSegment(seg)
	if err != nil || len(buf) == 0 || buf[0] != '{' {
		return errNotJWS // not a JWS header: perhaps an opaque token
	}
	var seen int
	crit := false
	s := scanner{b: buf}
	err = s.object(true, func(name string) error {
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

// claims decodes and parses the payload.
func (j *jws) claims() (*Claims, claimSpans, error) {
	buf, err := decodeSegment(j.payload)
	if err != nil {
		return nil, claimSpans{}, errClaims
	}
	return parseClaims(buf)
}

func decodeSegment(seg string) ([]byte, error) {
	buf := make([]byte, b64.DecodedLen(len(seg)))
	n, err := b64.Decode(buf, bytesOf(seg))
	return buf[:n], err
}

// bytesOf returns the bytes of s without copying; the result must not be
// modified.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// verify checks the signature with key, whose fit to j.alg the caller checked.
func (j *jws) verify(k *Key) bool {
	var sigBuf [512]byte
	if b64.DecodedLen(len(j.signature)) > len(sigBuf) {
		return false
	}
	n, err := b64.Decode(sigBuf[:], bytesOf(j.signature))
	if err != nil {
		return false
	}
	sig := sigBuf[:n]
	input := bytesOf(j.signingInput)
	switch j.alg {
	case "RS256", "PS256", "ES256":
		d := sha256.Sum256(input)
		return verifyDigest(k, j.alg, crypto.SHA256, d[:], sig)
	case "RS384", "PS384", "ES384":
		d := sha512.Sum384(input)
		return verifyDigest(k, j.alg, crypto.SHA384, d[:], sig)
	case "RS512", "PS512", "ES512":
		d := sha512.Sum512(input)
		return verifyDigest(k, j.alg, crypto.SHA512, d[:], sig)
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

func verifyDigest(k *Key, alg string, h crypto.Hash, digest, sig []byte) bool {
	switch alg[0] {
	case 'R':
		return rsa.VerifyPKCS1v15(k.public.(*rsa.PublicKey), h, digest, sig) == nil
	case 'P':
		opts := rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
		return rsa.VerifyPSS(k.public.(*rsa.PublicKey), h, digest, sig, &opts) == nil
	case 'E':
		pub := k.public.(*ecdsa.PublicKey)
		size := (pub.Curve.Params().BitSize + 7) / 8
		// RFC 7518 §3.4: R and S as fixed-length big-endian octets, not DER.
		if len(sig) != 2*size {
			return false
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(pub, digest, r, s)
	}
	return false
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
