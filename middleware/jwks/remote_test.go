package jwks_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/internal/httpx"
	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

func TestRemoteDiscovery(t *testing.T) {
	tests := []struct {
		name string
		mode oauthtest.DiscoveryMode
		path string
	}{
		{"both", oauthtest.DiscoveryBoth, ""},
		{"openid-configuration only", oauthtest.DiscoveryOIDCOnly, ""},
		{"oauth-authorization-server only", oauthtest.DiscoveryRFC8414Only, ""},
		{"openid-configuration with issuer path", oauthtest.DiscoveryOIDCOnly, "/tenants/a"},
		{"RFC 8414 path insertion", oauthtest.DiscoveryRFC8414Only, "/tenants/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256", DiscoveryMode: tt.mode, Path: tt.path})
			defer as.Close()
			rk := guardtest.Remote(t, as.Issuer(), nil)
			if got := rk.Status().URL; got != as.JWKSURL() {
				t.Errorf("Status().URL = %q, want %q", got, as.JWKSURL())
			}
			if _, err := rk.LookupKey(t.Context(), as.KeyID()); err != nil {
				t.Errorf("LookupKey(%q) = %v, want the server's key", as.KeyID(), err)
			}
			if n := as.Requests(oauthtest.EndpointJWKS); n != 1 {
				t.Errorf("JWKS requests = %d, want 1", n)
			}
			if n := as.Requests(oauthtest.EndpointDiscovery); n < 1 {
				t.Errorf("discovery requests = %d, want at least 1", n)
			}
		})
	}
}

func TestRemoteDiscoveryRefused(t *testing.T) {
	as := guardtest.Server(t, nil, "ES256")
	// The same metadata documents, but the configured issuer has a trailing
	// slash: the "issuer" member no longer matches exactly (RFC 8414 §3.3).
	_, err := jwks.NewRemote(t.Context(), as.Issuer()+"/", nil)
	guardtest.WantError(t, "NewRemote(issuer + \"/\")", err, jwks.ErrDiscovery)
	if !strings.Contains(err.Error(), "names issuer") {
		t.Errorf("NewRemote error %q does not explain the mismatch", err)
	}
	if n := as.Requests(oauthtest.EndpointJWKS); n != 0 {
		t.Errorf("JWKS requests after refused discovery = %d, want 0", n)
	}

	// A matching document whose jwks_uri is plain http on a public host.
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"issuer":"` + srv.URL + `","jwks_uri":"http://keys.example.com/jwks"}`))
	}))
	defer srv.Close()
	_, err = jwks.NewRemote(t.Context(), srv.URL, nil)
	guardtest.WantError(t, "NewRemote(http jwks_uri)", err, jwks.ErrDiscovery, httpx.ErrInsecureURL)
}

func TestNewRemoteConfig(t *testing.T) {
	as := guardtest.Server(t, nil, "ES256")
	tests := []struct {
		name   string
		issuer string
		cfg    *jwks.Config
		ok     bool
	}{
		{"nil config", as.Issuer(), nil, true},
		{"JWKSURL without issuer", "", &jwks.Config{URL: as.JWKSURL()}, true},
		{"neither issuer nor JWKSURL", "", nil, false},
		{"http issuer off loopback", "http://auth.example.com", nil, false},
		{"http JWKSURL off loopback", "", &jwks.Config{URL: "http://auth.example.com/jwks"}, false},
		{"relative JWKSURL", "", &jwks.Config{URL: "/jwks"}, false},
		{"negative RefreshInterval", as.Issuer(), &jwks.Config{RefreshInterval: -1}, false},
		{"negative Timeout", as.Issuer(), &jwks.Config{Timeout: -time.Second}, false},
		{"negative MaxKeys", as.Issuer(), &jwks.Config{MaxKeys: -1}, false},
		{"min over max", as.Issuer(), &jwks.Config{MinRefreshInterval: 2 * time.Hour}, false},
		{"retry over max retry", as.Issuer(), &jwks.Config{RetryInterval: 2 * time.Minute}, false},
		{"staleness under max refresh", as.Issuer(), &jwks.Config{MaxStaleness: 30 * time.Minute}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rk, err := jwks.NewRemote(t.Context(), tt.issuer, tt.cfg)
			if rk != nil {
				defer rk.Close()
			}
			if (err == nil) != tt.ok {
				t.Fatalf("NewRemote(%q, %+v) = %v, want success %v", tt.issuer, tt.cfg, err, tt.ok)
			}
		})
	}
	t.Run("insecure allowed explicitly", func(t *testing.T) {
		rk, err := jwks.NewRemote(t.Context(), "", &jwks.Config{
			URL: "http://auth.example.com/jwks", Lazy: true, AllowInsecureHTTP: true,
		})
		if err != nil {
			t.Fatalf("NewRemote(http, AllowInsecureHTTP) = %v, want nil error", err)
		}
		rk.Close()
	})
}

func TestRemoteLazy(t *testing.T) {
	clock := guardtest.NewClock()
	as := guardtest.Server(t, clock, "ES256")
	rk := guardtest.Remote(t, as.Issuer(), &jwks.Config{Lazy: true, Now: clock.Now})
	if n := as.Requests(oauthtest.EndpointDiscovery) + as.Requests(oauthtest.EndpointJWKS); n != 0 {
		t.Fatalf("requests after lazy NewRemote = %d, want 0", n)
	}
	if st := rk.Status(); !st.Stale || st.Keys != 0 {
		t.Errorf("Status() before first fetch = %+v, want stale with no keys", st)
	}
	// Concurrent first lookups share one fetch.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			_, err := rk.LookupKey(t.Context(), as.KeyID())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("first LookupKey = %v, want nil error", err)
		}
	}
	if n := as.Requests(oauthtest.EndpointJWKS); n != 1 {
		t.Errorf("JWKS requests after 16 concurrent first lookups = %d, want 1", n)
	}
}

func TestRemoteLazyFailure(t *testing.T) {
	clock := guardtest.NewClock()
	as := guardtest.Server(t, clock, "ES256")
	as.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Status: http.StatusServiceUnavailable})
	rk := guardtest.Remote(t, as.Issuer(), &jwks.Config{Lazy: true, Now: clock.Now})
	_, err := rk.LookupKey(t.Context(), as.KeyID())
	guardtest.WantError(t, "LookupKey during outage", err, jwks.ErrUnavailable, jwks.ErrFetch)
	// Until the retry is due, lookups fail at once without a request.
	_, err = rk.LookupKey(t.Context(), as.KeyID())
	guardtest.WantError(t, "second LookupKey", err, jwks.ErrUnavailable)
	if n := as.Requests(oauthtest.EndpointJWKS); n != 1 {
		t.Fatalf("JWKS requests before retry is due = %d, want 1", n)
	}
	as.ClearFault(oauthtest.EndpointJWKS)
	clock.Advance(jwks.DefaultRetryInterval * 11 / 10)
	if _, err := rk.LookupKey(t.Context(), as.KeyID()); err != nil {
		t.Fatalf("LookupKey after recovery = %v, want nil error", err)
	}
	if n := as.Requests(oauthtest.EndpointJWKS); n != 2 {
		t.Errorf("JWKS requests after recovery = %d, want 2", n)
	}
}

func TestNewRemoteFailsFast(t *testing.T) {
	as := guardtest.Server(t, nil, "ES256")
	as.SetFault(oauthtest.EndpointJWKS, oauthtest.Fault{Status: http.StatusInternalServerError})
	rk, err := jwks.NewRemote(t.Context(), as.Issuer(), nil)
	guardtest.WantError(t, "NewRemote(JWKS answers 500)", err, jwks.ErrFetch)
	if rk != nil {
		t.Errorf("NewRemote returned a key source with error %v", err)
	}
	if !strings.Contains(err.Error(), "status 500") {
		t.Errorf("NewRemote error %q does not name the status", err)
	}
}

// TestRemoteSchedule checks that the next refresh follows the response's
// freshness lifetime (RFC 9111 §4.2), refreshes at 90% of it, and is clamped
// to [MinRefreshInterval, MaxRefreshInterval] (defaults 1m and 1h).
func TestRemoteSchedule(t *testing.T) {
	date := guardtest.Epoch.Format(http.TimeFormat)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"no headers: RefreshInterval", nil, 15 * time.Minute * 9 / 10},
		{"max-age", http.Header{"Cache-Control": {"public, max-age=600"}}, 540 * time.Second},
		{"max-age minus Age", http.Header{"Cache-Control": {"max-age=600"}, "Age": {"100"}}, 450 * time.Second},
		{"max-age clamped to min", http.Header{"Cache-Control": {"max-age=5"}}, time.Minute},
		{"max-age clamped to max", http.Header{"Cache-Control": {"max-age=86400"}}, time.Hour},
		{"huge max-age", http.Header{"Cache-Control": {"max-age=99999999999999999999"}}, time.Hour},
		{"no-store", http.Header{"Cache-Control": {"no-store"}}, time.Minute},
		{"no-cache beats max-age", http.Header{"Cache-Control": {"max-age=600, no-cache"}}, time.Minute},
		{"Expires minus Date", http.Header{"Date": {date}, "Expires": {guardtest.Epoch.Add(20 * time.Minute).Format(http.TimeFormat)}}, 18 * time.Minute},
		{"invalid Expires", http.Header{"Expires": {"0"}}, time.Minute},
		{"max-age beats Expires", http.Header{"Cache-Control": {"max-age=1200"}, "Date": {date}, "Expires": {date}}, 18 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := guardtest.NewClock()
			srv := guardtest.NewDocServer(t, guardtest.JWKS(t, guardtest.ECJWK(t, "a")))
			srv.Set(srv.Body(), tt.header)
			rk := guardtest.Remote(t, "", &jwks.Config{URL: srv.URL, Now: clock.Now})
			st := rk.Status()
			if got := st.NextRefresh.Sub(clock.Now()); got != tt.want {
				t.Errorf("next refresh with %v = %v, want %v", tt.header, got, tt.want)
			}
			if !st.FetchedAt.Equal(clock.Now()) || st.Keys != 1 || st.Stale || st.Failures != 0 || st.LastError != nil {
				t.Errorf("Status() = %+v, want a fresh set of 1 key fetched now", st)
			}
		})
	}
}

func TestRemoteScheduledRefreshRuns(t *testing.T) {
	as := guardtest.Server(t, nil, "ES256")
	var events guardtest.Fetches
	guardtest.Remote(t, as.Issuer(), &jwks.Config{
		RefreshInterval: 20 * time.Millisecond, MinRefreshInterval: 10 * time.Millisecond, Hooks: events.Hooks(),
	})
	guardtest.WaitFor(t, "three scheduled refreshes", func() bool { return as.Requests(oauthtest.EndpointJWKS) >= 4 })
	reasons := events.Reasons()
	if reasons[0] != "initial" || !slices.Contains(reasons[1:], "scheduled") {
		t.Errorf("fetch reasons = %v, want initial then scheduled", reasons)
	}
}

func TestRemoteClose(t *testing.T) {
	clock := guardtest.NewClock()
	as := guardtest.Server(t, clock, "ES256")
	rk := guardtest.Remote(t, as.Issuer(), &jwks.Config{Now: clock.Now})
	rk.Close()
	rk.Close() // idempotent
	if _, err := rk.LookupKey(t.Context(), as.KeyID()); err != nil {
		t.Errorf("LookupKey(known) after Close = %v, want the last set to keep serving", err)
	}
	_, err := rk.LookupKey(t.Context(), "unknown")
	guardtest.WantError(t, "LookupKey(unknown) after Close", err, jwks.ErrUnknownKey)
	guardtest.WantError(t, "Refresh after Close", rk.Refresh(t.Context()), jwks.ErrClosed)
	if n := as.Requests(oauthtest.EndpointJWKS); n != 1 {
		t.Errorf("JWKS requests after Close = %d, want 1", n)
	}
}
