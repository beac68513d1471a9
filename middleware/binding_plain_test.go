package middleware

import (
	"context"
	"fmt"
	"testing"
)

// TestPlainBearer holds the request path's shortcut to bind: for every
// combination of confirmation, token_type, scheme, issuer mode and request
// mode and proof, plainBearer is true only where bind accepts.
func TestPlainBearer(t *testing.T) {
	v := newTestValidator(t, []*testKey{keyFor(t, "ES256")}, nil, nil)
	base := v.issuers[0]
	cnfs := []*Confirmation{nil, {JKT: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}, {X5TS256: "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}}
	creds := []*Credentials{nil, {}, {DPoPMode: DPoPOff}, {DPoPMode: DPoPRequired}, {DPoP: []string{"a.b.c"}}}
	plain := 0
	for _, cnf := range cnfs {
		for _, tt := range []string{"", "Bearer", "DPoP"} {
			for _, dpop := range []bool{false, true} {
				for _, mode := range []DPoPMode{DPoPOff, DPoPAllowed, DPoPRequired} {
					for ci, cred := range creds {
						is := *base
						is.dpop = mode
						c := &Claims{Confirmation: cnf, TokenType: tt}
						p := presentation{token: "t", dpop: dpop}
						if !plainBearer(c, &is, p, cred) {
							continue
						}
						plain++
						if err := v.bind(context.Background(), c, &is, p, cred); err != nil {
							t.Errorf("%s: plainBearer is true, bind = %v", fmt.Sprintf("cnf %v, token_type %q, dpop scheme %v, mode %d, cred %d", cnf != nil, tt, dpop, mode, ci), err)
						}
					}
				}
			}
		}
	}
	// The shortcut must apply to the common case at all: a bearer token
	// without cnf under DPoPOff or DPoPAllowed, with no credentials or ones
	// with neither a mode nor a proof (2 × 2 cases).
	if plain != 2*2 {
		t.Errorf("plainBearer true in %d cases, want 4", plain)
	}
	if plainBearer(&Claims{}, nil, presentation{}, nil) {
		t.Error("plainBearer true without an issuer (a cache hit of an issuer no longer configured)")
	}
}
