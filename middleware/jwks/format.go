package jwks

import (
	"fmt"
	"io"
	"strconv"
)

// Key sets may hold HMAC secrets: their values format as a description
// without them, under every verb (%v, %+v, %#v, %s, %q, %x…); fmt would
// otherwise print their unexported fields.

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
	io.WriteString(f, "jwks.Key{id: "+strconv.Quote(k.id)+", alg: "+strconv.Quote(k.alg)+", family: "+k.family+"}")
}

// Format implements fmt.Formatter: the number of keys, never an HMAC secret
// (fmt prints the keys of unexported fields in full under verbs such as %s).
func (s *Static) Format(f fmt.State, _ rune) {
	if s == nil {
		io.WriteString(f, "<nil>")
		return
	}
	fmt.Fprintf(f, "jwks.Static{%d keys}", len(s.byID))
}

// Format implements fmt.Formatter: the issuer, the JWKS URL and the number
// of keys.
func (rk *Remote) Format(f fmt.State, _ rune) {
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
	fmt.Fprintf(f, "jwks.Remote{issuer: %q, url: %q, %d keys}", rk.issuer, u, n)
}
