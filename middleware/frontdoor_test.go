package middleware_test

import (
	"testing"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
)

// TestFrontDoorNetHTTP runs the front-door table shared with the Echo, Gin
// and gRPC adapters (internal/guardtest) against the net/http guard,
// through a real server and client: the table itself, its proxy cases
// against a guard that trusts loopback proxies, and its metadata variant
// (resource_metadata in 401 and 403 challenges, RFC 9728 §5.1), each with a
// fixture of its own.
func TestFrontDoorNetHTTP(t *testing.T) {
	for _, tt := range []struct {
		name  string
		cfg   *middleware.GuardConfig
		cases func(*guardtest.Fixture) []guardtest.Case
	}{
		{"table", nil, (*guardtest.Fixture).Cases},
		{"behind_proxy", guardtest.ProxyConfig(), (*guardtest.Fixture).ProxyCases},
		{"metadata", guardtest.MetadataConfig(), (*guardtest.Fixture).MetadataCases},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := guardtest.New(t)
			g := guardtest.NewGuard(t, f.Validator, tt.cfg)
			if tt.cfg != nil && tt.cfg.Metadata != nil && g.MetadataURL() != guardtest.MetadataURL {
				t.Fatalf("MetadataURL() = %q, want %q", g.MetadataURL(), guardtest.MetadataURL)
			}
			srv := htServe(t, g.Require(guardtest.Requirement, guardtest.Handler))
			guardtest.RunHTTP(t, srv.URL+"/orders", tt.cases(f))
		})
	}
}
