package introspection

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rsguard/rsguard/middleware"
)

// ErrMalformedResponse is the cause of the [middleware.ErrUnavailable] error
// returned for a response that is not one JSON object with a boolean "active"
// member (RFC 7662 §2.2), or whose registered members have the wrong type. A
// malformed answer is the authorization server's fault, so the token is
// neither accepted nor refused.
var ErrMalformedResponse = errors.New("introspection: malformed response")

// parseResponse parses an RFC 7662 §2.2 response body. "active" must occur
// once, as a JSON boolean; an active token's members are mapped by
// [middleware.ParseClaims], which keeps the ones it does not know (such as
// "cnf") in the raw claims. It returns the claims of an active token, the
// inactive error, or an unavailable error wrapping ErrMalformedResponse.
func parseResponse(body []byte, scopeClaim string) (*middleware.Claims, error) {
	active, err := activeMember(body)
	if err != nil {
		return nil, unavailable(fmt.Errorf("%w: %w", ErrMalformedResponse, err))
	}
	if !active {
		return nil, errInactive
	}
	c, err := middleware.ParseClaims(body, scopeClaim)
	if err != nil {
		// ParseClaims' errors name the problem without quoting the input.
		return nil, unavailable(fmt.Errorf("%w: %w", ErrMalformedResponse, err))
	}
	return c, nil
}

var (
	errNotObject    = errors.New("not a JSON object")
	errNoActive     = errors.New(`no "active" member`)
	errActiveType   = errors.New(`"active" is not a boolean`)
	errActiveTwice  = errors.New(`"active" occurs twice (perhaps in another case)`)
	errTrailingData = errors.New("data after the JSON object")
)

// activeMember reads the top-level "active" member of the JSON object body,
// checking the whole document's syntax with encoding/json. A repeated
// "active", also in another case ("Active"), is an error. Its errors never
// quote the body.
func activeMember(body []byte) (bool, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false, errNotObject
	}
	var active, seen bool
	for dec.More() {
		tok, err := dec.Token()
		name, ok := tok.(string)
		if err != nil || !ok {
			return false, errNotObject
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return false, errNotObject
		}
		if name != "active" {
			if strings.EqualFold(name, "active") {
				// A case twin such as "Active", which encoding/json would
				// read as "active" (last member winning): ambiguous.
				return false, errActiveTwice
			}
			continue
		}
		if seen {
			return false, errActiveTwice
		}
		seen = true
		switch string(v) {
		case "true":
			active = true
		case "false":
		default:
			return false, errActiveType
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return false, errNotObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return false, errTrailingData
	}
	if !seen {
		return false, errNoActive
	}
	return active, nil
}
