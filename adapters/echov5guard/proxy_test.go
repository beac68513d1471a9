package echov5guard_test

import (
	"testing"

	"github.com/rsguard/rsguard/adapters/echov5guard"
	"github.com/rsguard/rsguard/internal/guardtest"
)

// TestFrontDoorEchoBehindProxy runs the table's proxy cases
// (certificate-bound tokens with the RFC 9440 Client-Cert header, DPoP with
// the forwarded URI) against Echo with a guard that trusts loopback proxies.
func TestFrontDoorEchoBehindProxy(t *testing.T) {
	f := guardtest.New(t)
	e := newEcho(t)
	e.GET("/orders", subject, echov5guard.Require(newGuard(t, f.Validator, guardtest.ProxyConfig()), guardtest.Requirement))
	url := serve(t, e) + "/orders"
	for _, c := range f.ProxyCases() {
		t.Run(c.Name, func(t *testing.T) {
			resp, body := c.Do(t, url)
			c.CheckHTTP(t, resp, body)
		})
	}
}
