package middleware

import (
	"fmt"
	"io"
	"strconv"
)

// Values that hold a secret — a token, a DPoP proof — format
// as a description without it, under every verb (%v, %+v, %#v, %s, %q, %x…):
// fmt would otherwise print their unexported fields, whose String methods it
// does not call.

// Format implements fmt.Formatter: which credentials are present, and the
// request's method and URI, never the token, Authorization value or DPoP
// proof.
func (c Credentials) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "middleware.Credentials{Authorization: %s, Token: %s, DPoP: %s, Method: %q, URI: %q, PeerCertificate: %t, Route: %q}",
		redactedValues(len(c.Authorization)), redactedValue(c.Token != ""), redactedValues(len(c.DPoP)),
		c.Method, c.URI, c.PeerCertificate != nil, c.Route)
}

func redactedValue(present bool) string {
	if present {
		return "[redacted]"
	}
	return `""`
}

func redactedValues(n int) string {
	if n == 0 {
		return "[]"
	}
	return "[" + strconv.Itoa(n) + " redacted]"
}

// Format implements fmt.Formatter: the issuers, never cached keys or tokens.
func (v *Validator) Format(f fmt.State, _ rune) {
	if v == nil {
		io.WriteString(f, "<nil>")
		return
	}
	io.WriteString(f, "middleware.Validator{issuers: [")
	for i, is := range v.issuers {
		if i > 0 {
			io.WriteString(f, " ")
		}
		io.WriteString(f, strconv.Quote(is.URL))
	}
	io.WriteString(f, "]}")
}
