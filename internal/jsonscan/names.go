package jsonscan

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The member names of one object, compared as encoding/json compares them
// (RFC 7519 §4, RFC 8259 §4).

// maxInlineNames is how many member names a NameSet holds without
// allocating; a claim set rarely has more.
const maxInlineNames = 24

// NameSet holds the member names of one object seen so far, to refuse a name
// that equals an earlier one, exactly or under Unicode case folding as
// encoding/json matches struct fields (RFC 7519 §4, RFC 8259 §4): one reading
// of every member, whoever reads it. The first maxInlineNames names need no
// allocation.
type NameSet struct {
	n      int
	hashes [maxInlineNames]uint64
	names  [maxInlineNames]string
	more   map[string]struct{} // folded names, once there are more
}

// Add records name and reports whether no earlier name equals it under case
// folding.
func (ns *NameSet) Add(name string) bool {
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

// ErrDuplicateMember is the error of [UniqueMembers] for a name that occurs
// twice.
var ErrDuplicateMember = errors.New("a member name occurs twice (perhaps in another case)")

// UniqueMembers checks that doc is one JSON object whose member names are
// unique under case folding (see [NameSet]). Its errors never quote doc.
func UniqueMembers(doc []byte) error {
	var names NameSet
	s := Scanner{B: doc}
	return s.Object(true, func(name string) error {
		if !names.Add(name) {
			return ErrDuplicateMember
		}
		return s.Skip(1)
	})
}
