package discovery_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/internal/discovery"
)

// TestDiscoverDuplicateMembers: a metadata document naming "issuer" or
// "jwks_uri" twice, also in another case, is refused rather than read
// last-wins (RFC 8259 §4, RFC 8414 §3.2); the same document without the
// twin is accepted.
func TestDiscoverDuplicateMembers(t *testing.T) {
	t.Parallel()
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(strings.ReplaceAll(body, "ISSUER", "http://"+r.Host)))
	}))
	defer srv.Close()
	ok := `{"issuer":"ISSUER","jwks_uri":"ISSUER/jwks"}`
	body = ok
	if md, err := discovery.Discover(context.Background(), srv.Client(), srv.URL, false); err != nil || md.JWKSURI != srv.URL+"/jwks" {
		t.Fatalf("Discover(%s) = %+v, %v", ok, md, err)
	}
	for _, doc := range []string{
		`{"issuer":"ISSUER","jwks_uri":"ISSUER/jwks","jwks_uri":"https://evil.example.test/jwks"}`,
		`{"issuer":"ISSUER","jwks_uri":"ISSUER/jwks","JWKS_URI":"https://evil.example.test/jwks"}`,
		`{"issuer":"https://evil.example.test","issuer":"ISSUER","jwks_uri":"ISSUER/jwks"}`,
		`{"Issuer":"https://evil.example.test","issuer":"ISSUER","jwks_uri":"ISSUER/jwks"}`,
		`{"issuer":"ISSUER","jwks_uri":"ISSUER/jwks","introspection_endpoint":"ISSUER/i","Introspection_Endpoint":"https://evil.example.test/i"}`,
	} {
		body = doc
		md, err := discovery.Discover(context.Background(), srv.Client(), srv.URL, false)
		if !errors.Is(err, discovery.ErrDiscovery) {
			t.Errorf("Discover(%s) = %+v, %v; want %v", doc, md, err, discovery.ErrDiscovery)
		}
	}
}
