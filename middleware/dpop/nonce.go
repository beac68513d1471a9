package dpop

import (
	"net/url"
	"strings"
	"sync"
)

// maxOrigins bounds the nonces a [Transport] remembers; past it, an
// arbitrary origin's nonce is forgotten (that origin then asks again).
const maxOrigins = 1024

// nonceCache holds the latest DPoP-Nonce of each origin (RFC 9449 §8.2:
// the client uses the newest nonce until the server supplies another). The
// zero value is empty and ready; it is safe for concurrent use.
type nonceCache struct {
	mu sync.RWMutex
	m  map[string]string
}

func (c *nonceCache) get(origin string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[origin]
}

func (c *nonceCache) set(origin, nonce string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]string)
	}
	if _, ok := c.m[origin]; !ok && len(c.m) >= maxOrigins {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[origin] = nonce
}

// originOf returns the origin of u (RFC 6454 §4): lower-case scheme and
// host, and the port unless it is the scheme's default.
func originOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}
