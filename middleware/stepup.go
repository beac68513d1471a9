package middleware

import (
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/rsguard/rsguard/scopes"
)

// CodeInsufficientUserAuthentication is the RFC 9470 §3 error code: the
// user's authentication does not meet the route's acr or max_age. It is of
// category ErrInvalidToken (401).
const CodeInsufficientUserAuthentication = "insufficient_user_authentication"

// ErrInsufficientUserAuthentication is the reason of a step-up refusal (RFC
// 9470 §3): the token's "acr" is not one the route accepts, or its
// "auth_time" is older than the route's max_age or absent. Its category is
// ErrInvalidToken, its code [CodeInsufficientUserAuthentication], and the
// [*Error]'s ACRValues and MaxAge say what a new authentication must meet.
var ErrInsufficientUserAuthentication = errors.New("middleware: insufficient user authentication")

// ACR returns the step-up requirement that the token's "acr" claim
// ([Claims.ACR], from the JWT or the introspection answer) be one of values
// (RFC 9470 §2), listed in the route's order of preference. A token without
// it or with another is refused with 401 insufficient_user_authentication
// and acr_values="values…" (§3). It panics if values is empty or holds an
// empty value or one with a space, a quote, a backslash or a character
// outside printable ASCII, which acr_values could not carry.
func ACR(values ...string) scopes.GrantRequirement {
	values = mustNames("ACR", values)
	for _, v := range values {
		if !acrValueOK(v) {
			panic("middleware: ACR() value " + strconv.Quote(v) + " cannot appear in a challenge")
		}
	}
	return &claimReq{
		need:   "acr " + quoted(values, " or "),
		stepUp: &scopes.Unmet{ACRValues: values},
		ok:     func(c *Claims, _ time.Time) bool { return slices.Contains(values, c.ACR) },
	}
}

// MaxAge returns the step-up requirement that the user authenticated at
// most d ago: that "auth_time" ([Claims.AuthTime]) be present and no older
// than d at the validator's clock, without leeway (RFC 9470 §2). A token
// that fails is refused with 401 insufficient_user_authentication and
// max_age=seconds (§3). d is rounded down to whole seconds; it panics if
// that is less than one.
func MaxAge(d time.Duration) scopes.GrantRequirement {
	d = d.Truncate(time.Second)
	if d < time.Second {
		panic("middleware: MaxAge() under one second")
	}
	return &claimReq{
		need:   "max_age " + strconv.FormatInt(int64(d/time.Second), 10),
		stepUp: &scopes.Unmet{MaxAge: d},
		ok: func(c *Claims, now time.Time) bool {
			return !c.AuthTime.IsZero() && !now.After(c.AuthTime.Add(d))
		},
	}
}

// InsufficientUserAuthentication returns the RFC 9470 §3 refusal: a 401
// whose challenge carries acr_values (when acrValues is not empty) and
// max_age (when maxAge is at least a second).
func InsufficientUserAuthentication(acrValues []string, maxAge time.Duration) *Error {
	e := newError(ErrInvalidToken, ErrInsufficientUserAuthentication, nil)
	e.Description = "a more recent or stronger authentication of the user is required"
	e.ACRValues = slices.Clone(acrValues)
	e.MaxAge = maxAge.Truncate(time.Second)
	e.Rule = RuleScope
	return e
}

// StepUpAttributes returns the acr_values and max_age attributes that the
// challenge answering err carries (RFC 9470 §3), "" for none: for front
// doors without WWW-Authenticate (gRPC, Connect) to tell the client what
// a new authentication must meet. acrValues is space-separated; maxAge is
// in whole seconds.
func StepUpAttributes(err error) (acrValues, maxAge string) {
	if err == nil {
		return "", ""
	}
	return stepUpAttrs(AsError(err))
}
