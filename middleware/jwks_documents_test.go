package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rsguard/rsguard/middleware"
)

// TestRemoteKeysDocuments checks that documents the library cannot use are
// refused with a clear error, at start-up and on refresh, and that a refused
// refresh keeps the last good set.
func TestRemoteKeysDocuments(t *testing.T) {
	good := jwksECKey(t, "good")
	many := make([]map[string]any, middleware.DefaultJWKSMaxKeys+1)
	for i := range many {
		many[i] = jwksECKey(t, "k"+strings.Repeat("x", i))
	}
	huge := []byte(`{"keys":[` + strings.Repeat(" ", middleware.DefaultJWKSMaxResponseSize) + `]}`)
	tests := []struct {
		name  string
		body  []byte
		want  []error
		inMsg string
	}{
		{"not JSON", []byte("<html>oops</html>"), []error{middleware.ErrJWKSInvalid}, "not a JSON object"},
		{"array", []byte(`[]`), []error{middleware.ErrJWKSInvalid}, "not a JSON object"},
		{"no keys member", []byte(`{}`), []error{middleware.ErrJWKSInvalid}, `no "keys"`},
		{"keys not an array", []byte(`{"keys":{}}`), []error{middleware.ErrJWKSInvalid}, "JSON"},
		{"empty set", jwksDoc(t), []error{middleware.ErrJWKSInvalid}, "no keys"},
		{"only unusable keys", []byte(`{"keys":[{"kty":"XYZ","kid":"a"}]}`), []error{middleware.ErrJWKSInvalid, middleware.ErrUnusableKey}, "no usable key"},
		{"too many keys", jwksDoc(t, many...), []error{middleware.ErrJWKSInvalid}, "more than the limit of 100"},
		{"over 1 MiB", huge, []error{middleware.ErrJWKSTooLarge}, "over 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newJWKSDocServer(t, tt.body)
			_, err := middleware.NewRemoteKeys(t.Context(), "", &middleware.RemoteKeysConfig{JWKSURL: srv.URL})
			jwksWantError(t, "NewRemoteKeys", err, append(tt.want, middleware.ErrJWKSFetch)...)
			if !strings.Contains(err.Error(), tt.inMsg) {
				t.Errorf("NewRemoteKeys = %q, want a message containing %q", err, tt.inMsg)
			}

			srv.set(jwksDoc(t, good), nil)
			rk := jwksRemote(t, "", &middleware.RemoteKeysConfig{JWKSURL: srv.URL})
			before, _ := rk.LookupKey(t.Context(), "good")
			srv.set(tt.body, nil)
			jwksWantError(t, "Refresh", rk.Refresh(t.Context()), tt.want...)
			jwksWantError(t, "LastError", rk.LastError(), tt.want...)
			after, err := rk.LookupKey(t.Context(), "good")
			if err != nil || after != before || after.Retired() {
				t.Errorf("LookupKey after refused refresh = %p, %v; want the same live key %p", after, err, before)
			}
		})
	}
}

func TestRemoteKeysResponseSize(t *testing.T) {
	body := jwksDoc(t, jwksECKey(t, "a"))
	tests := []struct {
		name    string
		limit   int64
		chunked bool
		ok      bool
	}{
		{"exactly the limit", int64(len(body)), false, true},
		{"one byte over, with Content-Length", int64(len(body)) - 1, false, false},
		{"one byte over, chunked", int64(len(body)) - 1, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tt.chunked {
					w.Write(body[:10])
					w.(http.Flusher).Flush()
					w.Write(body[10:])
					return
				}
				w.Write(body)
			}))
			defer srv.Close()
			rk, err := middleware.NewRemoteKeys(t.Context(), "", &middleware.RemoteKeysConfig{JWKSURL: srv.URL, MaxResponseSize: tt.limit})
			if tt.ok {
				if err != nil {
					t.Fatalf("NewRemoteKeys(limit %d, body %d) = %v, want nil error", tt.limit, len(body), err)
				}
				rk.Close()
				return
			}
			jwksWantError(t, "NewRemoteKeys", err, middleware.ErrJWKSTooLarge, middleware.ErrJWKSFetch)
		})
	}
}

// TestRemoteKeysSkipsUnusableKeys: RFC 7517 §5 says to ignore keys one cannot
// use; one such key must not take down the set.
func TestRemoteKeysSkipsUnusableKeys(t *testing.T) {
	doc := []byte(`{"keys":[{"kty":"XYZ","kid":"odd"},{"kty":"EC","crv":"P-999","kid":"curve","x":"AA","y":"AA"},` +
		string(jwksDoc(t, jwksECKey(t, "good"))[len(`{"keys":[`):]))
	srv := newJWKSDocServer(t, doc)
	var events jwksEvents
	rk := jwksRemote(t, "", &middleware.RemoteKeysConfig{JWKSURL: srv.URL, Hooks: events.hooks()})
	if _, err := rk.LookupKey(t.Context(), "good"); err != nil {
		t.Errorf("LookupKey(good) = %v, want nil error", err)
	}
	_, err := rk.LookupKey(t.Context(), "odd")
	jwksWantError(t, "LookupKey(odd)", err, middleware.ErrInvalidToken, middleware.ErrUnknownKey)
	evs := events.list()
	if len(evs) < 1 || evs[0].Keys != 1 || evs[0].Skipped != 2 || evs[0].Err != nil || evs[0].Reason != "initial" {
		t.Errorf("KeysFetched events = %+v, want the first with 1 key, 2 skipped, reason initial", evs)
	}
	if evs[0].URL != srv.URL {
		t.Errorf("KeyFetchEvent.URL = %q, want %q", evs[0].URL, srv.URL)
	}
}

// jwksCountingTransport counts the requests made through it.
type jwksCountingTransport struct {
	n atomic.Int64
}

func (c *jwksCountingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestRemoteKeysHTTPClient(t *testing.T) {
	keys := newJWKSDocServer(t, jwksDoc(t, jwksECKey(t, "a")))
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := keys.URL // another host:port
		if r.URL.Path == "/same-host" {
			target = "/elsewhere"
		} else if r.URL.Path == "/elsewhere" {
			w.Write(*keys.body.Load())
			return
		}
		http.Redirect(w, r, target, http.StatusFound)
	}))
	defer redirect.Close()

	transport := &jwksCountingTransport{}
	client := &http.Client{Transport: transport}
	rk := jwksRemote(t, "", &middleware.RemoteKeysConfig{JWKSURL: redirect.URL + "/same-host", HTTPClient: client})
	if _, err := rk.LookupKey(t.Context(), "a"); err != nil {
		t.Errorf("LookupKey after a same-host redirect = %v, want nil error", err)
	}
	if n := transport.n.Load(); n != 2 {
		t.Errorf("requests through the custom client = %d, want 2 (redirect + JWKS)", n)
	}

	_, err := middleware.NewRemoteKeys(t.Context(), "", &middleware.RemoteKeysConfig{JWKSURL: redirect.URL + "/other-host", HTTPClient: client})
	jwksWantError(t, "NewRemoteKeys(redirect to another host)", err, middleware.ErrJWKSFetch)
	if !strings.Contains(err.Error(), "refusing redirect") {
		t.Errorf("NewRemoteKeys(redirect to another host) = %q, want the redirect named", err)
	}
	if n := keys.requests.Load(); n != 0 {
		t.Errorf("requests that reached the other host = %d, want 0", n)
	}
}
