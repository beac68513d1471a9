package middleware

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// opaqueRoutes says which introspecting issuers an opaque token goes to. An
// opaque token names no issuer: one that begins with an issuer's
// OpaquePrefix goes to that issuer alone; any other goes to the issuers
// without a prefix, in the order configured, until one answers active.
type opaqueRoutes struct {
	prefixed []*issuer // longest prefix first
	ordered  []*issuer
}

func (r *opaqueRoutes) build(issuers []*issuer, max int) error {
	if max == 0 {
		max = DefaultMaxIntrospections
	}
	for _, is := range issuers {
		switch {
		case is.Introspector == nil:
			if is.OpaquePrefix != "" {
				return fmt.Errorf("middleware: issuer %q: OpaquePrefix without an Introspector", is.URL)
			}
		case is.OpaquePrefix != "":
			for _, o := range r.prefixed {
				if strings.HasPrefix(o.OpaquePrefix, is.OpaquePrefix) || strings.HasPrefix(is.OpaquePrefix, o.OpaquePrefix) {
					return fmt.Errorf("middleware: issuers %q and %q: OpaquePrefix %q and %q overlap", o.URL, is.URL, o.OpaquePrefix, is.OpaquePrefix)
				}
			}
			r.prefixed = append(r.prefixed, is)
		default:
			r.ordered = append(r.ordered, is)
		}
	}
	if len(r.ordered) > max {
		return fmt.Errorf("middleware: %d issuers introspect opaque tokens without an OpaquePrefix, over Config.MaxIntrospections (%d): set OpaquePrefix or raise the bound", len(r.ordered), max)
	}
	return nil
}

// introspectOpaque resolves an opaque token through the introspecting
// issuers it may belong to: the one whose OpaquePrefix it begins with, else
// each issuer without a prefix in order. The first active answer decides
// (its claims are checked against that issuer); when none is active, an
// undecided answer (ErrUnavailable) wins over inactive ones, since the
// token may belong to the issuer that could not answer.
func (v *Validator) introspectOpaque(ctx context.Context, token string, now time.Time) (*Claims, *issuer, error) {
	for _, is := range v.opaque.prefixed {
		if strings.HasPrefix(token, is.OpaquePrefix) {
			c, err := v.introspect(ctx, is, token, now)
			return c, is, err
		}
	}
	var undecided error
	var last *issuer
	for _, is := range v.opaque.ordered {
		c, err := v.introspect(ctx, is, token, now)
		last = is
		switch {
		case err == nil:
			return c, is, nil
		case errors.Is(err, ErrInactive):
			continue
		case errors.Is(err, ErrUnavailable):
			if undecided == nil {
				undecided = err
			}
			continue
		}
		return nil, is, err // active, but refused by this issuer's checks
	}
	if undecided != nil {
		return nil, nil, undecided
	}
	if last == nil {
		return nil, nil, invalid(ErrMalformed) // prefixed issuers only, and no prefix matches
	}
	return nil, nil, errInactive
}

var errInactive = invalid(ErrInactive)
