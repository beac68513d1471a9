package introspection

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/rsguard/rsguard/internal/httpx"
	"github.com/rsguard/rsguard/middleware"
)

// StatusError is the cause of the [middleware.ErrUnavailable] error returned
// when the endpoint answers with a status other than 200 OK (RFC 7662 §2.2).
// The response body is never kept: it might echo the token.
type StatusError struct {
	StatusCode int
	// refused explains a 401 or 403: the server refuses our credentials.
	refused *middleware.Misconfiguration
}

func (e *StatusError) Error() string {
	if e.refused != nil {
		return fmt.Sprintf("introspection: endpoint answered HTTP %d: %s", e.StatusCode, e.refused.Hint)
	}
	return fmt.Sprintf("introspection: endpoint answered HTTP %d", e.StatusCode)
}

// Unwrap returns, for a 401 or 403 answer, the [middleware.Misconfiguration]
// that explains it: the authorization server refuses this resource server's
// client credentials, a configuration error rather than an outage.
func (e *StatusError) Unwrap() error {
	if e.refused == nil {
		return nil
	}
	return e.refused
}

// statusError returns the cause for an answer of status code.
func (in *Introspector) statusError(code int) *StatusError {
	e := &StatusError{StatusCode: code}
	if code == http.StatusUnauthorized || code == http.StatusForbidden {
		method := "the configured client authentication"
		if s, ok := in.auth.(fmt.Stringer); ok {
			method = s.String()
		}
		e.refused = &middleware.Misconfiguration{
			Rule:     middleware.RuleIntrospection,
			Expected: "HTTP 200 to " + method + " at " + middleware.Quote(in.endpoint),
			Received: fmt.Sprintf("HTTP %d", code),
			Hint:     "the authorization server refuses this resource server's client credentials (RFC 7662 §2.1): check the client ID, the secret or key, and the authentication method registered for it; every opaque token is undecided (503) until then",
		}
	}
	return e
}

// ErrResponseTooLarge is the cause of the [middleware.ErrUnavailable] error
// returned when the response exceeds [Config.MaxResponseSize].
var ErrResponseTooLarge = errors.New("introspection: response too large")

var errInactive = middleware.InvalidToken(middleware.ErrInactive, nil)

// Introspect returns the claims of token if the endpoint reports it active
// (RFC 7662 §2.2). An inactive token is an error matching
// [middleware.ErrInvalidToken] and [middleware.ErrInactive]. When the endpoint
// fails, times out or answers with anything but a well-formed response, or ctx
// ends first, the error matches [middleware.ErrUnavailable] and
// [middleware.ErrIntrospectionError].
//
// Results come from the cache while they are fresh, and concurrent calls for
// the same uncached token share one request, which is cancelled when all of
// them have given up (their ctx ended). At most [Config.MaxConcurrentRequests]
// requests are in flight; a call that would start one more gets an error
// matching [middleware.ErrUnavailable] and [ErrTooManyRequests] at once. The claims are not checked here:
// the [middleware.Validator] checks "iss", "aud", "exp", "nbf" and
// "token_type", and the caller the scopes, on every request. The returned
// *Claims may be shared by concurrent callers: treat it as read-only.
func (in *Introspector) Introspect(ctx context.Context, token string) (*middleware.Claims, error) {
	if err := in.checkToken(token); err != nil {
		return nil, err
	}
	key := hashKey(in.endpoint, token)
	if in.cache != nil {
		if c, hit, err := in.cached(ctx, key); hit {
			return c, err
		}
	}
	return in.wait(ctx, token, key)
}

// wait joins or starts the request for key and waits for its result or for
// ctx to end. (A separate function, so that a cache hit does not move key to
// the heap for the closure.)
func (in *Introspector) wait(ctx context.Context, token string, key cacheKey) (*middleware.Claims, error) {
	f, err := in.flights.join(ctx, key, func(ctx context.Context) (*middleware.Claims, error) {
		return in.fetch(ctx, token, key)
	})
	if err != nil {
		return nil, err
	}
	if in.afterJoin != nil {
		in.afterJoin()
	}
	return in.flights.wait(ctx, key, f)
}

// cached looks key up in the cache and reports a hit to the hooks.
func (in *Introspector) cached(ctx context.Context, key cacheKey) (*middleware.Claims, bool, error) {
	if in.hooks == nil || in.hooks.Introspected == nil {
		return in.lookup(key)
	}
	start := time.Now()
	c, hit, err := in.lookup(key)
	if hit {
		in.introspected(ctx, middleware.IntrospectionEvent{
			Endpoint: in.endpoint, CacheHit: true, Active: err == nil, Err: err, Duration: time.Since(start),
		})
	}
	return c, hit, err
}

func (in *Introspector) lookup(key cacheKey) (*middleware.Claims, bool, error) {
	c, active, hit := in.cache.get(key, in.now().UnixNano())
	switch {
	case !hit:
		return nil, false, nil
	case active:
		return c, true, nil
	}
	return nil, true, errInactive
}

// fetch runs once per coalesced group of callers. It looks in the cache again,
// since a request for the same token may have completed after the caller's
// lookup, then in the shared cache if there is one (see [SharedConfig]), then
// asks the endpoint and caches the answer. ctx ends when every caller of the
// group has given up (see [flights]); the HTTP client's timeout bounds it too.
func (in *Introspector) fetch(ctx context.Context, token string, key cacheKey) (*middleware.Claims, error) {
	if in.cache != nil {
		if c, hit, err := in.lookup(key); hit {
			return c, err
		}
	}
	if in.shared != nil {
		return in.sharedFetch(ctx, token, key)
	}
	return in.ask(ctx, token, key)
}

// ask sends the request for token and caches the answer in memory.
func (in *Introspector) ask(ctx context.Context, token string, key cacheKey) (*middleware.Claims, error) {
	start := time.Now()
	ctx = in.start(ctx)
	c, err := in.request(ctx, token)
	in.introspected(ctx, middleware.IntrospectionEvent{
		Endpoint: in.endpoint, Active: err == nil, Err: err, Duration: time.Since(start),
	})
	if in.cache != nil {
		switch {
		case err == nil:
			in.cache.putActive(key, c, in.now())
		case errors.Is(err, middleware.ErrInactive):
			in.cache.putInactive(key, in.now())
		}
	}
	return c, err
}

// request sends one RFC 7662 §2.1 request and parses the answer.
func (in *Introspector) request(ctx context.Context, token string) (*middleware.Claims, error) {
	form := formValues(token)
	header := make(http.Header)
	if err := in.auth.Authenticate(ctx, in.endpoint, form, header); err != nil {
		return nil, unavailable(fmt.Errorf("introspection: client authentication: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, unavailable(fmt.Errorf("introspection: %w", err))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", in.jwt.accept())
	resp, err := in.client.Do(req)
	if err != nil {
		return nil, unavailable(fmt.Errorf("introspection: %w", err))
	}
	defer resp.Body.Close()
	body, jwt, err := in.readBody(resp)
	if err != nil {
		return nil, unavailable(err)
	}
	if jwt {
		if body, err = in.jwt.verifyJWT(ctx, body); err != nil {
			return nil, unavailable(err)
		}
	}
	return parseResponse(body, in.scopeClaim)
}

// readBody returns the body of a 200 response: application/json, or with
// [Config.JWTResponse] application/token-introspection+jwt (jwt set), or
// only that unless JWTResponse.AllowJSON.
func (in *Introspector) readBody(resp *http.Response) (body []byte, jwt bool, err error) {
	if resp.StatusCode != http.StatusOK {
		// Drain a little so that the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, in.maxSize))
		return nil, false, in.statusError(resp.StatusCode)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case in.jwt != nil && mt == ContentTypeJWT:
		jwt = true
	case in.jwt != nil && !in.jwt.AllowJSON:
		return nil, false, fmt.Errorf("%w: content type %q, not %s", ErrJWTResponse, mt, ContentTypeJWT)
	case mt != "" && mt != "application/json":
		return nil, false, fmt.Errorf("%w: content type %q", ErrMalformedResponse, mt)
	}
	body, err = httpx.ReadBody(resp.Body, in.maxSize)
	switch {
	case errors.Is(err, httpx.ErrTooLarge):
		return nil, false, fmt.Errorf("%w: over %d bytes", ErrResponseTooLarge, in.maxSize)
	case err != nil:
		return nil, false, fmt.Errorf("introspection: reading response: %w", err)
	}
	return body, jwt, nil
}

// CheckCredentials checks, at start-up, that the introspection endpoint
// accepts the client's credentials: it asks about a random token, which
// cannot be active, bypassing the cache. It returns nil when the endpoint
// answers (RFC 7662 §2.2), and otherwise the error Introspect would return;
// when the endpoint refuses the credentials (401 or 403), its cause is a
// [middleware.Misconfiguration] (see [middleware.MisconfigurationOf]).
//
//	if err := in.CheckCredentials(ctx); err != nil {
//		log.Fatal(err)
//	}
func (in *Introspector) CheckCredentials(ctx context.Context) error {
	_, err := in.request(ctx, "rsguard-credentials-check-"+randomToken())
	if err == nil || errors.Is(err, middleware.ErrInactive) {
		return nil
	}
	return err
}

// randomToken returns 16 random bytes in hex.
func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func unavailable(cause error) error {
	return middleware.Unavailable(middleware.ErrIntrospectionError, cause)
}

// start opens an [middleware.OpIntrospection] operation with the Start hook
// (see [middleware.Hooks]), if it and Introspected, which ends it, are set,
// and returns the context the request runs in.
func (in *Introspector) start(ctx context.Context) context.Context {
	h := in.hooks
	if h == nil || h.Start == nil || h.Introspected == nil {
		return ctx
	}
	if c := h.Start(ctx, middleware.OpIntrospection); c != nil {
		return c
	}
	return ctx
}

// introspected reports ev to the Introspected hook, if set, with the context
// of the operation it ends (or of the lookup, for a cache hit).
func (in *Introspector) introspected(ctx context.Context, ev middleware.IntrospectionEvent) {
	if in.hooks != nil && in.hooks.Introspected != nil {
		in.hooks.Introspected(ctx, ev)
	}
}
