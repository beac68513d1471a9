package connectguard_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"connectrpc.com/connect"

	"github.com/rsguard/rsguard/adapters/connectguard"
	"github.com/rsguard/rsguard/middleware"
)

// The test service, defined without protoc: plain Go messages carried by a
// JSON codec, which replaces Connect's protojson codec under the name
// "json" (Content-Type application/json, application/grpc+json …).
const (
	getOrder    = "/orders.v1.Orders/GetOrder"    // unary, protected
	watchOrders = "/orders.v1.Orders/WatchOrders" // server stream, protected
	ping        = "/orders.v1.Orders/Ping"        // unary, public
	unlisted    = "/orders.v1.Orders/Unlisted"    // unary, in no table entry
)

type orderRequest struct{ ID string }

// orderReply names the subject of the claims the handler found ("" none).
type orderReply struct {
	ID, Subject string
}

type jsonCodec struct{}

func (jsonCodec) Name() string                    { return "json" }
func (jsonCodec) Marshal(v any) ([]byte, error)   { return json.Marshal(v) }
func (jsonCodec) Unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// subjectOf returns the subject of the claims in ctx, or "".
func subjectOf(ctx context.Context) string {
	if c, ok := middleware.FromContext(ctx); ok {
		return c.Subject
	}
	return ""
}

func unaryHandler(ctx context.Context, req *connect.Request[orderRequest]) (*connect.Response[orderReply], error) {
	return connect.NewResponse(&orderReply{ID: req.Msg.ID, Subject: subjectOf(ctx)}), nil
}

// streamHandler sends two replies, each naming the subject.
func streamHandler(ctx context.Context, req *connect.Request[orderRequest], s *connect.ServerStream[orderReply]) error {
	for _, id := range []string{req.Msg.ID + "-1", req.Msg.ID + "-2"} {
		if err := s.Send(&orderReply{ID: id, Subject: subjectOf(ctx)}); err != nil {
			return err
		}
	}
	return nil
}

// server is the test service on loopback, serving HTTP/1.1 and HTTP/2
// without TLS (h2c), with the interceptor on every procedure.
type server struct {
	URL    string
	h2     atomic.Int64 // requests that arrived over HTTP/2
	h1     atomic.Int64
	served atomic.Int64 // calls that reached a handler
}

func newServer(t testing.TB, i *connectguard.Interceptor) *server {
	t.Helper()
	s := &server{}
	opts := []connect.HandlerOption{connect.WithInterceptors(i), connect.WithCodec(jsonCodec{})}
	counted := func(path string, h http.Handler) (string, http.Handler) {
		return path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ProtoMajor == 2 {
				s.h2.Add(1)
			} else {
				s.h1.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	}
	mux := http.NewServeMux()
	for _, p := range []string{getOrder, ping, unlisted} {
		mux.Handle(counted(p, connect.NewUnaryHandler(p, s.countUnary, opts...)))
	}
	mux.Handle(counted(watchOrders, connect.NewServerStreamHandler(watchOrders, s.countStream, opts...)))
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func (s *server) countUnary(ctx context.Context, req *connect.Request[orderRequest]) (*connect.Response[orderReply], error) {
	s.served.Add(1)
	return unaryHandler(ctx, req)
}

func (s *server) countStream(ctx context.Context, req *connect.Request[orderRequest], st *connect.ServerStream[orderReply]) error {
	s.served.Add(1)
	return streamHandler(ctx, req, st)
}

// transport is one way of reaching the server: HTTP/1.1, or HTTP/2 over
// cleartext (prior knowledge, as gRPC clients do).
type transport struct {
	name   string
	client *http.Client
	proto  int
}

func transports(t testing.TB) []transport {
	h1 := &http.Transport{Proxy: nil, DialContext: (&net.Dialer{}).DialContext}
	h1.Protocols = new(http.Protocols)
	h1.Protocols.SetHTTP1(true)
	h2 := &http.Transport{Proxy: nil, DialContext: (&net.Dialer{}).DialContext}
	h2.Protocols = new(http.Protocols)
	h2.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(h1.CloseIdleConnections)
	t.Cleanup(h2.CloseIdleConnections)
	return []transport{
		{"http1", &http.Client{Transport: h1}, 1},
		{"h2c", &http.Client{Transport: h2}, 2},
	}
}

// protocol is one of Connect's wire protocols, as a client option.
type protocol struct {
	name   string
	option connect.ClientOption
	needs2 bool // gRPC needs HTTP/2
}

var protocols = []protocol{
	{"connect", nil, false},
	{"grpc", connect.WithGRPC(), true},
	{"grpcweb", connect.WithGRPCWeb(), false},
}

func clientOptions(p protocol) []connect.ClientOption {
	opts := []connect.ClientOption{connect.WithCodec(jsonCodec{})}
	if p.option != nil {
		opts = append(opts, p.option)
	}
	return opts
}

// call makes a unary call with the given Authorization values and returns
// the subject the handler saw, or the Connect error.
func call(ctx context.Context, hc *http.Client, url, procedure string, p protocol, auth []string) (string, *connect.Error) {
	c := connect.NewClient[orderRequest, orderReply](hc, url+procedure, clientOptions(p)...)
	req := connect.NewRequest(&orderRequest{ID: "7"})
	for _, v := range auth {
		req.Header().Add("Authorization", v)
	}
	resp, err := c.CallUnary(ctx, req)
	if err != nil {
		return "", asConnectError(err)
	}
	return resp.Msg.Subject, nil
}

// stream opens a server stream with the given Authorization values and
// returns the subjects of its two replies ("" if they differ), or the
// Connect error.
func stream(ctx context.Context, hc *http.Client, url string, p protocol, auth []string) (string, *connect.Error) {
	c := connect.NewClient[orderRequest, orderReply](hc, url+watchOrders, clientOptions(p)...)
	req := connect.NewRequest(&orderRequest{ID: "7"})
	for _, v := range auth {
		req.Header().Add("Authorization", v)
	}
	st, err := c.CallServerStream(ctx, req)
	if err != nil {
		return "", asConnectError(err)
	}
	defer st.Close()
	var subjects []string
	for st.Receive() {
		subjects = append(subjects, st.Msg().Subject)
	}
	if err := st.Err(); err != nil {
		return "", asConnectError(err)
	}
	if len(subjects) != 2 || subjects[0] != subjects[1] {
		return strings.Join(subjects, ","), nil
	}
	return subjects[0], nil
}

func asConnectError(err error) *connect.Error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce
	}
	return connect.NewError(connect.CodeUnknown, err)
}
