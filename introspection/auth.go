package introspection

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
)

// ClientAuth authenticates the resource server to the introspection endpoint
// (RFC 7662 §2.1). Authenticate adds credentials to the request's form
// parameters or headers before the request is sent; endpoint is the URL the
// request goes to. Implementations must be safe for concurrent use and must
// not log or return the credentials in errors.
//
// [ClientSecretBasic], [ClientSecretPost], [PrivateKeyJWT] and [BearerToken]
// implement the common methods. For mutual TLS (RFC 8705 §2) configure the
// client certificate on [Config.HTTPClient] and use [TLSClientAuth]. The
// values they return print as the method's name, never the credentials.
type ClientAuth interface {
	Authenticate(ctx context.Context, endpoint string, form url.Values, header http.Header) error
}

// ClientSecretBasic authenticates with HTTP Basic authentication (RFC 6749
// §2.3.1, "client_secret_basic"): the client identifier and secret are each
// form-encoded (application/x-www-form-urlencoded, RFC 6749 Appendix B) before
// they are joined with ":" and base64-encoded, so a secret containing ":", "%",
// "+", spaces or non-ASCII characters reaches the server intact.
func ClientSecretBasic(clientID, secret string) ClientAuth {
	cred := url.QueryEscape(clientID) + ":" + url.QueryEscape(secret)
	return basicAuth("Basic " + base64.StdEncoding.EncodeToString([]byte(cred)))
}

type basicAuth string

func (basicAuth) String() string   { return "client_secret_basic" }
func (basicAuth) GoString() string { return "client_secret_basic" }

func (a basicAuth) Authenticate(_ context.Context, _ string, _ url.Values, h http.Header) error {
	h.Set("Authorization", string(a))
	return nil
}

// ClientSecretPost sends the client identifier and secret as the client_id
// and client_secret form parameters (RFC 6749 §2.3.1, "client_secret_post").
// RFC 6749 recommends [ClientSecretBasic] instead.
func ClientSecretPost(clientID, secret string) ClientAuth {
	return postAuth{id: clientID, secret: secret}
}

type postAuth struct{ id, secret string }

func (postAuth) String() string   { return "client_secret_post" }
func (postAuth) GoString() string { return "client_secret_post" }

func (a postAuth) Authenticate(_ context.Context, _ string, form url.Values, _ http.Header) error {
	form.Set("client_id", a.id)
	form.Set("client_secret", a.secret)
	return nil
}

// BearerToken authenticates with an access token of the resource server's
// own (RFC 6750 §2.1), as RFC 7662 §2.1 allows. The token is sent as is;
// to refresh it, implement [ClientAuth] over an x/oauth2 TokenSource.
func BearerToken(token string) ClientAuth {
	return bearerAuth("Bearer " + token)
}

type bearerAuth string

func (bearerAuth) String() string   { return "bearer" }
func (bearerAuth) GoString() string { return "bearer" }

func (a bearerAuth) Authenticate(_ context.Context, _ string, _ url.Values, h http.Header) error {
	if a == "Bearer " {
		return errors.New("introspection: empty bearer token")
	}
	h.Set("Authorization", string(a))
	return nil
}

// TLSClientAuth sends only the client_id form parameter, for mutual TLS
// client authentication (RFC 8705 §2), where the TLS client certificate
// configured on [Config.HTTPClient] authenticates the client.
func TLSClientAuth(clientID string) ClientAuth { return tlsAuth(clientID) }

type tlsAuth string

func (a tlsAuth) Authenticate(_ context.Context, _ string, form url.Values, _ http.Header) error {
	form.Set("client_id", string(a))
	return nil
}
