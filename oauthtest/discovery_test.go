package oauthtest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/internal/discovery"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestDiscoveryDocuments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		path       string
		mode       DiscoveryMode
		oidc, rfc  bool   // which documents are served
		wantIssuer string // Issuer() minus URL
		wantRFC    string // MetadataURL() minus URL
	}{
		{"root both", "", DiscoveryBoth, true, true, "", "/.well-known/oauth-authorization-server"},
		{"path both", "/tenants/a", DiscoveryBoth, true, true, "/tenants/a", "/.well-known/oauth-authorization-server/tenants/a"},
		{"path without slash", "tenants/a", DiscoveryBoth, true, true, "/tenants/a", "/.well-known/oauth-authorization-server/tenants/a"},
		{"trailing slash", "/tenants/b/", DiscoveryBoth, true, true, "/tenants/b/", "/.well-known/oauth-authorization-server/tenants/b"},
		{"root OIDC only", "", DiscoveryOIDCOnly, true, false, "", "/.well-known/oauth-authorization-server"},
		{"path OIDC only", "/t", DiscoveryOIDCOnly, true, false, "/t", "/.well-known/oauth-authorization-server/t"},
		{"root RFC 8414 only", "", DiscoveryRFC8414Only, false, true, "", "/.well-known/oauth-authorization-server"},
		{"path RFC 8414 only", "/t", DiscoveryRFC8414Only, false, true, "/t", "/.well-known/oauth-authorization-server/t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, &Config{Path: tt.path, DiscoveryMode: tt.mode, Algorithm: "ES256"})
			if got, want := s.Issuer(), s.URL+tt.wantIssuer; got != want {
				t.Fatalf("Issuer() = %q, want %q", got, want)
			}
			if got, want := s.MetadataURL(), s.URL+tt.wantRFC; got != want {
				t.Errorf("MetadataURL() = %q, want %q", got, want)
			}
			// The core computes the same URLs independently.
			if got, want := discovery.URLs(s.Issuer()), []string{s.OIDCDiscoveryURL(), s.MetadataURL()}; !slices.Equal(got, want) {
				t.Errorf("discovery.URLs(%q) = %q, want %q", s.Issuer(), got, want)
			}
			checkDocument(t, s, s.OIDCDiscoveryURL(), tt.oidc)
			checkDocument(t, s, s.MetadataURL(), tt.rfc)
			served := 0
			for _, ok := range []bool{tt.oidc, tt.rfc} {
				if ok {
					served++
				}
			}
			// Requests to a document not served are not counted.
			if got := s.Requests(EndpointDiscovery); got != served {
				t.Errorf("Requests(EndpointDiscovery) = %d, want %d", got, served)
			}
			md, err := discovery.Discover(context.Background(), s.Client(), s.Issuer(), false)
			if err != nil {
				t.Fatalf("Discover(%q) = %v, want nil", s.Issuer(), err)
			}
			if md.JWKSURI != s.JWKSURL() || md.IntrospectionEndpoint != s.IntrospectionURL() || md.TokenEndpoint != s.TokenURL() {
				t.Errorf("Discover(%q) = %+v, want the server's endpoints", s.Issuer(), md)
			}
		})
	}
}

// checkDocument fetches a metadata URL and checks the document, or its
// absence.
func checkDocument(t *testing.T, s *Server, url string, served bool) {
	t.Helper()
	status, h, body := get(t, s, url)
	if !served {
		if status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", url, status)
		}
		return
	}
	if status != http.StatusOK || h.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: status %d, Content-Type %q, want 200 application/json", url, status, h.Get("Content-Type"))
	}
	doc := decodeObject(t, body)
	want := map[string]string{
		"issuer":                 s.Issuer(),
		"jwks_uri":               s.JWKSURL(),
		"token_endpoint":         s.TokenURL(),
		"introspection_endpoint": s.IntrospectionURL(),
		"authorization_endpoint": s.AuthorizationURL(),
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("GET %s: %q = %v, want %q", url, k, doc[k], v)
		}
	}
	if got, _ := json.Marshal(doc["code_challenge_methods_supported"]); string(got) != `["S256"]` {
		t.Errorf("GET %s: code_challenge_methods_supported = %s, want [\"S256\"]", url, got)
	}
	for _, u := range want {
		if !strings.HasPrefix(u, s.URL+"/") && u != s.URL {
			t.Errorf("URL %q is not on the server", u)
		}
	}
}

func TestDiscoveryGolden(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Path: "/tenants/a", Algorithm: "ES256"})
	_, _, body := get(t, s, s.MetadataURL())
	golden(t, "metadata.json", s, body)
}

// golden compares a JSON document, indented and with the server's URL
// replaced by "{{URL}}", with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, s *Server, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	got := bytes.ReplaceAll(buf.Bytes(), []byte(s.URL), []byte("{{URL}}"))
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s\nwant:\n%s", name, got, want)
	}
}
