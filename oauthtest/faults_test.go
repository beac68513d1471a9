package oauthtest

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware/jwks"
)

func TestFaultStatusAndCount(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256"})
	s.SetFault(EndpointJWKS, Fault{Status: http.StatusServiceUnavailable, Count: 2})
	for i, want := range []int{503, 503, 200, 200} {
		if status, _, _ := get(t, s, s.JWKSURL()); status != want {
			t.Errorf("request %d: status %d, want %d", i+1, status, want)
		}
	}
	if got := s.Requests(EndpointJWKS); got != 4 {
		t.Errorf("Requests(EndpointJWKS) = %d, want 4", got)
	}
	if got := s.Requests(EndpointDiscovery); got != 0 {
		t.Errorf("Requests(EndpointDiscovery) = %d, want 0", got)
	}

	s.SetFault(EndpointDiscovery, Fault{Status: http.StatusInternalServerError})
	for _, u := range []string{s.OIDCDiscoveryURL(), s.MetadataURL(), s.OIDCDiscoveryURL()} {
		if status, _, _ := get(t, s, u); status != 500 {
			t.Errorf("GET %s with fault: status %d, want 500", u, status)
		}
	}
	s.ClearFault(EndpointDiscovery)
	if status, _, _ := get(t, s, s.MetadataURL()); status != 200 {
		t.Errorf("GET metadata after ClearFault: status %d, want 200", status)
	}
	if got := s.Requests(EndpointDiscovery); got != 4 {
		t.Errorf("Requests(EndpointDiscovery) = %d, want 4", got)
	}
}

func TestFaultGarbageBody(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256"})
	garbage := []byte(`{"keys": [{"kty": "RSA", "n": 1}`)
	s.SetFault(EndpointJWKS, Fault{Body: garbage})
	status, h, body := get(t, s, s.JWKSURL())
	if status != 200 || string(body) != string(garbage) || h.Get("Content-Type") != "application/json" {
		t.Fatalf("GET JWKS = %d %q %q, want 200 application/json with the garbage body", status, h.Get("Content-Type"), body)
	}
	if _, err := jwks.ParseStatic(body); err == nil {
		t.Errorf("jwks.ParseStatic(garbage) = nil error, want an error")
	}
	s.SetFault(EndpointJWKS, Fault{Body: []byte("oops"), Status: http.StatusBadGateway})
	if status, _, body := get(t, s, s.JWKSURL()); status != 502 || string(body) != "oops" {
		t.Errorf("GET JWKS = %d %q, want 502 \"oops\"", status, body)
	}
}

func TestFaultCacheControl(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256", Clients: []Client{{ID: "c", Secret: "s"}}})
	if _, h, _ := get(t, s, s.JWKSURL()); h.Get("Cache-Control") != "" {
		t.Errorf("JWKS Cache-Control without fault = %q, want none", h.Get("Cache-Control"))
	}
	s.SetFault(EndpointJWKS, Fault{CacheControl: "max-age=5"})
	status, h, body := get(t, s, s.JWKSURL())
	if status != 200 || h.Get("Cache-Control") != "max-age=5" {
		t.Errorf("GET JWKS = %d Cache-Control %q, want 200 max-age=5", status, h.Get("Cache-Control"))
	}
	if _, err := jwks.ParseStatic(body); err != nil {
		t.Errorf("jwks.ParseStatic(body under Cache-Control fault) = %v, want the normal JWKS", err)
	}
	// The fault's header replaces an endpoint's own.
	s.SetFault(EndpointToken, Fault{CacheControl: "max-age=60"})
	resp := postForm(t, s, s.TokenURL(), basic("c", "s"), "grant_type=client_credentials")
	if resp.status != 200 || resp.header.Get("Cache-Control") != "max-age=60" {
		t.Errorf("token response = %d Cache-Control %q, want 200 max-age=60", resp.status, resp.header.Get("Cache-Control"))
	}
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	s := newServer(t, &Config{Algorithm: "ES256"})
	const delay = 150 * time.Millisecond
	s.SetFault(EndpointJWKS, Fault{Delay: delay, Count: 1})
	start := time.Now()
	status, _, _ := get(t, s, s.JWKSURL())
	if elapsed := time.Since(start); status != 200 || elapsed < delay {
		t.Errorf("delayed GET JWKS = %d after %v, want 200 after at least %v", status, elapsed, delay)
	}

	// The delay gives way to the request's context.
	s.SetFault(EndpointJWKS, Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.JWKSURL(), nil)
	start = time.Now()
	_, err := s.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 30*time.Second {
		t.Errorf("GET JWKS with an hour's delay and a 100ms deadline = %v after %v, want DeadlineExceeded", err, time.Since(start))
	}
}

func TestCloseEndsDelays(t *testing.T) {
	t.Parallel()
	s := NewServer(&Config{Algorithm: "ES256"})
	s.SetFault(EndpointJWKS, Fault{Delay: time.Hour})
	done := make(chan error, 1)
	go func() {
		resp, err := s.Client().Get(s.JWKSURL())
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for s.Requests(EndpointJWKS) == 0 { // wait until the request is inside the delay
		select {
		case err := <-done:
			t.Fatalf("GET JWKS ended before Close: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not return while a request was delayed")
	}
	if err := <-done; err == nil {
		t.Error("GET JWKS cut short by Close = nil error, want an error (no answer)")
	}
}
