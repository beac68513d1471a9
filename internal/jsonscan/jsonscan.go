// Package jsonscan is rsguard's strict, allocation-light JSON scanner for
// JOSE headers, claim sets (RFC 7519 §7.2), JWK Sets (RFC 7517 §5) and
// authorization server metadata (RFC 8414 §3.2), and the check that an
// object's member names are unique under case folding (RFC 8259 §4). It is
// on every uncached token validation's path: its methods allocate nothing
// unless a string holds escapes.
//
// It accepts a subset of what encoding/json accepts (the fuzz tests check
// this): the input must be one JSON object; strings must be valid UTF-8
// without lone surrogate escapes; nesting is limited to [MaxDepth]. Strings
// it returns point into the scanned buffer, which the caller must therefore
// never modify.
package jsonscan

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// MaxDepth is the deepest nesting of arrays and objects [Scanner.Skip]
// accepts.
const MaxDepth = 32

// ErrSyntax is the error of every scan of input that is not JSON the scanner
// accepts. It never quotes the input.
var ErrSyntax = errors.New("invalid JSON")

// Scanner scans B from position I. Callers position it (I) at a value
// before calling a method that scans one; methods leave I after what they
// scanned.
type Scanner struct {
	B []byte
	I int
}

// Span is a value's [Start, End) in the buffer.
type Span struct{ Start, End int }

// SkipSpace skips white space (RFC 8259 §2). It inlines: JOSE JSON has
// none, and the test of the next byte is all it then costs.
func (s *Scanner) SkipSpace() {
	if s.I < len(s.B) && s.B[s.I] > ' ' {
		return
	}
	s.skipSpace()
}

//go:noinline
func (s *Scanner) skipSpace() {
	for s.I < len(s.B) {
		switch s.B[s.I] {
		case ' ', '\t', '\n', '\r':
			s.I++
		default:
			return
		}
	}
}

// Expect consumes c after white space.
func (s *Scanner) Expect(c byte) bool { return s.at(c) || s.expectAfterSpace(c) }

// at consumes c if it is the next byte. It inlines: Object tests the
// punctuation of JOSE JSON, which has no white space, with it first.
func (s *Scanner) at(c byte) bool {
	if s.I < len(s.B) && s.B[s.I] == c {
		s.I++
		return true
	}
	return false
}

//go:noinline
func (s *Scanner) expectAfterSpace(c byte) bool {
	s.skipSpace()
	if s.I < len(s.B) && s.B[s.I] == c {
		s.I++
		return true
	}
	return false
}

// Object scans one object, calling member for each member with the member's
// name; member must consume the value. After the object only white space may
// follow when top is set.
func (s *Scanner) Object(top bool, member func(name string) error) error {
	if !s.Expect('{') {
		return ErrSyntax
	}
	if s.Expect('}') {
		return s.end(top)
	}
	for {
		s.SkipSpace()
		name, err := s.Str()
		if err != nil {
			return err
		}
		if !s.at(':') && !s.expectAfterSpace(':') {
			return ErrSyntax
		}
		s.SkipSpace()
		if err := member(name); err != nil {
			return err
		}
		if s.at(',') || s.expectAfterSpace(',') {
			continue
		}
		if s.Expect('}') {
			return s.end(top)
		}
		return ErrSyntax
	}
}

// end checks that only white space follows a top-level value.
func (s *Scanner) end(top bool) error {
	if top {
		s.SkipSpace()
		if s.I != len(s.B) {
			return ErrSyntax
		}
	}
	return nil
}

// plainASCII marks the bytes that stand for themselves in a JSON string:
// printable ASCII other than '"' and '\\'.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str scans a string at s.I and returns its value. Without escapes the value
// aliases the buffer; with escapes it is a new string.
func (s *Scanner) Str() (string, error) {
	b, i := s.B, s.I
	if i >= len(b) || b[i] != '"' {
		return "", ErrSyntax
	}
	i++
	start := i
	// The common string is plain ASCII: scanned with locals, not s.I, eight
	// bytes at a time, to the first byte that is not plain (the closing
	// quote, as a rule).
	for {
		if i+8 > len(b) {
			for i < len(b) && plainASCII[b[i]] {
				i++
			}
			break
		}
		if m := notPlain8(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			i += bits.TrailingZeros64(m) >> 3
			break
		}
		i += 8
	}
	if i < len(b) && b[i] == '"' {
		s.I = i + 1
		v := b[start:i]
		return unsafe.String(unsafe.SliceData(v), len(v)), nil
	}
	s.I = i
	return s.strRest(start)
}

// notPlain8 flags, in the high bit of its byte, each byte of the eight of
// x (little-endian) that is not plainASCII: a control character, '"', '\\'
// or beyond ASCII. x-0x20… sets the high bit of a byte below 0x20 (and of
// most beyond ASCII, which x flags itself), (v-lo)&^v that of a zero byte of
// v. A borrow can only add flags above a true one, so the lowest is exact.
func notPlain8(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q, bs := x^(lo*'"'), x^(lo*'\\')
	return ((x - lo*0x20) | (q-lo)&^q | (bs-lo)&^bs | x) & hi
}

// strRest continues Str from the first byte that is not plain ASCII.
func (s *Scanner) strRest(start int) (string, error) {
	for s.I < len(s.B) {
		c := s.B[s.I]
		if plainASCII[c] {
			s.I++
			continue
		}
		switch {
		case c == '"':
			v := s.B[start:s.I]
			s.I++
			return unsafe.String(unsafe.SliceData(v), len(v)), nil
		case c == '\\':
			return s.strEscaped(start)
		case c < utf8.RuneSelf:
			return "", ErrSyntax // a control character
		default:
			r, n := utf8.DecodeRune(s.B[s.I:])
			if r == utf8.RuneError && n <= 1 {
				return "", ErrSyntax
			}
			s.I += n
		}
	}
	return "", ErrSyntax
}

// StrOnce scans the string value of a member that an object may hold once
// into dst, recording bit in seen: a member named twice is an error (RFC
// 7515 §4, RFC 7519 §4), refused rather than read last-wins. The member
// scanners of the tokens, headers, DPoP proofs and their keys read their
// string members through it; it inlines, so their hot paths make no call
// for it.
func (s *Scanner) StrOnce(seen *int, bit int, dst *string) (err error) {
	if *seen&bit != 0 {
		return ErrSyntax
	}
	*seen |= bit
	*dst, err = s.Str()
	return err
}

// strEscaped continues Str from the first backslash, decoding into a new buffer.
func (s *Scanner) strEscaped(start int) (string, error) {
	buf := make([]byte, 0, s.I-start+16)
	buf = append(buf, s.B[start:s.I]...)
	for s.I < len(s.B) {
		c := s.B[s.I]
		switch {
		case c == '"':
			s.I++
			return string(buf), nil
		case c == '\\':
			if s.I+1 >= len(s.B) {
				return "", ErrSyntax
			}
			esc := s.B[s.I+1]
			s.I += 2
			switch esc {
			case '"', '\\', '/':
				buf = append(buf, esc)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := s.hex4()
				if !ok {
					return "", ErrSyntax
				}
				if utf16.IsSurrogate(r) {
					if r >= 0xdc00 || s.I+1 >= len(s.B) || s.B[s.I] != '\\' || s.B[s.I+1] != 'u' {
						return "", ErrSyntax // lone surrogate
					}
					s.I += 2
					r2, ok := s.hex4()
					if !ok {
						return "", ErrSyntax
					}
					r = utf16.DecodeRune(r, r2)
					if r == utf8.RuneError {
						return "", ErrSyntax
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", ErrSyntax
			}
		case c < 0x20:
			return "", ErrSyntax
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			s.I++
		default:
			r, n := utf8.DecodeRune(s.B[s.I:])
			if r == utf8.RuneError && n <= 1 {
				return "", ErrSyntax
			}
			buf = append(buf, s.B[s.I:s.I+n]...)
			s.I += n
		}
	}
	return "", ErrSyntax
}

func (s *Scanner) hex4() (rune, bool) {
	if s.I+4 > len(s.B) {
		return 0, false
	}
	var r rune
	for _, c := range s.B[s.I : s.I+4] {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	s.I += 4
	return r, true
}

// Number scans a JSON number and returns its value.
func (s *Scanner) Number() (float64, error) {
	// Fast path, in one pass: a non-negative integer of 1 to 15 digits
	// without a leading zero, fraction or exponent ("exp", "iat", "nbf") is
	// exact in a float64, as ParseFloat would return it.
	b, i := s.B, s.I
	var u uint64
	j := i
	for j < len(b) && j-i < 16 && b[j]-'0' <= 9 {
		u = u*10 + uint64(b[j]-'0')
		j++
	}
	if n := j - i; n > 0 && n <= 15 && (n == 1 || b[i] != '0') &&
		(j == len(b) || b[j] != '.' && b[j] != 'e' && b[j] != 'E') {
		s.I = j
		return float64(u), nil
	}
	return s.number()
}

// number is Number for every other number.
func (s *Scanner) number() (float64, error) {
	start := s.I
	if s.I < len(s.B) && s.B[s.I] == '-' {
		s.I++
	}
	switch {
	case s.I < len(s.B) && s.B[s.I] == '0':
		s.I++
	case s.I < len(s.B) && '1' <= s.B[s.I] && s.B[s.I] <= '9':
		s.digits()
	default:
		return 0, ErrSyntax
	}
	if s.I < len(s.B) && s.B[s.I] == '.' {
		s.I++
		if s.digits() == 0 {
			return 0, ErrSyntax
		}
	}
	if s.I < len(s.B) && (s.B[s.I] == 'e' || s.B[s.I] == 'E') {
		s.I++
		if s.I < len(s.B) && (s.B[s.I] == '+' || s.B[s.I] == '-') {
			s.I++
		}
		if s.digits() == 0 {
			return 0, ErrSyntax
		}
	}
	v := s.B[start:s.I]
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(v), len(v)), 64)
	if err != nil {
		return 0, ErrSyntax
	}
	return f, nil
}

func (s *Scanner) digits() int {
	n := 0
	for s.I < len(s.B) && '0' <= s.B[s.I] && s.B[s.I] <= '9' {
		s.I++
		n++
	}
	return n
}

// Strings scans a string or an array of strings, calling each for every
// string.
func (s *Scanner) Strings(each func(string) error) error {
	if s.I < len(s.B) && s.B[s.I] == '"' {
		v, err := s.Str()
		if err != nil {
			return err
		}
		return each(v)
	}
	if !s.Expect('[') {
		return ErrSyntax
	}
	return s.elements(func() error {
		v, err := s.Str()
		if err != nil {
			return err
		}
		return each(v)
	})
}

// elements scans the rest of an array whose '[' was read: each element
// through elem, which scans one value, with commas between them.
func (s *Scanner) elements(elem func() error) error {
	if s.Expect(']') {
		return nil
	}
	for {
		s.SkipSpace()
		if err := elem(); err != nil {
			return err
		}
		if s.Expect(',') {
			continue
		}
		if s.Expect(']') {
			return nil
		}
		return ErrSyntax
	}
}

// Skip scans any value at nesting depth depth (1 for a member of a
// top-level object), checking its grammar.
func (s *Scanner) Skip(depth int) error {
	if depth > MaxDepth {
		return ErrSyntax
	}
	if s.I >= len(s.B) {
		return ErrSyntax
	}
	switch c := s.B[s.I]; {
	case c == '"':
		_, err := s.Str()
		return err
	case c == '{':
		return s.Object(false, func(string) error { return s.Skip(depth + 1) })
	case c == '[':
		s.I++
		return s.elements(func() error { return s.Skip(depth + 1) })
	case c == '-' || ('0' <= c && c <= '9'):
		_, err := s.Number()
		return err
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(s.B)-s.I >= len(lit) && string(s.B[s.I:s.I+len(lit)]) == lit {
				s.I += len(lit)
				return nil
			}
		}
		return ErrSyntax
	}
}

// Value skips a value and returns its span.
func (s *Scanner) Value() (Span, error) {
	start := s.I
	err := s.Skip(1)
	return Span{start, s.I}, err
}

// Peek returns the byte at the scanner's position, or 0 at the end.
func (s *Scanner) Peek() byte {
	if s.I < len(s.B) {
		return s.B[s.I]
	}
	return 0
}
