package main

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/rsguard/rsguard/middleware"
)

// writeClaims prints claims as an indented JSON object: every member as
// received, with the registered members normalized as the library reads
// them — "aud" always an array, "exp", "iat" and "nbf" whole seconds,
// "client_id" falling back to "azp", "scope" space-delimited from whichever
// claim held the scopes.
func writeClaims(w io.Writer, c *middleware.Claims) error {
	m := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(c.Raw()))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return err
	}
	set := func(name string, v any, present bool) {
		if present {
			m[name] = v
		}
	}
	set("iss", c.Issuer, c.Issuer != "")
	set("sub", c.Subject, c.Subject != "")
	set("aud", c.Audience, len(c.Audience) > 0)
	set("exp", c.ExpiresAt.Unix(), !c.ExpiresAt.IsZero())
	set("iat", c.IssuedAt.Unix(), !c.IssuedAt.IsZero())
	set("nbf", c.NotBefore.Unix(), !c.NotBefore.IsZero())
	set("jti", c.ID, c.ID != "")
	set("client_id", c.ClientID, c.ClientID != "")
	set("username", c.Username, c.Username != "")
	set("token_type", c.TokenType, c.TokenType != "")
	set("scope", c.Scopes.String(), c.Scopes.Len() > 0)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(m)
}
