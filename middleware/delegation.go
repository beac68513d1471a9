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

// Actor is the "act" claim of a token issued by token exchange (RFC 8693
// §4.1): the party acting on behalf of the token's subject, and in Actor the
// one that acted before it, and so on. Only the outermost actor — the one
// at Claims.Actor — is the current actor: RFC 8693 §4.1 says the nested ones
// are history, "informational only", and not to be used for access control.
// Authorize on the subject together with the current actor (see
// [ActorSubject]).
//
// The same type holds "may_act" (§4.4): who may act for the subject.
type Actor struct {
	Subject  string // "sub"
	Issuer   string // "iss"
	ClientID string // "client_id" (§4.3)
	// Actor is the nested "act": the previous actor in the chain; nil at its
	// end.
	Actor *Actor

	raw []byte // the whole object
}

// Raw returns a copy of the actor's JSON object, for its other members.
func (a *Actor) Raw() json.RawMessage { return append(json.RawMessage(nil), a.raw...) }

// Chain returns the actors from the current one to the first.
func (a *Actor) Chain() []*Actor {
	var out []*Actor
	for ; a != nil; a = a.Actor {
		out = append(out, a)
	}
	return out
}

// maxActors bounds the nesting of "act" (a chain of token exchanges).
const maxActors = 16

var errActor = errors.New("middleware: malformed act or may_act claim")

// scanActor scans an "act" or "may_act" object. RFC 8693 §4.1: its members are
// JSON strings where registered; a nested "act" continues the chain. Other
// members, such as "exp", are kept in raw only: they do not apply to the
// actor (§4.1).
func scanActor(s *jsonscan.Scanner, depth int) (*Actor, error) {
	if depth > maxActors || s.Peek() != '{' {
		return nil, errActor
	}
	a := &Actor{}
	start := s.I
	var names jsonscan.NameSet
	err := s.Object(false, func(name string) error {
		if !names.Add(name) {
			return errActor
		}
		var dst *string
		switch name {
		case "sub":
			dst = &a.Subject
		case "iss":
			dst = &a.Issuer
		case "client_id":
			dst = &a.ClientID
		case "act":
			var err error
			a.Actor, err = scanActor(s, depth+1)
			return err
		default:
			for _, m := range [...]string{"sub", "iss", "client_id", "act"} {
				if strings.EqualFold(name, m) {
					return errActor // a case twin, which encoding/json would read as m
				}
			}
			return s.Skip(2)
		}
		v, err := s.Str()
		*dst = v
		return err
	})
	if err != nil {
		return nil, errActor
	}
	a.raw = s.B[start:s.I]
	return a, nil
}

// ActorSubject returns the requirement that the token be delegated (RFC
// 8693 §4.1) and that its current actor — the outermost "act", never one
// nested in it — have a "sub" equal to one of subjects. Authorize on the
// subject (who the token speaks for) together with this: a token without
// "act" does not meet it. It panics if subjects is empty or holds "".
func ActorSubject(subjects ...string) scopes.GrantRequirement {
	subjects = mustNames("ActorSubject", subjects)
	return &claimReq{need: "actor " + quoted(subjects, " or "), ok: func(c *Claims, _ time.Time) bool {
		return c.Actor != nil && slices.Contains(subjects, c.Actor.Subject)
	}}
}
