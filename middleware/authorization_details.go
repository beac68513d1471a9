package middleware

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/rsguard/rsguard/internal/jsonscan"
	"github.com/rsguard/rsguard/scopes"
)

// AuthorizationDetail is one object of the "authorization_details" claim
// of a JWT access token (RFC 9396 §9.1) or introspection answer (§9.2): a
// fine-grained grant. Type is required (§2); the common data fields of §2.2
// are mapped, and Raw holds the whole object for the members of the type's
// own definition.
type AuthorizationDetail struct {
	Type       string   // "type"
	Locations  []string // "locations": where the resource lives (URIs)
	Actions    []string // "actions": what may be done
	Datatypes  []string // "datatypes": kinds of data
	Identifier string   // "identifier": one resource
	Privileges []string // "privileges": levels or roles
	raw        []byte
}

// Raw returns a copy of the detail's JSON object.
func (d *AuthorizationDetail) Raw() json.RawMessage { return append(json.RawMessage(nil), d.raw...) }

// Decode unmarshals the detail's JSON object into v, for its type-specific
// members.
func (d *AuthorizationDetail) Decode(v any) error { return json.Unmarshal(d.raw, v) }

// maxAuthorizationDetails bounds the objects of one claim.
const maxAuthorizationDetails = 256

var errAuthorizationDetails = errors.New("middleware: malformed authorization_details claim")

// ParseAuthorizationDetails parses an "authorization_details" value: a JSON
// array of objects, each with a non-empty string "type" (RFC 9396 §2) and,
// where present, "locations", "actions", "datatypes" and "privileges" as
// arrays of strings and "identifier" as a string (§2.2). A member name that
// occurs twice in an object, also under case folding, one that equals a
// mapped member only under case folding ("Actions"), more than 256
// objects, or any other shape is an error. data is copied.
func ParseAuthorizationDetails(data []byte) ([]AuthorizationDetail, error) {
	s := jsonscan.Scanner{B: append([]byte(nil), data...)}
	s.SkipSpace()
	out, err := scanAuthorizationDetails(&s)
	if err != nil {
		return nil, err
	}
	if s.SkipSpace(); s.I != len(s.B) {
		return nil, errAuthorizationDetails
	}
	return out, nil
}

// scanAuthorizationDetails scans the array at the scanner's position.
func scanAuthorizationDetails(s *jsonscan.Scanner) ([]AuthorizationDetail, error) {
	if !s.Expect('[') {
		return nil, errAuthorizationDetails
	}
	out := []AuthorizationDetail{}
	if s.Expect(']') {
		return out, nil
	}
	for {
		s.SkipSpace()
		d, err := scanAuthorizationDetail(s)
		if err != nil || len(out) == maxAuthorizationDetails {
			return nil, errAuthorizationDetails
		}
		out = append(out, d)
		if s.Expect(',') {
			continue
		}
		if s.Expect(']') {
			return out, nil
		}
		return nil, errAuthorizationDetails
	}
}

func scanAuthorizationDetail(s *jsonscan.Scanner) (AuthorizationDetail, error) {
	var d AuthorizationDetail
	if s.Peek() != '{' {
		return d, errAuthorizationDetails
	}
	start := s.I
	var names jsonscan.NameSet
	err := s.Object(false, func(name string) error {
		if !names.Add(name) {
			return errAuthorizationDetails
		}
		var list *[]string
		switch name {
		case "type", "identifier":
			v, err := s.Str()
			if name == "type" {
				d.Type = v
			} else {
				d.Identifier = v
			}
			return err
		case "locations":
			list = &d.Locations
		case "actions":
			list = &d.Actions
		case "datatypes":
			list = &d.Datatypes
		case "privileges":
			list = &d.Privileges
		default:
			if detailTwin(name) {
				return errAuthorizationDetails
			}
			return s.Skip(3)
		}
		return scanStringArray(s, list)
	})
	if err != nil || d.Type == "" {
		return d, errAuthorizationDetails
	}
	d.raw = s.B[start:s.I]
	return d, nil
}

// detailTwin reports whether name equals a member the parser maps only
// under case folding ("Actions"), which encoding/json would read in the
// member's place when the caller decodes the raw object: refused, for one
// reading of every member.
func detailTwin(name string) bool {
	for _, m := range [...]string{"type", "identifier", "locations", "actions", "datatypes", "privileges"} {
		if strings.EqualFold(name, m) {
			return true
		}
	}
	return false
}

// scanStringArray scans an array of strings (not a lone string) into dst.
func scanStringArray(s *jsonscan.Scanner, dst *[]string) error {
	if s.Peek() != '[' {
		return errAuthorizationDetails
	}
	list := []string{}
	err := s.Strings(func(v string) error {
		list = append(list, v)
		return nil
	})
	*dst = slices.Clip(list)
	return err
}

// DetailMatch describes the authorization details a route requires (RFC
// 9396 §2): an object of the token's "authorization_details" whose type is
// Type, whose "actions" include every one of Actions and whose "locations"
// include every one of Locations. Matching is exact; an empty list asks
// nothing of its member.
type DetailMatch struct {
	Type      string
	Actions   []string
	Locations []string
}

// Matches reports whether d meets m.
func (m *DetailMatch) Matches(d *AuthorizationDetail) bool {
	return d.Type == m.Type && containsEvery(d.Actions, m.Actions) && containsEvery(d.Locations, m.Locations)
}

func containsEvery(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// RequireDetail returns the requirement that one object of the token's
// authorization details ([Claims.AuthorizationDetails], from the JWT or the
// introspection answer, RFC 9396 §9) meet m. It panics if m.Type is empty.
func RequireDetail(m DetailMatch) scopes.GrantRequirement {
	if m.Type == "" {
		panic("middleware: RequireDetail() without a type")
	}
	m.Actions, m.Locations = slices.Clone(m.Actions), slices.Clone(m.Locations)
	need := "authorization_details of type '" + m.Type + "'"
	if len(m.Actions) > 0 {
		need += " with actions " + quoted(m.Actions, ", ")
	}
	if len(m.Locations) > 0 {
		need += " at " + quoted(m.Locations, ", ")
	}
	return &claimReq{need: need, ok: func(c *Claims, _ time.Time) bool {
		for i := range c.AuthorizationDetails {
			if m.Matches(&c.AuthorizationDetails[i]) {
				return true
			}
		}
		return false
	}}
}
