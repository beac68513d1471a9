package middleware

import (
	"errors"
	"strings"

	"github.com/rsguard/rsguard/internal/jsonscan"
)

// ClaimPath names a claim, possibly nested in JSON objects:
// {"realm_access", "roles"} is the "roles" member of the "realm_access"
// object (Keycloak realm roles). Names match members exactly. Write one with
// [ParseClaimPath] or as a literal.
type ClaimPath []string

// maxClaimPaths bounds the paths read in one pass (a bit each in a mask).
const maxClaimPaths = 64

// ErrClaimPath is returned (wrapped) by [ParseClaimPath] for a path that
// names no member.
var ErrClaimPath = errors.New("middleware: invalid claim path")

// ParseClaimPath parses a claim path in dotted notation:
// "realm_access.roles", "resource_access.my-api.roles", "cognito:groups". A
// name that holds a dot is quoted: `"https://example.com/roles"` (Auth0's
// namespaced claims), `resource_access."my.api".roles`. No name holds a
// quote (write such a path as a ClaimPath literal). An empty name, or a
// quote elsewhere than around a name, is an error matching [ErrClaimPath].
func ParseClaimPath(s string) (ClaimPath, error) {
	var p ClaimPath
	for {
		var name string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, errors.Join(ErrClaimPath, errors.New("unterminated quoted name"))
			}
			name, s = s[1:1+end], s[2+end:]
			if s != "" && s[0] != '.' {
				return nil, errors.Join(ErrClaimPath, errors.New("quoted name not followed by a dot"))
			}
		} else {
			end := strings.IndexByte(s, '.')
			if end < 0 {
				end = len(s)
			}
			name, s = s[:end], s[end:]
			if strings.Contains(name, `"`) {
				return nil, errors.Join(ErrClaimPath, errors.New("a quote inside a name"))
			}
		}
		if name == "" {
			return nil, errors.Join(ErrClaimPath, errors.New("empty name"))
		}
		p = append(p, name)
		if s == "" {
			return p, nil
		}
		s = s[1:] // the dot
	}
}

// String returns p in the notation of [ParseClaimPath].
func (p ClaimPath) String() string {
	var b strings.Builder
	for i, n := range p {
		if i > 0 {
			b.WriteByte('.')
		}
		if strings.ContainsAny(n, `."`) {
			b.WriteByte('"')
			b.WriteString(n)
			b.WriteByte('"')
		} else {
			b.WriteString(n)
		}
	}
	return b.String()
}

var errPathDuplicate = errors.New("middleware: a claim path meets a member twice")

// readPaths reads, in one pass over the JSON object obj, the values of the
// claims at paths (at most maxClaimPaths) and calls found with each path's
// index and value. It descends only into objects that lie on some path; a
// path through a value that is not an object names nothing. In obj and
// the objects it descends into, a member name that occurs twice (also under
// case folding, as encoding/json would read it) is an error: one reading of
// every member. found is called at most once per path. Its errors never
// quote obj.
func readPaths(obj []byte, paths []ClaimPath, found func(i int, v jsonscan.Span)) error {
	if len(paths) > maxClaimPaths {
		return errors.New("middleware: too many claim paths")
	}
	all := uint64(1)<<len(paths) - 1
	if len(paths) == maxClaimPaths {
		all = ^uint64(0)
	}
	s := jsonscan.Scanner{B: obj}
	return scanPaths(&s, true, 0, all, paths, found)
}

// scanPaths scans one object at depth, whose members may continue the paths in
// mask.
func scanPaths(s *jsonscan.Scanner, top bool, depth int, mask uint64, paths []ClaimPath, found func(int, jsonscan.Span)) error {
	var names jsonscan.NameSet
	return s.Object(top, func(name string) error {
		if !names.Add(name) {
			return errPathDuplicate
		}
		var leaf, deeper uint64
		for i, p := range paths {
			if mask&(1<<i) != 0 && p[depth] == name {
				if len(p) == depth+1 {
					leaf |= 1 << i
				} else {
					deeper |= 1 << i
				}
			}
		}
		switch {
		case leaf == 0 && deeper == 0:
			return s.Skip(depth + 1)
		case deeper != 0 && s.Peek() == '{':
			start := s.I
			if err := scanPaths(s, false, depth+1, deeper, paths, found); err != nil {
				return err
			}
			reportLeaves(leaf, jsonscan.Span{Start: start, End: s.I}, found)
			return nil
		}
		v, err := s.Value()
		reportLeaves(leaf, v, found)
		return err
	})
}

func reportLeaves(leaf uint64, v jsonscan.Span, found func(int, jsonscan.Span)) {
	for i := 0; leaf != 0; i++ {
		if leaf&(1<<i) != 0 {
			found(i, v)
			leaf &^= 1 << i
		}
	}
}

// lookupPath returns the span of the value at p in obj, and whether there is
// one.
func lookupPath(obj []byte, p ClaimPath) (jsonscan.Span, bool, error) {
	var v jsonscan.Span
	err := readPaths(obj, []ClaimPath{p}, func(_ int, sp jsonscan.Span) { v = sp })
	return v, v.End != 0, err
}

// stringValues reads a claim value holding strings: an array of strings, or
// one string of space-delimited values (as "scope" is, and Keycloak's or
// Cognito's mapped claims may be). Empty strings are dropped, duplicates
// kept once. Anything else is an error.
func stringValues(b []byte, each func(string)) error {
	s := jsonscan.Scanner{B: b}
	if s.Peek() == '"' {
		v, err := s.Str()
		if err != nil {
			return err
		}
		for f := range strings.SplitSeq(v, " ") {
			if f != "" {
				each(f)
			}
		}
		return nil
	}
	return s.Strings(func(v string) error {
		if v != "" {
			each(v)
		}
		return nil
	})
}
