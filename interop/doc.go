// Package interop holds rsguard's interoperability tests against real,
// independently written OAuth 2.0 authorization servers, started in-process on
// 127.0.0.1 from the Go module proxy: the zitadel/oidc OpenID Provider and an
// ory/fosite OAuth 2.0 server. It is a nested module, so that rsguard itself
// never depends on them, and it has no API: everything is in its tests.
//
// Each server is driven end to end through its own endpoints: discovery (where
// it serves it), JWKS, tokens obtained from its token endpoint with the
// client_credentials grant (RFC 6749 §4.4), introspection (RFC 7662),
// revocation (RFC 7009) and signing-key rotation. Where a server departs from
// an RFC, the test that meets it names the rsguard setting that copes with
// it; the table in README.md lists them.
//
// DPoP (RFC 9449) is tested with proofs made by independent clients —
// Bluesky's indigo OAuth client and go-jose — against oauthtest's token
// endpoint and rsguard's guard with server nonces.
package interop
