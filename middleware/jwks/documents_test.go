package jwks_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// TestRemoteDocuments checks that documents the library cannot use are
// refused with a clear error, at start-up and on refresh, and that a refused
// refresh keeps the last good set.
func TestRemoteDocuments(t *testing.T) {
	good := guardtest.ECJWK(t, "good")
	many := make([]map[string]any, jwks.DefaultMaxKeys+1)
	for i := range many {
		many[i] = guardtest.ECJWK(t, "k"+strings.Repeat("x", i))
	}
	huge := []byte(`{"keys":[` + strings.Repeat(" ", jwks.DefaultMaxResponseSize) + `]}`)
	tests := []struct {
		name  string
		body  []byte
		want  []error
		inMsg string
	}{
		{"not JSON", []byte("<html>oops</html>"), []error{jwks.ErrInvalid}, "not a JSON object"},
		{"array", []byte(`[]`), []error{jwks.ErrInvalid}, "not a JSON object"},
		{"no keys member", []byte(`{}`), []error{jwks.ErrInvalid}, `no "keys"`},
		{"keys not an array", []byte(`{"keys":{}}`), []error{jwks.ErrInvalid}, "JSON"},
		{"empty set", guardtest.JWKS(t), []error{jwks.ErrInvalid}, "no keys"},
		{"only unusable keys", []byte(`{"keys":[{"kty":"XYZ","kid":"a"}]}`), []error{jwks.ErrInvalid, jwks.ErrUnusableKey}, "no usable key"},
		{"too many keys", guardtest.JWKS(t, many...), []error{jwks.ErrInvalid}, "more than the limit of 100"},
		{"over 1 MiB", huge, []error{jwks.ErrTooLarge}, "over 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := guardtest.NewDocServer(t, tt.body)
			_, err := jwks.NewRemote(t.Context(), "", &jwks.Config{URL: srv.URL})
			guardtest.WantError(t, "NewRemote", err, append(tt.want, jwks.ErrFetch)...)
			if !strings.Contains(err.Error(), tt.inMsg) {
				t.Errorf("NewRemote = %q, want a message containing %q", err, tt.inMsg)
			}

			srv.Set(guardtest.JWKS(t, good), nil)
			rk := guardtest.Remote(t, "", &jwks.Config{URL: srv.URL})
			before, _ := rk.LookupKey(t.Context(), "good")
			srv.Set(tt.body, nil)
			guardtest.WantError(t, "Refresh", rk.Refresh(t.Context()), tt.want...)
			guardtest.WantError(t, "LastError", rk.LastError(), tt.want...)
			after, err := rk.LookupKey(t.Context(), "good")
			if err != nil || after != before || after.Retired() {
				t.Errorf("LookupKey after refused refresh = %p, %v; want the same live key %p", after, err, before)
			}
		})
	}
}

func TestRemoteResponseSize(t *testing.T) {
	body := guardtest.JWKS(t, guardtest.ECJWK(t, "a"))
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
			rk, err := jwks.NewRemote(t.Context(), "", &jwks.Config{URL: srv.URL, MaxResponseSize: tt.limit})
			if tt.ok {
				if err != nil {
					t.Fatalf("NewRemote(limit %d, body %d) = %v, want nil error", tt.limit, len(body), err)
				}
				rk.Close()
				return
			}
			guardtest.WantError(t, "NewRemote", err, jwks.ErrTooLarge, jwks.ErrFetch)
		})
	}
}

// TestRemoteSkipsUnusableKeys: RFC 7517 §5 says to ignore keys one cannot
// use; one such key must not take down the set.
func TestRemoteSkipsUnusableKeys(t *testing.T) {
	doc := []byte(`{"keys":[{"kty":"XYZ","kid":"odd"},{"kty":"EC","crv":"P-999","kid":"curve","x":"AA","y":"AA"},` +
		string(guardtest.JWKS(t, guardtest.ECJWK(t, "good"))[len(`{"keys":[`):]))
	srv := guardtest.NewDocServer(t, doc)
	var events guardtest.Fetches
	rk := guardtest.Remote(t, "", &jwks.Config{URL: srv.URL, Hooks: events.Hooks()})
	if _, err := rk.LookupKey(t.Context(), "good"); err != nil {
		t.Errorf("LookupKey(good) = %v, want nil error", err)
	}
	_, err := rk.LookupKey(t.Context(), "odd")
	guardtest.WantError(t, "LookupKey(odd)", err, jwks.ErrUnknownKey)
	evs := events.List()
	if len(evs) < 1 || evs[0].Keys != 1 || evs[0].Skipped != 2 || evs[0].Err != nil || evs[0].Reason != "initial" {
		t.Errorf("KeysFetched events = %+v, want the first with 1 key, 2 skipped, reason initial", evs)
	}
	if evs[0].URL != srv.URL {
		t.Errorf("FetchEvent.URL = %q, want %q", evs[0].URL, srv.URL)
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

func TestRemoteHTTPClient(t *testing.T) {
	doc := guardtest.JWKS(t, guardtest.ECJWK(t, "a"))
	keys := guardtest.NewDocServer(t, doc)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := keys.URL // another host:port
		if r.URL.Path == "/same-host" {
			target = "/elsewhere"
		} else if r.URL.Path == "/elsewhere" {
			w.Write(doc)
			return
		}
		http.Redirect(w, r, target, http.StatusFound)
	}))
	defer redirect.Close()

	transport := &jwksCountingTransport{}
	client := &http.Client{Transport: transport}
	rk := guardtest.Remote(t, "", &jwks.Config{URL: redirect.URL + "/same-host", HTTPClient: client})
	if _, err := rk.LookupKey(t.Context(), "a"); err != nil {
		t.Errorf("LookupKey after a same-host redirect = %v, want nil error", err)
	}
	if n := transport.n.Load(); n != 2 {
		t.Errorf("requests through the custom client = %d, want 2 (redirect + JWKS)", n)
	}

	_, err := jwks.NewRemote(t.Context(), "", &jwks.Config{URL: redirect.URL + "/other-host", HTTPClient: client})
	guardtest.WantError(t, "NewRemote(redirect to another host)", err, jwks.ErrFetch)
	if !strings.Contains(err.Error(), "refusing redirect") {
		t.Errorf("NewRemote(redirect to another host) = %q, want the redirect named", err)
	}
	if n := keys.Requests.Load(); n != 0 {
		t.Errorf("requests that reached the other host = %d, want 0", n)
	}
}
