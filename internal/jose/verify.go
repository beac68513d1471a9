package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"sync"
)

// Sizes of the room [Verify] uses: the largest digest of a supported
// algorithm (SHA-512), and the largest DER ECDSA signature (P-521: two
// INTEGERs of up to 67 bytes in a SEQUENCE with a two-byte length).
const (
	maxDigest = 64
	maxDERSig = 2*(2+67) + 3
)

// Verify reports whether sig is the JWS signature (RFC 7518 §3, RFC 8037
// §3.1) of input under a, with pub: an *rsa.PublicKey, *ecdsa.PublicKey,
// ed25519.PublicKey or, for HMAC, the []byte secret, whose fit to a the
// caller checked (a mismatched key type is false, never a panic). ECDSA
// signatures are the fixed-length R || S of §3.4, never DER. It allocates
// nothing of its own: the digest is on the stack, and the DER form of an
// ECDSA signature and a PSS digest, which crypto/ecdsa and crypto/rsa would
// move to the heap, in a pooled buffer (the verifier's hot path).
func Verify(a Alg, pub crypto.PublicKey, input, sig []byte) bool {
	switch a.Family {
	case EdDSA:
		k, ok := pub.(ed25519.PublicKey)
		return ok && len(k) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize && ed25519.Verify(k, input, sig)
	case HMAC:
		k, ok := pub.([]byte)
		return ok && verifyHMAC(a.Hash, k, input, sig)
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		switch a.Family {
		case RSA:
			if a.Hash == crypto.SHA256 { // RS256, by far the most used: no call to sum
				d := sha256.Sum256(input)
				return rsa.VerifyPKCS1v15(k, a.Hash, d[:], sig) == nil
			}
			var room [maxDigest]byte
			return rsa.VerifyPKCS1v15(k, a.Hash, sum(a.Hash, input, room[:0]), sig) == nil
		case PSS:
			// crypto/rsa's VerifyPSS would move a digest on the stack to
			// the heap.
			buf := pool.Get().(*[maxDERSig]byte)
			opts := rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.Hash}
			ok := rsa.VerifyPSS(k, a.Hash, sum(a.Hash, input, buf[:0]), sig, &opts) == nil
			pool.Put(buf)
			return ok
		}
	case *ecdsa.PublicKey:
		if a.Family != ECDSA {
			return false
		}
		var room [maxDigest]byte
		der := pool.Get().(*[maxDERSig]byte)
		ok := verifyECDSA(k, sum(a.Hash, input, room[:0]), sig, der[:0])
		pool.Put(der)
		return ok
	}
	return false
}

// pool holds the buffers that crypto/rsa's VerifyPSS and crypto/ecdsa would
// move to the heap: a PSS digest, an ECDSA signature's DER form.
var pool = sync.Pool{New: func() any { return new([maxDERSig]byte) }}

// sum appends the digest of input to dst, without allocating.
func sum(h crypto.Hash, input, dst []byte) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(input)
		return append(dst, d[:]...)
	case crypto.SHA384:
		d := sha512.Sum384(input)
		return append(dst, d[:]...)
	}
	d := sha512.Sum512(input)
	return append(dst, d[:]...)
}

// verifyECDSA verifies R || S, re-encoded as the DER that crypto/ecdsa
// takes, in buf (of capacity maxDERSig), without big.Int.
func verifyECDSA(pub *ecdsa.PublicKey, digest, sig, buf []byte) bool {
	size := curveSize(pub)
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

func verifyHMAC(h crypto.Hash, key, input, sig []byte) bool {
	var newHash func() hash.Hash
	switch h {
	case crypto.SHA256:
		newHash = sha256.New
	case crypto.SHA384:
		newHash = sha512.New384
	default:
		newHash = sha512.New
	}
	mac := hmac.New(newHash, key)
	mac.Write(input)
	return hmac.Equal(mac.Sum(nil), sig)
}
