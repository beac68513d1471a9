package introspection

import (
	"fmt"
	"io"
)

// The client authentications and the introspector hold client secrets,
// bearer tokens and private keys in unexported fields, which fmt prints
// under %v, %+v and %#v without calling their String methods. Each formats
// as a description without them, under every verb.

// Format implements fmt.Formatter: the endpoint and the authentication
// method, never the client credentials.
// A value receiver, so that a dereferenced Introspector is covered too.
func (in Introspector) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "introspection.Introspector{endpoint: %q, auth: %s}", in.endpoint, authName(in.auth))
}

// authName names a ClientAuth by its String method when it is one of ours,
// else by its type: a user's implementation might print its secret.
func authName(a ClientAuth) string {
	switch a := a.(type) {
	case basicAuth, postAuth, bearerAuth, tlsAuth, *assertionAuth:
		return a.(fmt.Stringer).String()
	}
	return fmt.Sprintf("%T", a)
}

// Format implements fmt.Formatter (no secret under any verb).
func (a basicAuth) Format(f fmt.State, _ rune) { io.WriteString(f, a.String()) }

// Format implements fmt.Formatter (no secret under any verb).
func (a postAuth) Format(f fmt.State, _ rune) { io.WriteString(f, a.String()) }

// Format implements fmt.Formatter (no secret under any verb).
func (a bearerAuth) Format(f fmt.State, _ rune) { io.WriteString(f, a.String()) }

// Format implements fmt.Formatter (no secret under any verb).
func (a *assertionAuth) Format(f fmt.State, _ rune) { io.WriteString(f, a.String()) }

// String names the method (RFC 8705 §2); the client ID is no secret.
func (a tlsAuth) String() string { return "tls_client_auth" }

// GoString is String.
func (a tlsAuth) GoString() string { return a.String() }
