package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

func TestAPI(t *testing.T) {
	as := oauthtest.NewServer(nil)
	defer as.Close()
	keys, err := jwks.NewRemote(context.Background(), as.Issuer(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	h, err := newAPI(as.Issuer(), oauthtest.DefaultAudience, keys)
	if err != nil {
		t.Fatal(err)
	}
	read := as.Token(oauthtest.TokenOptions{Scopes: []string{"orders:read"}})
	write := as.Token(oauthtest.TokenOptions{Scopes: []string{"orders:write"}})
	expired := as.Token(oauthtest.TokenOptions{Scopes: []string{"orders:read"}, Lifetime: -time.Hour})
	for _, tc := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/orders", read, http.StatusOK},
		{"GET", "/orders", "", http.StatusUnauthorized},
		{"GET", "/orders", expired, http.StatusUnauthorized},
		{"GET", "/orders", write, http.StatusForbidden},
		{"DELETE", "/orders/7", read, http.StatusForbidden},
		{"DELETE", "/orders/7", write, http.StatusNoContent},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, rec.Code, tc.want)
		}
	}
}

func TestServe(t *testing.T) {
	as := oauthtest.NewServer(nil)
	defer as.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, as.Issuer(), oauthtest.DefaultAudience) }()
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/orders", nil)
	req.Header.Set("Authorization", "Bearer "+as.Token(oauthtest.TokenOptions{Scopes: []string{"orders:read"}}))
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /orders = %d, want 200", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve = %v, want nil after its context ended", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after its context ended")
	}
}
