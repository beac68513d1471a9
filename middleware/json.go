package middleware

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// A strict, allocation-light JSON scanner for JOSE headers and claim sets.
//
// It accepts a subset of what encoding/json accepts (the fuzz tests check this):
// the input must be one JSON object; strings must be valid UTF-8 without lone
// surrogate escapes; nesting is limited to maxDepth. Strings it returns point
// into the scanned buffer, which the caller must therefore never modify.

const maxDepth = 32

var errJSON = errors.New("invalid JSON")

type scanner struct {
	b []byte
	i int
}

// span is a value's [start, end) in the buffer.
type span struct{ start, end int }

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// expect consumes c after white space.
func (s *scanner) expect(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// object scans one object, calling member for each member with the member's
// name; member must consume the value. After the object only white space may
// follow when top is set.
func (s *scanner) object(top bool, member func(name string) error) error {
	if !s.expect('{') {
		return errJSON
	}
	if s.expect('}') {
		return s.end(top)
	}
	for {
		s.ws()
		name, err := s.str()
		if err != nil {
			return err
		}
		if !s.expect(':') {
			return errJSON
		}
		s.ws()
		if err := member(name); err != nil {
			return err
		}
		if s.expect(',') {
			continue
		}
		if s.expect('}') {
			return s.end(top)
		}
		return errJSON
	}
}

func (s *scanner) end(top bool) error {
	if top {
		s.ws()
		if s.i != len(s.b) {
			return errJSON
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

// str scans a string at s.i and returns its value. Without escapes the value
// aliases the buffer; with escapes it is a new string.
func (s *scanner) str() (string, error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", errJSON
	}
	s.i++
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if plainASCII[c] {
			s.i++
			continue
		}
		switch {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return unsafe.String(unsafe.SliceData(v), len(v)), nil
		case c == '\\':
			return s.strEscaped(start)
		case c < utf8.RuneSelf:
			return "", errJSON // a control character
		default:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && n <= 1 {
				return "", errJSON
			}
			s.i += n
		}
	}
	return "", errJSON
}

// strOnce scans the string value of a member that an object may hold once
// into dst, recording bit in seen: a member named twice is an error (RFC
// 7515 §4, RFC 7519 §4, RFC 8259 §4), refused rather than read last-wins.
// Every member scanner of the tokens, headers, proofs and keys reads its
// string members through it.
func (s *scanner) strOnce(seen *int, bit int, dst *string) (err error) {
	if *seen&bit != 0 {
		return errJSON
	}
	*seen |= bit
	*dst, err = s.str()
	return err
}

// strEscaped continues str from the first backslash, decoding into a new buffer.
func (s *scanner) strEscaped(start int) (string, error) {
	buf := make([]byte, 0, s.i-start+16)
	buf = append(buf, s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return string(buf), nil
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return "", errJSON
			}
			esc := s.b[s.i+1]
			s.i += 2
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
					return "", errJSON
				}
				if utf16.IsSurrogate(r) {
					if r >= 0xdc00 || s.i+1 >= len(s.b) || s.b[s.i] != '\\' || s.b[s.i+1] != 'u' {
						return "", errJSON // lone surrogate
					}
					s.i += 2
					r2, ok := s.hex4()
					if !ok {
						return "", errJSON
					}
					r = utf16.DecodeRune(r, r2)
					if r == utf8.RuneError {
						return "", errJSON
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", errJSON
			}
		case c < 0x20:
			return "", errJSON
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			s.i++
		default:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && n <= 1 {
				return "", errJSON
			}
			buf = append(buf, s.b[s.i:s.i+n]...)
			s.i += n
		}
	}
	return "", errJSON
}

func (s *scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
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
	s.i += 4
	return r, true
}

// number scans a JSON number and returns its value.
func (s *scanner) number() (float64, error) {
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && '1' <= s.b[s.i] && s.b[s.i] <= '9':
		s.digits()
	default:
		return 0, errJSON
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return 0, errJSON
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return 0, errJSON
		}
	}
	v := s.b[start:s.i]
	if len(v) <= 15 && isDigits(v) {
		// Fast path: a non-negative integer of at most 15 digits is exact
		// in a float64, as ParseFloat would return it.
		var u uint64
		for _, c := range v {
			u = u*10 + uint64(c-'0')
		}
		return float64(u), nil
	}
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(v), len(v)), 64)
	if err != nil {
		return 0, errJSON
	}
	return f, nil
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// strings scans a string or an array of strings, calling each for every
// string.
func (s *scanner) strings(each func(string) error) error {
	if s.i < len(s.b) && s.b[s.i] == '"' {
		v, err := s.str()
		if err != nil {
			return err
		}
		return each(v)
	}
	if !s.expect('[') {
		return errJSON
	}
	if s.expect(']') {
		return nil
	}
	for {
		s.ws()
		v, err := s.str()
		if err != nil {
			return err
		}
		if err := each(v); err != nil {
			return err
		}
		if s.expect(',') {
			continue
		}
		if s.expect(']') {
			return nil
		}
		return errJSON
	}
}

// skip scans any value, checking its grammar.
func (s *scanner) skip(depth int) error {
	if depth > maxDepth {
		return errJSON
	}
	if s.i >= len(s.b) {
		return errJSON
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, err := s.str()
		return err
	case c == '{':
		return s.object(false, func(string) error { return s.skip(depth + 1) })
	case c == '[':
		s.i++
		if s.expect(']') {
			return nil
		}
		for {
			s.ws()
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			if s.expect(',') {
				continue
			}
			if s.expect(']') {
				return nil
			}
			return errJSON
		}
	case c == '-' || ('0' <= c && c <= '9'):
		_, err := s.number()
		return err
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
				s.i += len(lit)
				return nil
			}
		}
		return errJSON
	}
}

// value skips a value and returns its span.
func (s *scanner) value() (span, error) {
	start := s.i
	err := s.skip(1)
	return span{start, s.i}, err
}

// maxInlineNames is how many member names a nameSet holds without
// allocating; a claim set rarely has more.
const maxInlineNames = 24

// nameSet holds the member names of one object seen so far, to refuse a name
// that equals an earlier one, exactly or under Unicode case folding as
// encoding/json matches struct fields (RFC 7519 §4, RFC 8259 §4): one reading
// of every member, whoever reads it. The first maxInlineNames names need no
// allocation.
type nameSet struct {
	n      int
	hashes [maxInlineNames]uint64
	names  [maxInlineNames]string
	more   map[string]struct{} // folded names, once there are more
}

// add records name and reports whether no earlier name equals it under case
// folding.
func (ns *nameSet) add(name string) bool {
	if ns.more != nil {
		f := foldedName(name)
		if _, dup := ns.more[f]; dup {
			return false
		}
		ns.more[f] = struct{}{}
		return true
	}
	h := foldHash(name)
	for i := 0; i < ns.n; i++ {
		if ns.hashes[i] == h && strings.EqualFold(ns.names[i], name) {
			return false
		}
	}
	if ns.n == maxInlineNames {
		ns.more = make(map[string]struct{}, 2*maxInlineNames)
		for _, n := range ns.names {
			ns.more[foldedName(n)] = struct{}{}
		}
		ns.more[foldedName(name)] = struct{}{}
		return true
	}
	ns.hashes[ns.n], ns.names[ns.n] = h, name
	ns.n++
	return true
}

// foldRune maps r to the smallest rune of its case-folding orbit, so that two
// strings are equal under strings.EqualFold exactly when their runes map
// alike ('k', 'K' and U+212A KELVIN SIGN all map to 'K').
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		return r
	}
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	return min
}

// foldHash is an FNV-1a hash of name's folded runes.
func foldHash(name string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); {
		c := name[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			h = (h ^ uint64(c)) * 1099511628211
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(name[i:])
		i += n
		h = (h ^ uint64(foldRune(r))) * 1099511628211
	}
	return h
}

// foldedName returns name with every rune folded by foldRune.
func foldedName(name string) string {
	b := make([]byte, 0, len(name))
	for _, r := range name {
		b = utf8.AppendRune(b, foldRune(r))
	}
	return string(b)
}

var errDuplicateMember = errors.New("a member name occurs twice (perhaps in another case)")

// uniqueMembers checks that doc is one JSON object whose member names are
// unique under case folding (see [nameSet]). Its errors never quote doc.
func uniqueMembers(doc []byte) error {
	var names nameSet
	s := scanner{b: doc}
	return s.object(true, func(name string) error {
		if !names.add(name) {
			return errDuplicateMember
		}
		return s.skip(1)
	})
}
