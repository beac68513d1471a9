package jose

import (
	"encoding/binary"
	"errors"
)

// ErrBase64 is the error of [DecodeInto] and [Decode] for input that is not
// unpadded base64url. It never quotes the input.
var ErrBase64 = errors.New("jose: invalid base64url")

// b64Value maps a base64url character (RFC 4648 §5) to its six bits, and
// every other byte to 0xFF.
var b64Value = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range len(alphabet) {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// InAlphabet reports whether c is a base64url character.
func InAlphabet(c byte) bool { return b64Value[c] < 64 }

// DecodedLen returns the length of the bytes n characters of unpadded
// base64url decode to, at most.
func DecodedLen(n int) int { return n/4*3 + n%4*6/8 }

// DecodeInto decodes src, unpadded base64url (RFC 7515 §2), into dst, which
// must hold [DecodedLen](len(src)) bytes, and returns the decoded length. It
// is strict: every byte outside the alphabet (padding, white space, CR and
// LF, which encoding/base64 skips) and nonzero bits after the last whole
// byte are [ErrBase64]. On error dst's contents are unspecified.
//
// It decodes what encoding/base64's RawURLEncoding.Strict() decodes, to the
// same bytes (FuzzDecodeInto checks this, with AVX2 and without): it is on
// every uncached token's path, for the header, the claims and the
// signature. On amd64 with AVX2 it decodes 32 characters at a time
// (base64url_amd64.s); elsewhere, and for what is left, a table of the
// alphabet eight characters at a time.
func DecodeInto(dst []byte, src string) (int, error) {
	if len(src)%4 == 1 || len(dst) < DecodedLen(len(src)) {
		return 0, ErrBase64
	}
	t := &b64Value
	var bad byte // the OR of every value: 0xC0 is set if one was invalid
	si, di := 0, 0
	if len(src) >= 32 {
		// Whole blocks with AVX2, where the processor has it; it stops
		// before a block with a byte outside the alphabet, which the
		// scalar code below then refuses.
		si = decodeBlocks(dst, src)
		di = si / 4 * 3
	}
	// Eight characters make six bytes, written as eight while dst has room
	// (the last two are overwritten or left beyond the decoded length).
	for len(src)-si >= 8 && len(dst)-di >= 8 {
		q := src[si : si+8]
		// Two chains of four, few registers live: faster than eight at once.
		a, e := t[q[0]], t[q[4]]
		bad |= a | e
		v, w := uint32(a), uint32(e)
		a, e = t[q[1]], t[q[5]]
		bad |= a | e
		v, w = v<<6|uint32(a), w<<6|uint32(e)
		a, e = t[q[2]], t[q[6]]
		bad |= a | e
		v, w = v<<6|uint32(a), w<<6|uint32(e)
		a, e = t[q[3]], t[q[7]]
		bad |= a | e
		v, w = v<<6|uint32(a), w<<6|uint32(e)
		binary.BigEndian.PutUint64(dst[di:], uint64(v&0xFFFFFF)<<40|uint64(w&0xFFFFFF)<<16)
		si += 8
		di += 6
	}
	for len(src)-si >= 4 {
		q := src[si : si+4]
		a, b, c, d := t[q[0]], t[q[1]], t[q[2]], t[q[3]]
		bad |= a | b | c | d
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		o := dst[di : di+3]
		o[0], o[1], o[2] = byte(v>>16), byte(v>>8), byte(v)
		si += 4
		di += 3
	}
	switch q := src[si:]; len(q) {
	case 2:
		a, b := t[q[0]], t[q[1]]
		bad |= a | b
		if b&0x0F != 0 {
			bad = 0xFF // bits beyond the last byte
		}
		dst[di] = a<<2 | b>>4
		di++
	case 3:
		a, b, c := t[q[0]], t[q[1]], t[q[2]]
		bad |= a | b | c
		if c&0x03 != 0 {
			bad = 0xFF
		}
		dst[di], dst[di+1] = a<<2|b>>4, b<<4|c>>2
		di += 2
	}
	if bad&0xC0 != 0 {
		return 0, ErrBase64
	}
	return di, nil
}
