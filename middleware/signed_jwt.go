package middleware

import (
	"context"
	"errors"
	"slices"

	"github.com/rsguard/rsguard/internal/jose"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// ErrSignedResponse is the reason of the errors of [VerifySignedJWT]: a
// signed response of the authorization server that does not verify.
var ErrSignedResponse = errors.New("middleware: signed response refused")

// VerifySignedJWT verifies a compact JWS that the authorization server
// signed — not an access token: a response such as an RFC 9701 JWT
// introspection answer — and returns its payload. The header's "alg" must be
// one of algs (default [DefaultAlgorithms]; never "none"), its "typ" equal
// typ as [Issuer.Types] compares them (the "application/" prefix optional,
// case-insensitive), it must not carry "crit", and the signature must
// verify with the key of keys that "kid" names. The payload's claims are
// the caller's to check. Errors match [ErrUnavailable] (the server's answer
// cannot be trusted, so the token is neither accepted nor refused) and
// [ErrSignedResponse]; they never quote the token.
func VerifySignedJWT(ctx context.Context, keys jwks.Source, algs []string, typ, token string) ([]byte, error) {
	if len(algs) == 0 {
		algs = DefaultAlgorithms()
	}
	var j jws
	if err := splitJWS(token, &j); err != nil {
		return nil, signedRefused("not a compact JWS")
	}
	want := issuer{types: []string{normalizeType(typ)}}
	switch {
	case !slices.Contains(algs, j.alg) || !knownAlg(j.alg):
		return nil, signedRefused("algorithm not allowed")
	case !want.typeAllowed(j.typ, j.hasTyp):
		return nil, signedRefused("wrong typ")
	}
	key, err := keys.LookupKey(ctx, j.kid)
	if err != nil || key == nil {
		return nil, signedRefused("no key for its kid")
	}
	if !key.Accepts(j.alg) || !j.verify(key) {
		return nil, signedRefused("signature does not verify")
	}
	buf := make([]byte, jose.DecodedLen(len(j.payload)))
	n, err := jose.DecodeInto(buf, j.payload)
	if err != nil {
		return nil, signedRefused("payload is not base64url")
	}
	return buf[:n:n], nil
}

func signedRefused(why string) *Error {
	return Unavailable(ErrSignedResponse, errors.New("middleware: signed response: "+why))
}
