package interop_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// DPoP test parties: a confidential client of the oauthtest authorization
// server and the protected resource that introspects its opaque tokens.
const (
	dpopClientID = "dpop-svc"
	dpopSecret   = "dpop-s3cret"
	dpopRS       = "dpop-rs"
	dpopRSSecret = "dpop-rs-s3cret"
)

// newDPoPAS starts an oauthtest authorization server whose token endpoint
// binds tokens to DPoP proofs and requires its nonce (RFC 9449 §5, §8).
func newDPoPAS(t *testing.T, opaque bool) *oauthtest.Server {
	t.Helper()
	as := oauthtest.NewServer(&oauthtest.Config{
		RequireDPoPNonce: true,
		Clients: []oauthtest.Client{
			{ID: dpopClientID, Secret: dpopSecret, Scopes: []string{scopeRead}, OpaqueTokens: opaque},
			{ID: dpopRS, Secret: dpopRSSecret},
		},
	})
	t.Cleanup(as.Close)
	return as
}

// dpopAPI is a resource server behind rsguard's guard that requires DPoP
// with server nonces (RFC 9449 §9), counting the requests it answers.
type dpopAPI struct {
	*httptest.Server
	hits atomic.Int64
}

// newDPoPAPI protects an API with as's JWKS, or with its introspection
// endpoint when introspect is set, DPoP required.
func newDPoPAPI(t *testing.T, as *oauthtest.Server, introspect bool) *dpopAPI {
	t.Helper()
	return newDPoPAPIMode(t, as, introspect, middleware.DPoPRequired)
}

// newDPoPAPIMode is newDPoPAPI with the issuer's DPoP mode.
func newDPoPAPIMode(t *testing.T, as *oauthtest.Server, introspect bool, mode middleware.DPoPMode) *dpopAPI {
	t.Helper()
	iss := middleware.Issuer{URL: as.Issuer(), Audiences: []string{oauthtest.DefaultAudience}, DPoP: mode}
	if introspect {
		in, err := introspection.New(as.IntrospectionURL(), introspection.ClientSecretBasic(dpopRS, dpopRSSecret), nil)
		if err != nil {
			t.Fatal(err)
		}
		iss.Introspector = in
	} else {
		keys, err := jwks.ParseStatic(as.JWKS())
		if err != nil {
			t.Fatal(err)
		}
		iss.Keys = keys
	}
	nonces, err := middleware.NewNonceKey([]byte(strings.Repeat("n", 32)), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	v, err := middleware.NewValidator(iss, &middleware.Config{DPoP: middleware.DPoPConfig{Nonce: nonces}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := middleware.NewGuard(v, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &dpopAPI{}
	protected := g.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := middleware.FromContext(r.Context())
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s", r.Method, c.Subject, b)
	}))
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.hits.Add(1)
		protected.ServeHTTP(w, r)
	}))
	t.Cleanup(a.Close)
	return a
}

// readAll reads and closes a response body.
func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
