package dpop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// TokenSource supplies the access token a [Transport] presents. It must be
// safe for concurrent use.
type TokenSource interface {
	// AccessToken returns the current DPoP-bound access token.
	AccessToken(ctx context.Context) (string, error)
}

// StaticToken is a [TokenSource] that always returns the same token.
type StaticToken string

// AccessToken returns the token.
func (t StaticToken) AccessToken(context.Context) (string, error) { return string(t), nil }

// String hides the token from %v, %s and %q.
func (t StaticToken) String() string { return "dpop.StaticToken(REDACTED)" }

// GoString hides the token from %#v.
func (t StaticToken) GoString() string { return t.String() }

// Transport is an [http.RoundTripper] that adds a DPoP proof (RFC 9449 §4)
// to every request: "htm" and "htu" of the request, "iat" now, a fresh
// "jti", "ath" when the request presents a token with the DPoP scheme
// (§7.1), and the server's "nonce" once it has given one (§8, §9).
//
// When a server answers that it wants a (new) nonce — a resource server's
// 401 with a DPoP challenge carrying error="use_dpop_nonce" (§9), a token
// endpoint's 400 with error "use_dpop_nonce" (§8) — together with a
// DPoP-Nonce header, the Transport retries the request once with a new proof
// carrying that nonce, provided the request body can be replayed
// (http.NewRequest sets GetBody for the usual body types). It remembers the
// latest DPoP-Nonce of every origin (scheme, host and port), from any
// answer, for that origin's next requests.
//
// Use it below an oauth2.Transport, whose "DPoP" token type yields
// "Authorization: DPoP <token>", or set [Transport.Token]. A Transport is
// safe for concurrent use; do not copy one after first use.
type Transport struct {
	// Key signs the proofs. Required: a Transport without a Key refuses
	// every request.
	Key *Key
	// Token, when set, is presented as "Authorization: DPoP <token>" on
	// requests that carry no Authorization header. Default nil: requests go
	// as they are (the token request of a client, or requests whose
	// Authorization a wrapping transport sets).
	Token TokenSource
	// Base sends the requests. Default [http.DefaultTransport].
	Base http.RoundTripper
	// Now returns the time for "iat". Default time.Now.
	Now func() time.Time

	nonces nonceCache
}

// RoundTrip signs a proof for req and sends it, retrying once with the
// server's nonce when asked to. It does not modify req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	origin := originOf(req.URL)
	sent := t.nonces.get(origin)
	out, err := t.prepare(req, req.Body, sent)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.base().RoundTrip(out)
	if err != nil {
		return nil, err
	}
	nonce := resp.Header.Get("DPoP-Nonce")
	if nonce == "" {
		return resp, nil
	}
	t.nonces.set(origin, nonce)
	if nonce == sent || !replayable(req) || !asksForNonce(resp) {
		return resp, nil
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	resp.Body.Close()
	body, err := freshBody(req)
	if err != nil {
		return nil, err
	}
	// The retry carries the nonce of this answer, not the cache's: another
	// request's older answer may have set the cache since.
	if out, err = t.prepare(req, body, nonce); err != nil {
		body.Close()
		return nil, err
	}
	return t.base().RoundTrip(out)
}

// prepare returns a copy of req with body, the Authorization of Token if
// needed, and a new proof carrying nonce ("" for none).
func (t *Transport) prepare(req *http.Request, body io.ReadCloser, nonce string) (*http.Request, error) {
	if t.Key == nil {
		return nil, errors.New("dpop: Transport has no Key")
	}
	out := req.Clone(req.Context())
	out.Body = body
	token, err := t.token(out)
	if err != nil {
		return nil, err
	}
	c := Claims{Method: req.Method, URI: targetURI(req.URL), AccessToken: token, Nonce: nonce}
	if t.Now != nil {
		c.IssuedAt = t.Now()
	}
	proof, err := t.Key.Sign(c)
	if err != nil {
		return nil, err
	}
	out.Header.Set("DPoP", proof)
	return out, nil
}

// token sets the Authorization of Token when out has none, and returns the
// token that out presents with the DPoP scheme, or "".
func (t *Transport) token(out *http.Request) (string, error) {
	if t.Token != nil && out.Header.Get("Authorization") == "" {
		tok, err := t.Token.AccessToken(out.Context())
		if err != nil {
			return "", err
		}
		out.Header.Set("Authorization", "DPoP "+tok)
	}
	scheme, tok, ok := strings.Cut(out.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "DPoP") {
		return "", nil
	}
	return strings.TrimLeft(tok, " "), nil
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

// maxDrain bounds what is read of an answer before a retry, and maxErrorBody
// what is read of a 400 to find its error code.
const (
	maxDrain     = 64 << 10
	maxErrorBody = 4 << 10
)

// asksForNonce reports whether resp asks for a DPoP nonce: a 401 whose DPoP
// challenge has error="use_dpop_nonce" (RFC 9449 §9), or a 400 whose JSON
// body's error is "use_dpop_nonce" (§8). A 400 body it reads is put back.
func asksForNonce(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		for _, v := range resp.Header.Values("WWW-Authenticate") {
			if challengeAsksForNonce(v) {
				return true
			}
		}
	case http.StatusBadRequest:
		head, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
		var e struct {
			Error string `json:"error"`
		}
		return json.Unmarshal(head, &e) == nil && e.Error == "use_dpop_nonce"
	}
	return false
}

// challengeAsksForNonce reports whether a WWW-Authenticate value (one or
// more challenges, RFC 9110 §11.6.1) holds a DPoP challenge with
// error="use_dpop_nonce", quoted or not.
func challengeAsksForNonce(v string) bool {
	scheme := ""
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if sp, eq := strings.IndexByte(item, ' '), strings.IndexByte(item, '='); sp > 0 && (eq < 0 || sp < eq) {
			scheme, item = item[:sp], strings.TrimSpace(item[sp+1:]) // a new challenge
		} else if eq < 0 && item != "" && !strings.Contains(item, `"`) {
			scheme, item = item, "" // a challenge without parameters
		}
		name, val, ok := strings.Cut(item, "=")
		if ok && strings.EqualFold(scheme, "DPoP") && strings.EqualFold(strings.TrimSpace(name), "error") &&
			strings.Trim(strings.TrimSpace(val), `"`) == "use_dpop_nonce" {
			return true
		}
	}
	return false
}

type readCloser struct {
	io.Reader
	io.Closer
}

func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func freshBody(req *http.Request) (io.ReadCloser, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req.Body, nil
	}
	return req.GetBody()
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
