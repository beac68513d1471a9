package introspection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// ContentTypeJWT is the media type of a JWT introspection answer (RFC 9701
// §5, §12.2).
const ContentTypeJWT = "application/token-introspection+jwt"

// JWTResponse configures JWT introspection answers (RFC 9701): the
// introspector asks for one (Accept: application/token-introspection+jwt,
// §4) and accepts only an answer signed by the authorization server whose
// header "typ" is token-introspection+jwt, whose "iss" is the server's
// issuer identifier, whose "aud" is this resource server's client
// identifier and which has "iat" (§5); the RFC 7662 answer is its
// "token_introspection" member. Any other answer is an error matching
// [middleware.ErrUnavailable]: the token is neither accepted nor refused.
type JWTResponse struct {
	// Keys verifies the answers' signatures: the authorization server's
	// keys (as for its access tokens, e.g. [jwks.NewRemote]).
	// Required.
	Keys jwks.Source
	// Issuer is the authorization server's issuer identifier, which "iss"
	// must equal. Required.
	Issuer string
	// ClientID is this resource server's client identifier at the
	// authorization server, which "aud" must hold. Required.
	ClientID string
	// Algorithms is the JWS algorithm allow-list. Default
	// [middleware.DefaultAlgorithms].
	Algorithms []string
	// AllowJSON accepts a plain application/json answer too, from a server
	// that ignores the Accept header. Default false: with JWTResponse set,
	// only a verified JWT answer is accepted (RFC 9701 §4 leaves the
	// format to the server; an unsigned answer forgoes what this buys).
	AllowJSON bool
}

func (r *JWTResponse) check() error {
	switch {
	case r.Keys == nil:
		return errors.New("introspection: JWTResponse.Keys is required")
	case r.Issuer == "":
		return errors.New("introspection: JWTResponse.Issuer is required")
	case r.ClientID == "":
		return errors.New("introspection: JWTResponse.ClientID is required")
	}
	return nil
}

// accept is the Accept header of the introspection request.
func (r *JWTResponse) accept() string {
	if r == nil {
		return "application/json"
	}
	if r.AllowJSON {
		return ContentTypeJWT + ", application/json;q=0.5"
	}
	return ContentTypeJWT
}

// ErrJWTResponse is the cause of the [middleware.ErrUnavailable] error for
// a JWT introspection answer that does not verify (RFC 9701 §5), or a plain
// JSON answer where [JWTResponse] requires a JWT.
var ErrJWTResponse = errors.New("introspection: JWT response refused")

// verifyJWT verifies an RFC 9701 answer and returns its RFC 7662 answer.
func (r *JWTResponse) verifyJWT(ctx context.Context, body []byte) ([]byte, error) {
	payload, err := middleware.VerifySignedJWT(ctx, r.Keys, r.Algorithms, "token-introspection+jwt", string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJWTResponse, err)
	}
	c, err := middleware.ParseClaims(payload, "")
	if err != nil {
		return nil, fmt.Errorf("%w: claims: %w", ErrJWTResponse, err)
	}
	var inner json.RawMessage
	ok, err := c.Claim("token_introspection", &inner)
	switch {
	case c.Issuer != r.Issuer:
		return nil, fmt.Errorf("%w: iss is not the authorization server", ErrJWTResponse)
	case !slices.Contains(c.Audience, r.ClientID):
		return nil, fmt.Errorf("%w: aud is not this client", ErrJWTResponse)
	case c.IssuedAt.IsZero():
		return nil, fmt.Errorf("%w: no iat", ErrJWTResponse)
	case err != nil || !ok || len(inner) == 0 || inner[0] != '{':
		return nil, fmt.Errorf("%w: no token_introspection object", ErrJWTResponse)
	}
	return inner, nil
}
