package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/rsguard/rsguard/middleware/jwks"
	"github.com/rsguard/rsguard/oauthtest"
)

// TestAPI calls the example service as the package comment suggests, with
// a real Connect client in the Connect protocol over HTTP/1.1 and in the
// gRPC protocol over h2c, and checks its answers and refusals.
func TestAPI(t *testing.T) {
	as := oauthtest.NewServer(&oauthtest.Config{Algorithm: "ES256"})
	defer as.Close()
	keys, err := jwks.NewRemote(context.Background(), as.Issuer(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	h, err := newAPI(as.Issuer(), oauthtest.DefaultAudience, keys)
	if err != nil {
		t.Fatalf("newAPI = %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(ln.Addr().String(), h)
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String()

	h2 := &http.Transport{Protocols: new(http.Protocols)}
	h2.Protocols.SetUnencryptedHTTP2(true)
	defer h2.CloseIdleConnections()
	clients := map[string]struct {
		hc   *http.Client
		opts []connect.ClientOption
	}{
		"connect_http1": {&http.Client{}, []connect.ClientOption{connect.WithCodec(JSONCodec{})}},
		"grpc_h2c":      {&http.Client{Transport: h2}, []connect.ClientOption{connect.WithCodec(JSONCodec{}), connect.WithGRPC()}},
	}
	token := func(o oauthtest.TokenOptions) string { o.Subject = "alice"; return as.Token(o) }
	read := token(oauthtest.TokenOptions{Scopes: []string{"orders:read"}})
	write := token(oauthtest.TokenOptions{Scopes: []string{"orders:read", "orders:write"}})
	expired := token(oauthtest.TokenOptions{Scopes: []string{"orders:read"}, Lifetime: -time.Hour})
	for name, cl := range clients {
		for _, tc := range []struct {
			name, procedure, token string
			want                   connect.Code // 0: admitted
			challenge              string
		}{
			{"ping_is_public", Ping, "", 0, ""},
			{"read", GetOrder, read, 0, ""},
			{"no_token", GetOrder, "", connect.CodeUnauthenticated, `Bearer realm="api"`},
			{"expired", GetOrder, expired, connect.CodeUnauthenticated, `Bearer realm="api", error="invalid_token", error_description="token expired"`},
			{"cancel_needs_write", CancelOrder, read, connect.CodePermissionDenied,
				`Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="orders:write"`},
			{"cancel", CancelOrder, write, 0, ""},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				c := connect.NewClient[OrderRequest, Order](cl.hc, url+tc.procedure, cl.opts...)
				req := connect.NewRequest(&OrderRequest{ID: "7"})
				if tc.token != "" {
					req.Header().Set("Authorization", "Bearer "+tc.token)
				}
				resp, err := c.CallUnary(context.Background(), req)
				var ce *connect.Error
				switch {
				case tc.want == 0 && err != nil:
					t.Fatalf("call = %v, want admitted", err)
				case tc.want == 0:
					if tc.procedure != Ping && (resp.Msg.Owner != "alice" || resp.Msg.ID != "7") {
						t.Errorf("reply = %+v, want order 7 of alice", resp.Msg)
					}
				case !errors.As(err, &ce):
					t.Errorf("call = %v, want a Connect error %v", err, tc.want)
				case ce.Code() != tc.want || ce.Meta().Get("WWW-Authenticate") != tc.challenge:
					t.Errorf("call = %v (challenge %q), want %v with %q", err, ce.Meta().Get("WWW-Authenticate"), tc.want, tc.challenge)
				}
			})
		}
	}
}
