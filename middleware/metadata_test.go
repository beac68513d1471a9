package middleware_test

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware"
)

// metadataDump renders a metadata answer's status, the headers RFC 9728 §3.2
// and CORS fix, and the body, for golden files.
func metadataDump(resp *http.Response, body string) string {
	var b strings.Builder
	b.WriteString(resp.Proto + " " + resp.Status + "\n")
	for _, k := range []string{"Content-Type", "Cache-Control", "ETag", "Access-Control-Allow-Origin",
		"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age", "Allow"} {
		for _, v := range resp.Header.Values(k) {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	b.WriteString("\n" + body)
	return b.String()
}

// TestMetadataGolden serves the metadata document of a plain and of a
// path-qualified resource through a real server and compares the answers
// with testdata/golden (RFC 9728 §3.1–3.2).
func TestMetadataGolden(t *testing.T) {
	f := newHTFixture(t)
	tests := []struct {
		name     string
		cfg      *middleware.GuardConfig
		wantPath string
	}{
		{"metadata_document_plain", &middleware.GuardConfig{Metadata: &middleware.ResourceMetadata{
			Resource: htAudience,
		}}, "/.well-known/oauth-protected-resource"},
		{"metadata_document_root_slash", &middleware.GuardConfig{Metadata: &middleware.ResourceMetadata{
			Resource: htAudience + "/",
		}}, "/.well-known/oauth-protected-resource"},
		// Ed25519 signatures are deterministic: a fixed test seed gives a
		// fixed signed_metadata.
		{"metadata_document_signed", &middleware.GuardConfig{Metadata: &middleware.ResourceMetadata{
			Resource: htAudience + "/mcp", ScopesSupported: []string{"orders:read"},
			Signing: &middleware.MetadataSigning{Issuer: htAudience, KeyID: "md-1",
				Signer: ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))},
		}}, "/.well-known/oauth-protected-resource/mcp"},
		{"metadata_document_path", &middleware.GuardConfig{AllowQueryToken: true, AllowFormToken: true,
			Metadata: &middleware.ResourceMetadata{
				Resource:                              htAudience + "/tenants/eu/mcp",
				ScopesSupported:                       []string{"orders:read", "orders:write"},
				ResourceName:                          "Orders API",
				ResourceDocumentation:                 "https://docs.example.test/orders",
				ResourcePolicyURI:                     "https://docs.example.test/policy",
				ResourceTOSURI:                        "https://docs.example.test/tos",
				JWKSURI:                               htAudience + "/jwks.json",
				ResourceSigningAlgValuesSupported:     []string{"ES256"},
				TLSClientCertificateBoundAccessTokens: true,
				DPoPSigningAlgValuesSupported:         []string{"ES256", "EdDSA"},
				DPoPBoundAccessTokensRequired:         true,
				AuthorizationDetailsTypesSupported:    []string{"payment_initiation"},
				MaxAge:                                90 * time.Second,
			}}, "/.well-known/oauth-protected-resource/tenants/eu/mcp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := htGuard(t, f.v, tt.cfg)
			if g.MetadataPath() != tt.wantPath {
				t.Fatalf("MetadataPath() = %q, want %q", g.MetadataPath(), tt.wantPath)
			}
			mux := http.NewServeMux()
			mux.Handle(g.MetadataPath(), g.MetadataHandler())
			srv := htServe(t, mux)
			resp, body := htDo(t, srv.URL, "GET", tt.wantPath, "")
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s = %d", tt.wantPath, resp.StatusCode)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(body), &doc); err != nil {
				t.Fatalf("document is not JSON: %v", err)
			}
			if doc["resource"] != tt.cfg.Metadata.Resource {
				t.Errorf("resource = %v, want %q exactly (RFC 9728 §3.3)", doc["resource"], tt.cfg.Metadata.Resource)
			}
			if want := "https://api.example.test" + tt.wantPath; g.MetadataURL() != want {
				t.Errorf("MetadataURL() = %q, want %q", g.MetadataURL(), want)
			}
			htGolden(t, tt.name+".http", metadataDump(resp, body))
		})
	}
}

// TestMetadataHandler checks the methods, CORS preflight and conditional
// requests of the metadata handler.
func TestMetadataHandler(t *testing.T) {
	f := newHTFixture(t)
	g := htGuard(t, f.v, &middleware.GuardConfig{Metadata: &middleware.ResourceMetadata{Resource: htAudience + "/mcp"}})
	srv := htServe(t, g.MetadataHandler())
	get, body := htDo(t, srv.URL, "GET", "/", "")
	etag := get.Header.Get("ETag")
	if get.StatusCode != 200 || etag == "" || body == "" {
		t.Fatalf("GET = %d, ETag %q, body %q", get.StatusCode, etag, body)
	}
	tests := []struct {
		name, method string
		header       []string
		status       int
		body         string
		wantHeader   map[string]string
	}{
		{"head", "HEAD", nil, 200, "", map[string]string{"Content-Type": "application/json", "ETag": etag, "Cache-Control": "public, max-age=3600"}},
		{"preflight", "OPTIONS", []string{"Origin", "https://app.example", "Access-Control-Request-Method", "GET"}, 204, "",
			map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS"}},
		{"not modified", "GET", []string{"If-None-Match", `"other", ` + etag}, 304, "", map[string]string{"ETag": etag}},
		{"weak match", "GET", []string{"If-None-Match", "W/" + etag}, 304, "", nil},
		{"modified", "GET", []string{"If-None-Match", `"other"`}, 200, body, nil},
		{"cross origin get", "GET", []string{"Origin", "https://app.example"}, 200, body, map[string]string{"Access-Control-Allow-Origin": "*"}},
		{"post refused", "POST", nil, 405, "method not allowed\n", map[string]string{"Allow": "GET, HEAD, OPTIONS"}},
		{"delete refused", "DELETE", nil, 405, "method not allowed\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, got := htDo(t, srv.URL, tt.method, "/", "", tt.header...)
			if resp.StatusCode != tt.status || got != tt.body {
				t.Errorf("%s = %d %q, want %d %q", tt.method, resp.StatusCode, got, tt.status, tt.body)
			}
			for k, v := range tt.wantHeader {
				if resp.Header.Get(k) != v {
					t.Errorf("%s: %s = %q, want %q", tt.method, k, resp.Header.Get(k), v)
				}
			}
		})
	}
}

// TestMetadataDefaults checks what the guard derives: the trusted issuers as
// authorization_servers, the token sources as bearer_methods_supported, and
// that nothing is served or added to challenges without Metadata.
func TestMetadataDefaults(t *testing.T) {
	f := newHTFixture(t)
	doc := func(t *testing.T, cfg *middleware.GuardConfig) map[string]any {
		t.Helper()
		_, body := htDo(t, htServe(t, htGuard(t, f.v, cfg).MetadataHandler()).URL, "GET", "/", "")
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	list := func(v any) []string {
		var out []string
		for _, x := range v.([]any) {
			out = append(out, x.(string))
		}
		return out
	}
	md := &middleware.ResourceMetadata{Resource: htAudience}
	for _, tt := range []struct {
		query, form bool
		want        []string
	}{
		{false, false, []string{"header"}},
		{true, false, []string{"header", "query"}},
		{false, true, []string{"header", "body"}},
		{true, true, []string{"header", "body", "query"}},
	} {
		m := doc(t, &middleware.GuardConfig{AllowQueryToken: tt.query, AllowFormToken: tt.form, Metadata: md})
		if got := list(m["bearer_methods_supported"]); !slices.Equal(got, tt.want) {
			t.Errorf("query %v form %v: bearer_methods_supported = %q, want %q", tt.query, tt.form, got, tt.want)
		}
		if got := list(m["authorization_servers"]); !slices.Equal(got, []string{htIssuer}) {
			t.Errorf("authorization_servers = %q, want [%s]", got, htIssuer)
		}
	}
	m := doc(t, &middleware.GuardConfig{Metadata: &middleware.ResourceMetadata{
		Resource: htAudience, AuthorizationServers: []string{"https://login.example.test"}, MaxAge: -1,
	}})
	if got := list(m["authorization_servers"]); !slices.Equal(got, []string{"https://login.example.test"}) {
		t.Errorf("authorization_servers = %q, want the configured one", got)
	}
	plain := htGuard(t, f.v, nil)
	if plain.MetadataURL() != "" || plain.MetadataPath() != "" {
		t.Errorf("guard without Metadata: MetadataURL %q, MetadataPath %q, want empty", plain.MetadataURL(), plain.MetadataPath())
	}
	if resp, _ := htDo(t, htServe(t, plain.MetadataHandler()).URL, "GET", "/", ""); resp.StatusCode != 404 {
		t.Errorf("MetadataHandler without Metadata = %d, want 404", resp.StatusCode)
	}
	noCache := htGuard(t, f.v, &middleware.GuardConfig{Metadata: &middleware.ResourceMetadata{Resource: htAudience, MaxAge: -1}})
	if resp, _ := htDo(t, htServe(t, noCache.MetadataHandler()).URL, "GET", "/", ""); resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("MaxAge -1: Cache-Control = %q, want no-cache", resp.Header.Get("Cache-Control"))
	}
}

// TestMetadataURL checks the well-known URL of RFC 9728 §3.1 and the
// validation of resource identifiers (§1.2, §3.3).
func TestMetadataURL(t *testing.T) {
	tests := []struct {
		resource, want string // want "" for an error
	}{
		{"https://api.example.com", "https://api.example.com/.well-known/oauth-protected-resource"},
		{"https://api.example.com/", "https://api.example.com/.well-known/oauth-protected-resource"},
		{"https://api.example.com/mcp", "https://api.example.com/.well-known/oauth-protected-resource/mcp"},
		{"https://api.example.com/mcp/", "https://api.example.com/.well-known/oauth-protected-resource/mcp/"},
		{"https://api.example.com:8443/a/b", "https://api.example.com:8443/.well-known/oauth-protected-resource/a/b"},
		{"http://127.0.0.1:8080/mcp", "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"},
		{"http://localhost:3000", "http://localhost:3000/.well-known/oauth-protected-resource"},
		{"http://[::1]:3000/x", "http://[::1]:3000/.well-known/oauth-protected-resource/x"},
		{"https://api.example.com/a%20b", "https://api.example.com/.well-known/oauth-protected-resource/a%20b"},
		{"http://api.example.com/mcp", ""},    // http off loopback
		{"https://api.example.com/mcp#x", ""}, // fragment
		{"https://api.example.com/mcp#", ""},  // empty fragment
		{"https://api.example.com/mcp?t=1", ""},
		{"https://api.example.com/mcp?", ""},
		{"HTTPS://api.example.com/mcp", ""}, // not canonical
		{"https://API.example.com/mcp", ""},
		{"https://api.example.com:443/mcp", ""},
		{"http://localhost:80/mcp", ""},
		{"https://user@api.example.com/mcp", ""},
		{"https://api.example.com/a b", ""},
		{"https://api.example.com/a\"b", ""},
		{"https:///mcp", ""},
		{"/mcp", ""},
		{"urn:example:resource", ""},
		{"", ""},
		{"ftp://api.example.com", ""},
	}
	for _, tt := range tests {
		got, err := middleware.MetadataURL(tt.resource)
		if tt.want == "" {
			if err == nil {
				t.Errorf("MetadataURL(%q) = %q, want an error", tt.resource, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("MetadataURL(%q) = %q, %v, want %q", tt.resource, got, err, tt.want)
		}
	}
}

// TestMetadataConfigRefused checks that NewGuard refuses a bad resource or
// scope instead of publishing it.
func TestMetadataConfigRefused(t *testing.T) {
	f := newHTFixture(t)
	for _, md := range []*middleware.ResourceMetadata{
		{},
		{Resource: "https://api.example.test/x#frag"},
		{Resource: htAudience, ScopesSupported: []string{"a b"}},
		{Resource: htAudience, ScopesSupported: []string{`a"`}},
	} {
		if _, err := middleware.NewGuard(f.v, &middleware.GuardConfig{Metadata: md}); err == nil {
			t.Errorf("NewGuard(Metadata %+v) succeeded, want an error", md)
		}
	}
}

// FuzzMetadataURL checks that MetadataURL never panics, and that what it
// accepts yields a URL holding no byte that could break out of the quoted
// resource_metadata attribute, under the resource's own origin.
func FuzzMetadataURL(f *testing.F) {
	for _, s := range []string{"https://api.example.com/mcp", "http://127.0.0.1:1/", "https://a/%zz", "https://a/\"", "http://[::1]/x?y#z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, resource string) {
		got, err := middleware.MetadataURL(resource)
		if err != nil {
			return
		}
		for i := 0; i < len(got); i++ {
			if c := got[i]; c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' {
				t.Fatalf("MetadataURL(%q) = %q holds byte %#x", resource, got, c)
			}
		}
		scheme, rest, _ := strings.Cut(resource, "://")
		host, _, _ := strings.Cut(rest, "/")
		if !strings.HasPrefix(got, scheme+"://"+host+middleware.WellKnownResourcePath) {
			t.Fatalf("MetadataURL(%q) = %q, not under the resource's origin", resource, got)
		}
	})
}

// TestMetadataDPoP checks the DPoP members derived from the guard: the
// validator's proof algorithms when the guard accepts DPoP, and
// dpop_bound_access_tokens_required when it accepts nothing else.
func TestMetadataDPoP(t *testing.T) {
	f := newHTFixture(t)
	algs := f.v.DPoPAlgorithms()
	if len(algs) == 0 {
		t.Fatal("DPoPAlgorithms() is empty")
	}
	tests := []struct {
		mode     middleware.DPoPMode
		algs     []string // nil: left out
		required bool
	}{
		{middleware.DPoPOff, nil, false},
		{middleware.DPoPAllowed, algs, false},
		{middleware.DPoPRequired, algs, true},
	}
	for _, tt := range tests {
		g := htGuard(t, f.v, &middleware.GuardConfig{DPoPMode: tt.mode, Metadata: &middleware.ResourceMetadata{Resource: htAudience}})
		_, body := htDo(t, htServe(t, g.MetadataHandler()).URL, "GET", "/", "")
		var doc struct {
			Algs     []string `json:"dpop_signing_alg_values_supported"`
			Required *bool    `json:"dpop_bound_access_tokens_required"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(doc.Algs, tt.algs) || (doc.Required != nil) != tt.required || (doc.Required != nil && !*doc.Required) {
			t.Errorf("DPoPMode %v: algs %q, required %v; want %q, %v", tt.mode, doc.Algs, doc.Required, tt.algs, tt.required)
		}
	}
}
