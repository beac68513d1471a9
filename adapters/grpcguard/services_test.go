package grpcguard_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/selector"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/rsguard/rsguard/adapters/grpcguard"
	"github.com/rsguard/rsguard/internal/guardtest"
	"github.com/rsguard/rsguard/scopes"
)

// TestCheckServices checks the method table against a real server's
// registered services: a correct table passes, and each misspelt service
// or method is named, with the registered name it is closest to.
func TestCheckServices(t *testing.T) {
	f := guardtest.New(t)
	srv := grpc.NewServer()
	testpb.RegisterTestServiceServer(srv, testService{})
	healthpb.RegisterHealthServer(srv, health.NewServer())
	for _, tc := range []struct {
		name  string
		opts  []grpcguard.Option
		wants []string // in the error; none: no error
	}{
		{"correct", []grpcguard.Option{
			grpcguard.WithMethods(map[string]scopes.Requirement{unaryCall: nil, "/grpc.testing.TestService/*": nil}),
			grpcguard.WithPublic(grpcguard.HealthService),
		}, nil},
		{"misspelt service", []grpcguard.Option{
			grpcguard.WithMethods(map[string]scopes.Requirement{"/grpc.testing.TestServise/*": nil}),
		}, []string{`"/grpc.testing.TestServise/*": no service "grpc.testing.TestServise" (did you mean "grpc.testing.TestService"?)`}},
		{"misspelt method", []grpcguard.Option{
			grpcguard.WithMethods(map[string]scopes.Requirement{"/grpc.testing.TestService/UnaryCal": nil}),
		}, []string{`service "grpc.testing.TestService" has no method "UnaryCal" (did you mean "UnaryCall"?)`}},
		{"unregistered service, both named", []grpcguard.Option{
			grpcguard.WithPublic(grpcguard.ReflectionService, "/grpc.health.v1.Health/Chek"),
		}, []string{`no service "grpc.reflection.v1.ServerReflection"`, `has no method "Chek" (did you mean "Check"?)`}},
		{"nothing close", []grpcguard.Option{
			grpcguard.WithMethods(map[string]scopes.Requirement{"/billing.v1.Invoices/*": nil}),
		}, []string{`no service "billing.v1.Invoices"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := newGuard(t, f.Validator, tc.opts...).CheckServices(srv)
			if len(tc.wants) == 0 {
				if err != nil {
					t.Fatalf("CheckServices = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, grpcguard.ErrTable) {
				t.Fatalf("CheckServices = %v, want an error matching ErrTable", err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("CheckServices = %q, want it to contain %q", err, w)
				}
			}
			if tc.name == "nothing close" && strings.Contains(err.Error(), "did you mean") {
				t.Errorf("CheckServices = %q, want no suggestion", err)
			}
		})
	}
}

// TestAuthFuncWithSelector runs the front-door table through
// go-grpc-middleware's auth interceptor, mounted by its selector on the test
// service only: the guard's AuthFunc and the stand-alone AuthFunc answer
// every case like the interceptors, and the health service, which the
// selector skips, needs no token.
func TestAuthFuncWithSelector(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{unaryCall: guardtest.Requirement}))
	onlyTestService := selector.MatchFunc(func(_ context.Context, c interceptors.CallMeta) bool {
		return c.Service == "grpc.testing.TestService"
	})
	for name, fn := range map[string]auth.AuthFunc{
		"Guard.AuthFunc": g.AuthFunc,
		"AuthFunc":       grpcguard.AuthFunc(f.Validator, guardtest.Requirement),
	} {
		t.Run(name, func(t *testing.T) {
			srv := grpc.NewServer(grpc.ChainUnaryInterceptor(
				selector.UnaryServerInterceptor(auth.UnaryServerInterceptor(fn), onlyTestService)))
			testpb.RegisterTestServiceServer(srv, testService{})
			healthpb.RegisterHealthServer(srv, health.NewServer())
			conn := dial(t, serveWith(t, srv))
			client := testpb.NewTestServiceClient(conn)
			for _, c := range f.Cases() {
				t.Run(c.Name, func(t *testing.T) {
					resp, err := client.UnaryCall(withAuth(t, c.Authorization), &testpb.SimpleRequest{})
					st := status.Convert(err)
					c.CheckGRPC(t, uint32(st.Code()), st.Message(), resp.GetUsername())
				})
			}
			if _, err := healthpb.NewHealthClient(conn).Check(withAuth(t, nil), &healthpb.HealthCheckRequest{}); err != nil {
				t.Errorf("health check without a token, skipped by the selector = %v, want nil", err)
			}
		})
	}
}

// TestGuardAuthFuncOutsideCall checks that the guard's AuthFunc denies a
// context that is not a server call's: it has no method to look up.
func TestGuardAuthFuncOutsideCall(t *testing.T) {
	f := guardtest.New(t)
	g := newGuard(t, f.Validator, grpcguard.WithMethods(map[string]scopes.Requirement{unaryCall: nil}))
	_, err := g.AuthFunc(incoming(t, []string{"Bearer " + f.Token()}))
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("AuthFunc(no method) = %v, want PermissionDenied", err)
	}
}
