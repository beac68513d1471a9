// Package oauthtest provides an in-process OAuth 2.0 authorization server for
// tests, shaped like net/http/httptest. It is for tests only: its keys,
// clients and tokens live in memory, it approves every authorization request
// without asking anyone, and it serves plain HTTP on 127.0.0.1.
//
// A [Server] publishes discovery metadata (OpenID Connect Discovery 1.0 and
// RFC 8414), a JWK Set (RFC 7517), mints RFC 9068 JWT access tokens and opaque
// tokens, answers RFC 7662 introspection, and runs a token endpoint for the
// client credentials grant and the authorization code grant with PKCE
// (RFC 7636, S256 only); a request naming resource indicators (RFC 8707,
// as MCP clients send) gets a token with them as its audience. Faults — error statuses, delays, garbage bodies,
// Cache-Control headers — can be injected per endpoint with [Server.SetFault]
// to test how a resource server copes with a misbehaving authorization server.
//
// Sender-constrained tokens: [TokenOptions.JKT] and [TokenOptions.CertThumbprint]
// bind a token to a DPoP key (RFC 9449 §6) or a client certificate (RFC 8705
// §3.1); the token endpoint verifies a request's DPoP proof and binds the token
// it issues to the proof's key (RFC 9449 §5), requiring a server nonce with
// [Config.RequireDPoPNonce] (§8); [NewDPoPKey] makes proofs for tests and
// [NewClientCertificate] client certificates for mutual TLS.
//
// Every method of a Server is safe for concurrent use.
//
// The happy path, in a test:
//
//	as := oauthtest.NewServer(nil)
//	defer as.Close()
//	v, err := middleware.NewIssuerValidator(ctx,
//		middleware.Issuer{URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}},
//		&middleware.Config{RemoteKeys: &jwks.Config{HTTPClient: as.Client()}})
//	tok := as.Token(oauthtest.TokenOptions{Scopes: []string{"orders:read"}})
//	req.Header.Set("Authorization", "Bearer "+tok)
package oauthtest
