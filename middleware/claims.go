package middleware

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/rsguard/rsguard/internal/jsonscan"
	"github.com/rsguard/rsguard/scopes"
)

// Claims are the verified claims of an access token, from a JWT (RFC 9068 §2.2)
// or an introspection response (RFC 7662 §2.2), which share member names.
//
// A *Claims returned by the validator may be shared by concurrent requests that
// present the same token: treat it as read-only.
type Claims struct {
	Issuer    string     // "iss"
	Subject   string     // "sub"
	Audience  []string   // "aud", a string or an array in the token
	ExpiresAt time.Time  // "exp"; zero if absent
	IssuedAt  time.Time  // "iat"; zero if absent
	NotBefore time.Time  // "nbf"; zero if absent
	ID        string     // "jti"
	ClientID  string     // "client_id", falling back to "azp"
	Username  string     // "username" (introspection)
	TokenType string     // "token_type" (introspection)
	Scopes    scopes.Set // from "scope" (space-delimited) or "scp" (string or array), or the configured claim
	// Confirmation is the "cnf" claim (RFC 7800 §3.1), nil if absent: a
	// token that has one is accepted only once its binding is verified (see
	// [DPoPMode], [Config.AllowUnverifiedConfirmation]).
	Confirmation *Confirmation
	// Roles are the values of the issuer's [Issuer.RoleClaims] (roles or
	// groups), in the order found, each once; nil when none. See [Role].
	Roles []string
	// ACR is the "acr" claim: the authentication context class the user
	// authenticated with (RFC 9470 §4, OpenID Connect Core §2). See [ACR].
	ACR string
	// AuthTime is the "auth_time" claim: when the user authenticated (RFC
	// 9470 §4); zero if absent. See [MaxAge].
	AuthTime time.Time
	// Actor is the "act" claim (RFC 8693 §4.1), nil if absent: the current
	// actor of a delegated token. See [Actor] and [ActorSubject].
	Actor *Actor
	// MayAct is the "may_act" claim (RFC 8693 §4.4), nil if absent.
	MayAct *Actor
	// AuthorizationDetails is the "authorization_details" claim (RFC 9396
	// §9), nil if absent. See [RequireDetail].
	AuthorizationDetails []AuthorizationDetail

	scopeFrom string    // the scope claim Scopes was read from ("" for the default)
	raw       []byte    // the whole JSON object
	aud1      [1]string // backs Audience when "aud" is a single string, saving an allocation
	ath       string    // base64url(SHA-256(token)) of the one JWT these claims came from, if DPoP-bound; see bindToken
	seen      int       // the registered members present in raw (seenIss…), when raw is set
}

// has reports whether the registered member of bit was present, even if
// empty. Claims built by hand (by a user's [Introspector]) have no JSON: for
// them a member is present when its field is set, nonZero.
func (c *Claims) has(bit int, nonZero bool) bool {
	if c.raw == nil {
		return nonZero
	}
	return c.seen&bit != 0
}

// Raw returns a copy of the claims' JSON object as received.
func (c *Claims) Raw() json.RawMessage { return append(json.RawMessage(nil), c.raw...) }

// Decode unmarshals the claims' JSON object into v, for claims rsguard does not
// map (for example a user's own struct with custom claims).
func (c *Claims) Decode(v any) error { return json.Unmarshal(c.raw, v) }

// Claim decodes the single claim name into v and reports whether it is
// present. name matches a member as encoding/json matches a struct field's
// name: exactly, else under case folding. Parsed claims never hold two
// members whose names are equal under case folding, so Claim and [Claims.Decode]
// into a field tagged `json:"name"` read the same member, for every name.
func (c *Claims) Claim(name string, v any) (bool, error) {
	val, ok, err := foldMember(c.raw, name)
	if err != nil || !ok {
		return false, err
	}
	return true, json.Unmarshal(c.raw[val.Start:val.End], v)
}

// foldMember returns the span of the value of obj's member named name, the
// exact match first, else one equal to it under case folding.
func foldMember(obj []byte, name string) (jsonscan.Span, bool, error) {
	var exact, folded jsonscan.Span
	s := jsonscan.Scanner{B: obj}
	err := s.Object(true, func(n string) error {
		v, err := s.Value()
		switch {
		case n == name:
			exact = v
		case folded.End == 0 && strings.EqualFold(n, name):
			folded = v
		}
		return err
	})
	switch {
	case err != nil:
		return jsonscan.Span{}, false, errClaims
	case exact.End != 0:
		return exact, true, nil
	case folded.End != 0:
		return folded, true, nil
	}
	return jsonscan.Span{}, false, nil
}

// HasAudience reports whether the claims' audience contains any of auds.
func (c *Claims) HasAudience(auds []string) bool {
	for _, a := range c.Audience {
		for _, want := range auds {
			if a == want {
				return true
			}
		}
	}
	return false
}

// ParseClaims parses a JSON claims object — a JWT claims set or an RFC 7662
// introspection response — into Claims, mapping the registered members and
// reading scopes from scopeClaim (a space-delimited string or an array of
// strings), or when scopeClaim is empty from "scope", else "scp". Registered
// members of the wrong JSON type, a member name that occurs twice — exactly
// or under case folding ("role" and "ROLE"), which encoding/json would read
// last-wins into a field tagged "role" — (RFC 7519 §4), members whose names
// equal a registered one's (or scopeClaim's) only under case folding, such
// as "Sub", which encoding/json would read in its place, and invalid JSON are
// errors matching ErrMalformed. data is copied.
func ParseClaims(data []byte, scopeClaim string) (*Claims, error) {
	c, buf := newClaims(len(data))
	copy(buf, data)
	_, sp, err := parseClaims(c, buf)
	if err != nil {
		return nil, err
	}
	if err := c.setScopes(sp, scopeClaim, nil); err != nil {
		return nil, err
	}
	c.scopeFrom = scopeClaim
	return c, nil
}

// GrantedScopes returns c.Scopes: *Claims is the [scopes.Grant] that route
// requirements are checked against.
func (c *Claims) GrantedScopes() scopes.Set { return c.Scopes }

// scanDelegation scans "act", "may_act" (RFC 8693 §4.1, §4.4) or
// "authorization_details" (RFC 9396 §9) into c.
func scanDelegation(s *jsonscan.Scanner, name string, seen *int, c *Claims) error {
	var err error
	switch name {
	case "act":
		err = scanOnce(s, seen, seenAct)
		if err == nil {
			c.Actor, err = scanActor(s, 1)
		}
	case "may_act":
		err = scanOnce(s, seen, seenMayAct)
		if err == nil {
			c.MayAct, err = scanActor(s, 1)
		}
	default:
		err = scanOnce(s, seen, seenAuthzDetails)
		if err == nil {
			c.AuthorizationDetails, err = scanAuthorizationDetails(s)
		}
	}
	return err
}

// scanOnce records bit in seen, or fails if it is already there.
func scanOnce(s *jsonscan.Scanner, seen *int, bit int) error {
	if *seen&bit != 0 {
		return jsonscan.ErrSyntax
	}
	*seen |= bit
	return nil
}

// claimSpans records where the scope members are, so that the scope claim can
// be chosen after the issuer is known.
type claimSpans struct {
	scope, scp jsonscan.Span
}

const (
	seenIss = 1 << iota
	seenSub
	seenAud
	seenExp
	seenIat
	seenNbf
	seenJti
	seenClientID
	seenAzp
	seenUsername
	seenTokenType
	seenScope
	seenScp
	seenACR
	seenAuthTime
	seenAct
	seenMayAct
	seenAuthzDetails
)

// maxNumericDate is 9999-12-31T23:59:59Z.
const maxNumericDate = 253402300799

var errClaims = InvalidToken(ErrMalformed, errors.New("claims are not a valid JSON object")).at(RuleClaims)

// parseClaims parses buf into c, which takes ownership of buf: its strings
// alias it.
func parseClaims(c *Claims, buf []byte) (*Claims, claimSpans, error) {
	c.raw = buf
	var sp claimSpans
	var seen int
	var names jsonscan.NameSet
	azp := ""
	s := jsonscan.Scanner{B: buf}
	err := s.Object(true, func(name string) error {
		// A registered member is refused twice by its seen bit, and a
		// case-twin of one ("Sub") by foldsToRegistered, so only the other
		// members need the name set: one member name, one reading.
		bit, dst := 0, (*string)(nil)
		switch name {
		case "iss":
			bit, dst = seenIss, &c.Issuer
		case "sub":
			bit, dst = seenSub, &c.Subject
		case "jti":
			bit, dst = seenJti, &c.ID
		case "client_id":
			bit, dst = seenClientID, &c.ClientID
		case "azp":
			bit, dst = seenAzp, &azp
		case "username":
			bit, dst = seenUsername, &c.Username
		case "token_type":
			bit, dst = seenTokenType, &c.TokenType
		case "aud":
			if seen&seenAud != 0 {
				return jsonscan.ErrSyntax
			}
			seen |= seenAud
			return s.Strings(func(a string) error {
				if c.Audience == nil {
					c.aud1[0] = a
					c.Audience = c.aud1[:1:1]
					return nil
				}
				c.Audience = append(c.Audience, a)
				return nil
			})
		case "exp":
			return scanDate(&s, &seen, seenExp, &c.ExpiresAt)
		case "iat":
			return scanDate(&s, &seen, seenIat, &c.IssuedAt)
		case "nbf":
			return scanDate(&s, &seen, seenNbf, &c.NotBefore)
		case "scope":
			return scanSpan(&s, &seen, seenScope, &sp.scope)
		case "scp":
			return scanSpan(&s, &seen, seenScp, &sp.scp)
		case "cnf":
			return scanConfirmation(&s, &seen, &c.Confirmation)
		case "acr":
			bit, dst = seenACR, &c.ACR
		case "auth_time":
			return scanDate(&s, &seen, seenAuthTime, &c.AuthTime)
		case "act", "may_act", "authorization_details":
			return scanDelegation(&s, name, &seen, c)
		default:
			if foldsToRegistered(name) || !names.Add(name) {
				return jsonscan.ErrSyntax
			}
			return s.Skip(1)
		}
		return s.StrOnce(&seen, bit, dst)
	})
	if err != nil {
		return nil, sp, errClaims
	}
	c.seen = seen
	if c.ClientID == "" {
		c.ClientID = azp
	}
	// No spare capacity: an append by one of the requests that share cached
	// claims must copy, not write where another request's append did.
	c.Audience = c.Audience[:len(c.Audience):len(c.Audience)]
	return c, sp, nil
}

// registeredNames are the members parseClaims maps: the one list of the
// registered claim names rsguard reads (RFC 7519 §4.1, RFC 9068 §2.2, RFC
// 7662 §2.2, RFC 7800 §3).
var registeredNames = [...]string{
	"iss", "sub", "aud", "exp", "iat", "nbf", "jti",
	"client_id", "azp", "username", "token_type", "scope", "scp", "cnf",
	"acr", "auth_time", "act", "may_act", "authorization_details",
}

// foldsToRegistered reports whether name, which is not a registered member,
// equals one under Unicode case folding ("Sub", "AUD", "\u017fub"). Such a
// twin is refused: encoding/json matches struct fields that way, last member
// winning, so [Claims.Decode] into a struct tagged `json:"sub"` would read the
// twin while the validator checked "sub".
func foldsToRegistered(name string) bool {
	var lower [len("authorization_details")]byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= utf8.RuneSelf:
			return foldsToRegisteredUnicode(name)
		case i == len(lower):
			return false // more ASCII letters than any registered name has
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	for _, r := range registeredNames {
		if string(lower[:len(name)]) == r {
			return true
		}
	}
	return false
}

// foldsToRegisteredUnicode is foldsToRegistered for a name with non-ASCII
// bytes, which may fold to ASCII ("\u017f" to "s", "\u212a" to "k").
func foldsToRegisteredUnicode(name string) bool {
	if len(name) > 3*len("authorization_details") {
		return false // a rune that folds to an ASCII letter has at most 3 bytes
	}
	for _, r := range registeredNames {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}

func scanDate(s *jsonscan.Scanner, seen *int, bit int, dst *time.Time) error {
	if *seen&bit != 0 {
		return jsonscan.ErrSyntax
	}
	*seen |= bit
	f, err := s.Number()
	if err != nil || f < 0 || f > maxNumericDate {
		return jsonscan.ErrSyntax
	}
	sec := math.Floor(f)
	*dst = time.Unix(int64(sec), int64((f-sec)*1e9))
	return nil
}

func scanSpan(s *jsonscan.Scanner, seen *int, bit int, dst *jsonscan.Span) error {
	if *seen&bit != 0 {
		return jsonscan.ErrSyntax
	}
	*seen |= bit
	v, err := s.Value()
	*dst = v
	return err
}

var errScopeClaim = InvalidToken(ErrMalformed, errors.New("scope claim is not a valid scope string or array")).at(RuleScopeClaim)

// setScopes fills c.Scopes from the configured claim, or from "scope" then
// "scp". sets, if not nil, remembers the sets of values lately parsed (a Set
// is immutable, so claims may share one).
func (c *Claims) setScopes(sp claimSpans, claim string, sets *memo[scopes.Set]) error {
	var v jsonscan.Span
	switch claim {
	case "", "scope":
		v = sp.scope
		if v.End == 0 && claim == "" {
			v = sp.scp
		}
	case "scp":
		v = sp.scp
	default:
		var dup bool
		if v, dup = findMember(c.raw, claim); dup {
			return errScopeClaim
		}
	}
	if v.End == 0 {
		return nil
	}
	// c.raw is never written once parsed, so a view of it serves as the key.
	raw := unsafe.String(&c.raw[v.Start], v.End-v.Start)
	if set, ok := sets.get(raw); ok {
		c.Scopes = set
		return nil
	}
	set, err := scopeValue(c.raw[v.Start:v.End])
	if err != nil {
		return errScopeClaim
	}
	c.Scopes = set
	// The remembered set is parsed again from the memo's copy of the value:
	// set's strings alias c.raw, which would keep this token's claims alive.
	sets.put(raw, func(k string) scopes.Set {
		s, _ := scopeValue(bytesOf(k)) // the same bytes: no error
		return s
	})
	return nil
}

// scopeValue parses a scope claim's JSON value: a space-delimited string or an
// array of scope tokens.
func scopeValue(b []byte) (scopes.Set, error) {
	s := jsonscan.Scanner{B: b}
	if len(b) > 0 && b[0] == '"' {
		v, err := s.Str()
		if err != nil {
			return scopes.Set{}, err
		}
		return scopes.ParseFields(v)
	}
	var list []string
	if err := s.Strings(func(v string) error {
		list = append(list, v)
		return nil
	}); err != nil {
		return scopes.Set{}, err
	}
	return scopes.New(list...)
}

// findMember returns the span of the top-level member name's value in a
// well-formed object, or a zero span, and whether the name occurs twice
// (counting names equal to it under case folding, see [foldsToRegistered]).
func findMember(obj []byte, name string) (found jsonscan.Span, dup bool) {
	s := jsonscan.Scanner{B: obj}
	_ = s.Object(true, func(n string) error {
		v, err := s.Value()
		switch {
		case n == name:
			dup = dup || found.End != 0
			found = v
		case strings.EqualFold(n, name):
			dup = true // a case twin, which encoding/json would read as name
		}
		return err
	})
	return found, dup
}
