package grpcguard

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/credentials"

	"github.com/rsguard/rsguard/middleware"
)

// ErrInsecureTransport is returned (wrapped) by [Credentials] asked for a
// token on a connection without privacy and integrity.
var ErrInsecureTransport = errors.New("grpcguard: refusing to send an access token over an insecure connection")

// Credentials are gRPC per-RPC credentials (credentials.PerRPCCredentials)
// that send an access token from an oauth2.TokenSource as the
// "authorization: Bearer <token>" metadata of every call (RFC 6750 §2.1).
// A bearer token lets anyone who sees it act as the client (RFC 6750 §5.2),
// so by default they require transport security: gRPC refuses to use them on
// a connection without transport credentials, and each call checks that its
// connection has privacy and integrity (TLS). They are safe for concurrent
// use if the token source is (wrap it in oauth2.ReuseTokenSource to cache
// tokens).
type Credentials struct {
	ts            oauth2.TokenSource
	allowInsecure bool
}

// CredentialsOption configures [NewCredentials].
type CredentialsOption func(*Credentials)

// AllowInsecureTransport lets the credentials send tokens over connections
// without transport security, such as grpc/credentials/insecure ones — only
// for tests, or a loopback or Unix socket connection that nobody else can
// observe.
func AllowInsecureTransport() CredentialsOption {
	return func(c *Credentials) { c.allowInsecure = true }
}

// NewCredentials returns per-RPC credentials for the tokens of ts, for
// grpc.WithPerRPCCredentials or grpc.PerRPCCredentials:
//
//	ts := clientcredentials.Config{...}.TokenSource(ctx)
//	conn, err := grpc.NewClient(target,
//		grpc.WithTransportCredentials(credentials.NewTLS(nil)),
//		grpc.WithPerRPCCredentials(grpcguard.NewCredentials(ts)))
//
// NewCredentials panics if ts is nil.
func NewCredentials(ts oauth2.TokenSource, opts ...CredentialsOption) *Credentials {
	if ts == nil {
		panic("grpcguard: NewCredentials with a nil TokenSource")
	}
	c := &Credentials{ts: ts}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// GetRequestMetadata implements credentials.PerRPCCredentials: it returns the
// "authorization" metadata for a token of the source, after checking the
// connection's security (unless [AllowInsecureTransport]). It refuses a token
// that is expired, of a type other than Bearer, or not a b64token (RFC 6750
// §2.1). Errors never hold the token.
func (c *Credentials) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	if !c.allowInsecure {
		ri, _ := credentials.RequestInfoFromContext(ctx)
		if err := credentials.CheckSecurityLevel(ri.AuthInfo, credentials.PrivacyAndIntegrity); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInsecureTransport, err)
		}
	}
	tok, err := c.ts.Token()
	if err != nil {
		return nil, fmt.Errorf("grpcguard: getting a token: %w", err)
	}
	switch {
	case !tok.Valid():
		return nil, errors.New("grpcguard: the token source returned an expired or empty token")
	case !strings.EqualFold(tok.Type(), "Bearer"):
		return nil, fmt.Errorf("grpcguard: the token source returned a token of type %q, not Bearer", tok.Type())
	case !middleware.IsB64Token(tok.AccessToken):
		return nil, errors.New("grpcguard: the token source returned a token that is not a b64token (RFC 6750 §2.1)")
	}
	return map[string]string{"authorization": "Bearer " + tok.AccessToken}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials: true
// unless [AllowInsecureTransport] was given.
func (c *Credentials) RequireTransportSecurity() bool { return !c.allowInsecure }
