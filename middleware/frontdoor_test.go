package middleware_test

import (
	"testing"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
)

// TestFrontDoorNetHTTP runs the front-door table shared with the Echo, Gin
// and gRPC adapters (internal/guardtest) against the net/http guard,
// through a real server and client.
func TestFrontDoorNetHTTP(t *testing.T) {
	f := guardtest.New(t)
	g, err := middleware.NewGuard(f.Validator, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := htServe(t, g.Require(guardtest.Requirement, guardtest.Handler))
	for _, c := range f.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			resp, body := c.Do(t, srv.URL+"/orders")
			c.CheckHTTP(t, resp, body)
		})
	}
}

// TestFrontDoorNetHTTPBehindProxy runs the table's proxy cases
// (guardtest.ProxyCases) against a net/http guard that trusts loopback
// proxies.
func TestFrontDoorNetHTTPBehindProxy(t *testing.T) {
	f := guardtest.New(t)
	g, err := middleware.NewGuard(f.Validator, guardtest.ProxyConfig())
	if err != nil {
		t.Fatal(err)
	}
	srv := htServe(t, g.Require(guardtest.Requirement, guardtest.Handler))
	for _, c := range f.ProxyCases() {
		t.Run(c.Name, func(t *testing.T) {
			resp, body := c.Do(t, srv.URL+"/orders")
			c.CheckHTTP(t, resp, body)
		})
	}
}

// TestFrontDoorNetHTTPMetadata runs the metadata variant of the table
// (resource_metadata in 401 and 403 challenges, RFC 9728 §5.1), shared with
// the Echo and Gin adapters.
func TestFrontDoorNetHTTPMetadata(t *testing.T) {
	f := guardtest.New(t)
	g, err := middleware.NewGuard(f.Validator, guardtest.MetadataConfig())
	if err != nil {
		t.Fatal(err)
	}
	if g.MetadataURL() != guardtest.MetadataURL {
		t.Fatalf("MetadataURL() = %q, want %q", g.MetadataURL(), guardtest.MetadataURL)
	}
	srv := htServe(t, g.Require(guardtest.Requirement, guardtest.Handler))
	for _, c := range f.MetadataCases() {
		t.Run(c.Name, func(t *testing.T) {
			resp, body := c.Do(t, srv.URL+"/orders")
			c.CheckHTTP(t, resp, body)
		})
	}
}
