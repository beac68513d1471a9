// Package jwks holds the verification keys of rsguard's validator: [Key]
// (one key, converted to its Go form once), the [Source] interface an
// issuer's keys come from (middleware.Issuer.Keys), fixed key sets
// ([Static], from Go keys, a JWK Set document — RFC 7517 §5 — or PEM), and
// [Remote], the JWK Set of an authorization server fetched over HTTPS from
// its "jwks_uri" (RFC 8414 §2, found by discovery or given), kept fresh in
// the background and through outages for a bounded time.
//
// The happy path, for an API that trusts one issuer:
//
//	keys, err := jwks.NewRemote(ctx, "https://auth.example.com/", nil) // discovers, fetches before returning
//	if err != nil {
//		log.Fatal(err) // discovery or the first fetch failed
//	}
//	defer keys.Close() // stops the background refresh
//	v, err := middleware.NewValidator(middleware.Issuer{
//		URL:       "https://auth.example.com/",
//		Audiences: []string{"https://api.example.com"},
//		Keys:      keys,
//	}, nil)
//
// (middleware.NewIssuerValidator does the same in one call and owns the key
// source.) A Source answers a key it does not hold with [ErrUnknownKey]
// (the validator refuses the token: 401) and keys it cannot obtain with
// [ErrUnavailable] (the validator answers 503: the token may be valid).
// [Config] tunes a Remote: refresh intervals, the rate limit of refreshes
// for unknown key IDs, the maximum staleness, size limits, the HTTP client
// and an observer of its fetches ([Hooks]; middleware.Hooks.JWKS adapts a
// validator's hooks).
//
// The package imports nothing of middleware, so that middleware can build
// the key sources it owns.
package jwks
