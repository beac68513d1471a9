package middleware

import (
	"errors"
	"strings"
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
func readPaths(obj []byte, paths []ClaimPath, found func(i int, v span)) error {
	if len(paths) > maxClaimPaths {
		return errors.New("middleware: too many claim paths")
	}
	all := uint64(1)<<len(paths) - 1
	if len(paths) == maxClaimPaths {
		all = ^uint64(0)
	}
	s := scanner{b: obj}
	return s.paths(true, 0, all, paths, found)
}

// paths scans one object at depth, whose members may continue the paths in
// mask.
func (s *scanner) paths(top bool, depth int, mask uint64, paths []ClaimPath, found func(int, span)) error {
	var names nameSet
	return s.object(top, func(name string) error {
		if !names.add(name) {
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
			return s.skip(depth + 1)
		case deeper != 0 && s.peek() == '{':
			start := s.i
			if err := s.paths(false, depth+1, deeper, paths, found); err != nil {
				return err
			}
			reportLeaves(leaf, span{start, s.i}, found)
			return nil
		}
		v, err := s.value()
		reportLeaves(leaf, v, found)
		return err
	})
}

func reportLeaves(leaf uint64, v span, found func(int, span)) {
	for i := 0; leaf != 0; i++ {
		if leaf&(1<<i) != 0 {
			found(i, v)
			leaf &^= 1 << i
		}
	}
}

// lookupPath returns the span of the value at p in obj, and whether there is
// one.
func lookupPath(obj []byte, p ClaimPath) (span, bool, error) {
	var v span
	err := readPaths(obj, []ClaimPath{p}, func(_ int, sp span) { v = sp })
	return v, v.end != 0, err
}

// peek returns the byte at the scanner's position, or 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// stringValues reads a claim value holding strings: an array of strings, or
// one string of space-delimited values (as "scope" is, and Keycloak's or
// Cognito's mapped claims may be). Empty strings are dropped, duplicates
// kept once. Anything else is an error.
func stringValues(b []byte, each func(string)) error {
	s := scanner{b: b}
	if s.peek() == '"' {
		v, err := s.str()
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
	return s.strings(func(v string) error {
		if v != "" {
			each(v)
		}
		return nil
	})
}
