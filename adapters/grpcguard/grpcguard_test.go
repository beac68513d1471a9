package grpcguard_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/rsguard/rsguard/adapters/grpcguard"
	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// TestFrontDoorGRPC runs the front-door table shared with net/http, Echo and
// Gin (internal/guardtest) against a real gRPC server, through a unary and
// a server-streaming method that both require guardtest.Requirement.
func TestFrontDoorGRPC(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{
		unaryCall:  guardtest.Requirement,
		streamCall: guardtest.Requirement,
	}))
	client := testpb.NewTestServiceClient(dial(t, serve(t, g)))
	for _, c := range f.Cases() {
		t.Run(c.Name+"/unary", func(t *testing.T) {
			resp, err := client.UnaryCall(withAuth(t, c.Authorization), &testpb.SimpleRequest{})
			st := status.Convert(err)
			c.CheckGRPC(t, uint32(st.Code()), st.Message(), resp.GetUsername())
			if err == nil && resp.GetOauthScope() != c.GrantedScopes() {
				t.Errorf("scopes seen by the handler = %q, want %q", resp.GetOauthScope(), c.GrantedScopes())
			}
		})
		t.Run(c.Name+"/stream", func(t *testing.T) {
			subject, err := streamSubject(client, withAuth(t, c.Authorization))
			st := status.Convert(err)
			c.CheckGRPC(t, uint32(st.Code()), st.Message(), subject)
		})
	}
}

// streamSubject calls the streaming method and returns the subject that the
// handler found in its stream's context, checking both messages agree.
func streamSubject(client testpb.TestServiceClient, ctx context.Context) (string, error) {
	stream, err := client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{})
	if err != nil {
		return "", err
	}
	var got []string
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
		got = append(got, string(msg.GetPayload().GetBody()))
	}
	if len(got) != 2 || got[0] != got[1] {
		return "", status.Errorf(codes.Internal, "stream messages = %q, want two equal", got)
	}
	return got[0], nil
}

// TestTable checks the method table: public methods pass without a token
// (and without claims), methods absent from the table are denied with
// PermissionDenied whatever the token, a service default applies to the
// methods without an entry, and an entry of their own wins.
func TestTable(t *testing.T) {
	f := guardtest.New(t)
	valid := []string{"Bearer " + f.Token(guardtest.Scope)}
	readOnly := []string{"Bearer " + f.Token("profile")}
	g := newGuard(t, f.Validator,
		grpcguard.WithMethods(map[string]scopes.Requirement{
			"/grpc.testing.TestService/*": guardtest.Requirement,
			streamCall:                    nil, // any valid token
		}),
		grpcguard.WithPublic(grpcguard.HealthService, emptyCall))
	conn := dial(t, serve(t, g))
	client, hc := testpb.NewTestServiceClient(conn), healthpb.NewHealthClient(conn)

	strict := newGuard(t, f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{unaryCall: guardtest.Requirement}))
	strictConn := dial(t, serve(t, strict))
	strictClient, strictHealth := testpb.NewTestServiceClient(strictConn), healthpb.NewHealthClient(strictConn)

	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"public_health_check", func() error {
			resp, err := hc.Check(withAuth(t, nil), &healthpb.HealthCheckRequest{})
			if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				return status.Errorf(codes.Internal, "health = %v", resp.GetStatus())
			}
			return err
		}, codes.OK},
		{"public_health_watch_stream", func() error {
			stream, err := hc.Watch(withAuth(t, nil), &healthpb.HealthCheckRequest{})
			if err != nil {
				return err
			}
			_, err = stream.Recv()
			return err
		}, codes.OK},
		{"public_method_ignores_bad_token", func() error {
			_, err := client.EmptyCall(withAuth(t, []string{"Bearer not-a-jwt"}), &testpb.Empty{})
			return err
		}, codes.OK},
		{"service_default_requires_scope", func() error {
			_, err := client.UnaryCall(withAuth(t, readOnly), &testpb.SimpleRequest{})
			return err
		}, codes.PermissionDenied},
		{"service_default_admits", func() error {
			_, err := client.UnaryCall(withAuth(t, valid), &testpb.SimpleRequest{})
			return err
		}, codes.OK},
		{"own_entry_wins", func() error {
			subject, err := streamSubject(client, withAuth(t, readOnly))
			if err == nil && subject != guardtest.Subject {
				return status.Errorf(codes.Internal, "subject = %q", subject)
			}
			return err
		}, codes.OK},
		{"own_entry_still_needs_token", func() error {
			_, err := streamSubject(client, withAuth(t, nil))
			return err
		}, codes.Unauthenticated},
		{"unknown_method_denied", func() error {
			_, err := strictClient.EmptyCall(withAuth(t, valid), &testpb.Empty{})
			return err
		}, codes.PermissionDenied},
		{"unknown_stream_denied", func() error {
			_, err := streamSubject(strictClient, withAuth(t, valid))
			return err
		}, codes.PermissionDenied},
		{"unlisted_health_denied", func() error {
			_, err := strictHealth.Check(withAuth(t, nil), &healthpb.HealthCheckRequest{})
			return err
		}, codes.PermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if got := status.Code(err); got != tt.want {
				t.Errorf("%s: code = %v (%v), want %v", tt.name, got, err, tt.want)
			}
			if tt.want == codes.PermissionDenied && strings.HasPrefix(tt.name, "unknown") &&
				!strings.Contains(status.Convert(err).Message(), "not in the authorization table") {
				t.Errorf("%s: message = %q, want it to say the method is not in the table", tt.name, status.Convert(err).Message())
			}
		})
	}
}

// TestUnknownServiceHandler checks that calls gRPC hands to an
// UnknownServiceHandler, methods the server never registered, are denied by
// the stream interceptor before the handler runs, token or not.
func TestUnknownServiceHandler(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{unaryCall: nil}))
	var reached atomic.Int64
	conn := dial(t, serve(t, g, grpc.UnknownServiceHandler(func(any, grpc.ServerStream) error {
		reached.Add(1)
		return nil
	})))
	for _, auth := range [][]string{nil, {"Bearer " + f.Token(guardtest.Scope)}} {
		err := conn.Invoke(withAuth(t, auth), "/orders.v1.Orders/Cancel", &testpb.Empty{}, &testpb.Empty{})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("Invoke(unregistered method, %d authorization values) = %v, want PermissionDenied", len(auth), err)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the unknown service handler ran %d times, want 0", n)
	}
}

// TestScopeInMessage checks that a PermissionDenied for a missing scope
// names the scope that would satisfy the method, as the HTTP challenge does.
func TestScopeInMessage(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{
		unaryCall: scopes.All(scopes.AllOf(guardtest.Scope), scopes.AnyOf("admin", "orders:write")),
	}))
	client := testpb.NewTestServiceClient(dial(t, serve(t, g)))
	_, err := client.UnaryCall(withAuth(t, []string{"Bearer " + f.Token(guardtest.Scope)}), &testpb.SimpleRequest{})
	const want = `grpcguard: the token lacks a required scope (scope="orders:read admin")`
	if st := status.Convert(err); st.Code() != codes.PermissionDenied || st.Message() != want {
		t.Errorf("UnaryCall = %v %q, want PermissionDenied %q", st.Code(), st.Message(), want)
	}
}

// TestNewErrors checks that malformed or contradictory tables are refused.
func TestNewErrors(t *testing.T) {
	f := guardtest.New(t)
	tests := []struct {
		name string
		opts []grpcguard.Option
	}{
		{"no_leading_slash", []grpcguard.Option{grpcguard.WithPublic("grpc.health.v1.Health/Check")}},
		{"no_method", []grpcguard.Option{grpcguard.WithPublic("/grpc.health.v1.Health")}},
		{"empty_method", []grpcguard.Option{grpcguard.WithPublic("/grpc.health.v1.Health/")}},
		{"empty_service", []grpcguard.Option{grpcguard.WithPublic("//Check")}},
		{"three_parts", []grpcguard.Option{grpcguard.WithPublic("/a/b/c")}},
		{"partial_wildcard", []grpcguard.Option{grpcguard.WithMethods(map[string]scopes.Requirement{"/a.B/Get*": nil})}},
		{"service_wildcard", []grpcguard.Option{grpcguard.WithMethods(map[string]scopes.Requirement{"/*/Get": nil})}},
		{"global_wildcard", []grpcguard.Option{grpcguard.WithPublic("/*")}},
		{"public_and_protected", []grpcguard.Option{
			grpcguard.WithPublic(unaryCall),
			grpcguard.WithMethods(map[string]scopes.Requirement{unaryCall: nil}),
		}},
		{"public_twice", []grpcguard.Option{grpcguard.WithPublic(grpcguard.HealthService), grpcguard.WithPublic(grpcguard.HealthService)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := grpcguard.New(f.Validator, tt.opts...)
			if !errors.Is(err, grpcguard.ErrTable) || g != nil {
				t.Errorf("New(%s) = %v, %v, want nil and an error matching ErrTable", tt.name, g, err)
			}
		})
	}
	if _, err := grpcguard.New(nil); err == nil {
		t.Error("New(nil) = nil error, want an error")
	}
	for name, fn := range map[string]func(){
		"zero Guard, unary":  func() { new(grpcguard.Guard).UnaryServerInterceptor() },
		"zero Guard, stream": func() { new(grpcguard.Guard).StreamServerInterceptor() },
		"nil Guard, unary":   func() { (*grpcguard.Guard)(nil).UnaryServerInterceptor() },
		"AuthFunc(nil)":      func() { grpcguard.AuthFunc(nil, nil) },
	} {
		func() {
			defer func() {
				if s, _ := recover().(string); !strings.HasPrefix(s, "grpcguard: ") {
					t.Errorf("%s: recovered %q, want a grpcguard panic at wiring", name, s)
				}
			}()
			fn()
		}()
	}
}

// TestAuthorizeKeepsContextOnRefusal checks Authorize's contract for servers
// that compose their own interceptors: claims on admission, none otherwise.
func TestAuthorizeKeepsContextOnRefusal(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{unaryCall: guardtest.Requirement}))
	for _, c := range f.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			ctx := incoming(t, c.Authorization)
			got, err := g.Authorize(ctx, unaryCall)
			claims, ok := middleware.FromContext(got)
			st := status.Convert(err)
			c.CheckGRPC(t, uint32(st.Code()), st.Message(), subjectOf(claims))
			if err != nil && (ok || got != ctx) {
				t.Errorf("Authorize refused but returned a new context (claims %v)", ok)
			}
		})
	}
}

func subjectOf(c *middleware.Claims) string {
	if c == nil {
		return ""
	}
	return c.Subject
}

// TestCanceledCall checks that a call whose context ended while its token
// was being checked is answered as canceled, not as an unavailable
// authorization server.
func TestCanceledCall(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{unaryCall: guardtest.Requirement}))
	var unavailable guardtest.Case
	for _, c := range f.Cases() {
		if c.Name == "keys_unavailable" {
			unavailable = c
		}
	}
	ctx, cancel := context.WithCancel(incoming(t, unavailable.Authorization))
	cancel()
	if _, err := g.Authorize(ctx, unaryCall); status.Code(err) != codes.Canceled {
		t.Errorf("Authorize(canceled) = %v, want code Canceled", err)
	}
	if _, err := g.Authorize(incoming(t, unavailable.Authorization), unaryCall); status.Code(err) != codes.Unavailable {
		t.Errorf("Authorize = %v, want code Unavailable", err)
	}
}

// TestAttacksGRPC sends every token of the corpus's attack table to a gRPC
// method that requires a valid token only.
func TestAttacksGRPC(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{unaryCall: nil}))
	client := testpb.NewTestServiceClient(dial(t, serve(t, g)))
	for _, c := range f.Attacks(t) {
		t.Run(c.Name, func(t *testing.T) {
			resp, err := client.UnaryCall(withAuth(t, c.Authorization), &testpb.SimpleRequest{})
			st := status.Convert(err)
			c.CheckGRPC(t, uint32(st.Code()), st.Message(), resp.GetUsername())
		})
	}
}
