package ginguard_test

import (
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/rsguard/rsguard/adapters/ginguard"
	"github.com/rsguard/rsguard/internal/guardtest"
)

// TestFrontDoorGinBehindProxy runs the table's proxy cases (certificate-bound
// tokens with the RFC 9440 Client-Cert header, DPoP with the forwarded URI)
// against Gin with a guard that trusts loopback proxies.
func TestFrontDoorGinBehindProxy(t *testing.T) {
	f := guardtest.New(t)
	engine := gin.New()
	engine.GET("/orders", ginguard.Require(newGuard(t, f.Validator, guardtest.ProxyConfig()), guardtest.Requirement), subject)
	url := serve(t, engine) + "/orders"
	for _, c := range f.ProxyCases() {
		t.Run(c.Name, func(t *testing.T) {
			resp, body := c.Do(t, url)
			c.CheckHTTP(t, resp, body)
		})
	}
}
