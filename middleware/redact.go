package middleware

import (
	"fmt"
	"io"
	"strconv"
)

// Values that hold a secret — a token, a DPoP proof, an HMAC key — format
// as a description without it, under every verb (%v, %+v, %#v, %s, %q, %x…):
// fmt would otherwise print their unexported fields, whose String methods it
// does not call.

// Format implements fmt.Formatter: the key's ID, algorithm and type, never
// an HMAC secret.
func (k *Key) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'p':
		type plain Key // no methods: %p prints the address
		fmt.Fprintf(f, "%p", (*plain)(k))
		return
	case k == nil:
		io.WriteString(f, "<nil>")
		return
	}
	io.WriteString(f, "middleware.Key{id: "+strconv.Quote(k.id)+", alg: "+strconv.Quote(k.alg)+", family: "+k.family+"}")
}

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

// Format implements fmt.Formatter: the key IDs, never an HMAC secret (fmt
// prints the keys of unexported fields in full under verbs such as %s).
func (s *StaticKeys) Format(f fmt.State, _ rune) {
	if s == nil {
		io.WriteString(f, "<nil>")
		return
	}
	fmt.Fprintf(f, "middleware.StaticKeys{%d keys}", len(s.byID))
}

// Format implements fmt.Formatter: the JWKS URL and the number of keys.
func (rk *RemoteKeys) Format(f fmt.State, _ rune) {
	if rk == nil {
		io.WriteString(f, "<nil>")
		return
	}
	n := 0
	if s := rk.snap.Load(); s != nil {
		n = len(s.keys)
	}
	rk.mu.Lock()
	u := rk.url
	rk.mu.Unlock()
	fmt.Fprintf(f, "middleware.RemoteKeys{issuer: %q, url: %q, %d keys}", rk.issuer, u, n)
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
