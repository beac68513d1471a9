package oauthtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
)

// newServer starts a server closed at the end of the test.
func newServer(t *testing.T, cfg *Config) *Server {
	t.Helper()
	s := NewServer(cfg)
	t.Cleanup(s.Close)
	return s
}

// get fetches url and returns the status, headers and body.
func get(t *testing.T, s *Server, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := s.Client().Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp.StatusCode, resp.Header, body
}

// decodeObject decodes a JSON object or fails the test.
func decodeObject(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", body, err)
	}
	return m
}

// validator returns a core validator trusting the JWKS the server serves over
// HTTP.
func validator(t *testing.T, s *Server) *middleware.Validator {
	t.Helper()
	status, _, body := get(t, s, s.JWKSURL())
	if status != http.StatusOK {
		t.Fatalf("GET JWKS: status %d", status)
	}
	keys, err := jwks.ParseStatic(body)
	if err != nil {
		t.Fatalf("jwks.ParseStatic: %v", err)
	}
	v, err := middleware.NewValidator(middleware.Issuer{
		URL:       s.Issuer(),
		Audiences: []string{DefaultAudience},
		Keys:      keys,
	}, &middleware.Config{CacheSize: -1})
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	return v
}

// validate validates tok with v.
func validate(v *middleware.Validator, tok string) (*middleware.Claims, error) {
	return v.Validate(context.Background(), tok)
}

// response is a recorded HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// object decodes the body as a JSON object.
func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	return decodeObject(t, r.body)
}

// string describes the answer for failure messages.
func (r response) string() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// wantError checks an RFC 6749 §5.2 error answer.
func (r response) wantError(t *testing.T, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d (body %s)", r.status, status, r.body)
		return
	}
	if got := r.object(t)["error"]; got != code {
		t.Errorf("error = %v, want %q", got, code)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("error Cache-Control = %q, want no-store", cc)
	}
}

// basic returns an Authorization header value for client_secret_basic, each
// part form-urlencoded before base64 (RFC 6749 §2.3.1).
func basic(id, secret string) string {
	raw := url.QueryEscape(id) + ":" + url.QueryEscape(secret)
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(raw))
}

// postForm posts a form body with an optional Authorization header.
func postForm(t *testing.T, s *Server, u, authorization, form string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: reading body: %v", u, err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

// form encodes name/value pairs.
func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}
