package interop_test

import (
	"context"
	"net"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/rsguard/rsguard/adapters/grpcguard"
	"github.com/rsguard/rsguard/introspection"
	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// The gRPC API under test: a service described by hand (no generated code),
// whose methods answer "<sub> <scopes>" from the claims rsguard put in the
// call's context.
const (
	ordersService = "interop.v1.Orders"
	methodList    = "/" + ordersService + "/List"   // needs scopeRead
	methodCancel  = "/" + ordersService + "/Cancel" // needs scopeWrite
)

var ordersDesc = grpc.ServiceDesc{
	ServiceName: ordersService,
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "List", Handler: whoamiMethod(methodList)},
		{MethodName: "Cancel", Handler: whoamiMethod(methodCancel)},
	},
}

// whoamiMethod is a unary method handler taking an Empty and answering a
// StringValue, through the server's interceptor.
func whoamiMethod(fullMethod string) grpc.MethodHandler {
	return func(_ any, ctx context.Context, dec func(any) error, intercept grpc.UnaryServerInterceptor) (any, error) {
		in := new(emptypb.Empty)
		if err := dec(in); err != nil {
			return nil, err
		}
		h := func(ctx context.Context, _ any) (any, error) {
			c, ok := middleware.FromContext(ctx)
			if !ok {
				return nil, status.Error(codes.Internal, "no claims in context")
			}
			return wrapperspb.String(c.Subject + " " + c.Scopes.String()), nil
		}
		if intercept == nil {
			return h(ctx, in)
		}
		return intercept(ctx, in, &grpc.UnaryServerInfo{FullMethod: fullMethod}, h)
	}
}

// newGRPCAPI serves the Orders service on an in-memory connection, guarded by
// grpcguard's unary interceptor, and returns a client connection that sends
// the tokens of ts (none when ts is nil).
func newGRPCAPI(t *testing.T, v *middleware.Validator, ts oauth2.TokenSource) *grpc.ClientConn {
	t.Helper()
	g, err := grpcguard.New(v, grpcguard.WithMethods(map[string]scopes.Requirement{
		methodList:   scopes.AllOf(scopeRead),
		methodCancel: scopes.AllOf(scopeWrite),
	}))
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(g.UnaryServerInterceptor()))
	srv.RegisterService(&ordersDesc, struct{}{})
	lis := bufconn.Listen(1 << 20)
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(); <-served })

	opts := []grpc.DialOption{
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	}
	if ts != nil {
		// In memory, no one can observe the connection: the only case
		// AllowInsecureTransport is meant for besides tests.
		opts = append(opts, grpc.WithPerRPCCredentials(grpcguard.NewCredentials(ts, grpcguard.AllowInsecureTransport())))
	}
	conn, err := grpc.NewClient("passthrough:///bufconn", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// grpcCall calls method and returns the answer and the status code.
func grpcCall(t *testing.T, conn *grpc.ClientConn, method string) (string, codes.Code) {
	t.Helper()
	out := new(wrapperspb.StringValue)
	err := conn.Invoke(testContext(t), method, new(emptypb.Empty), out)
	return out.GetValue(), status.Code(err)
}

// grpcCase is one authorization server and token kind for TestGRPC: a
// validator for the server's tokens, and the client credentials that get
// them from its token endpoint.
type grpcCase struct {
	name  string
	setup func(t *testing.T) (*middleware.Validator, clientcredentials.Config, string)
}

var grpcCases = []grpcCase{
	{"zitadel JWT", func(t *testing.T) (*middleware.Validator, clientcredentials.Config, string) {
		z := newZitadelServer(t, opaqueJWE)
		secret := z.addClient("svc-jwt", op.AccessTokenTypeJWT, scopeRead, scopeWrite)
		v, _ := jwtValidator(t, z.issuer, rsClientID, middleware.CompatTypes(), nil)
		return v, ccConfig(zitadelMetadata(t, z).TokenEndpoint, "svc-jwt", secret, nil), "svc-jwt"
	}},
	{"zitadel opaque", func(t *testing.T) (*middleware.Validator, clientcredentials.Config, string) {
		z := newZitadelServer(t, opaqueJWE) // compact JWE, opaque to rsguard
		md := zitadelMetadata(t, z)
		rsSecret := z.addResourceServer(nil)
		secret := z.addClient("svc-opaque", op.AccessTokenTypeBearer, scopeRead, scopeWrite)
		in := newIntrospector(t, md.IntrospectionEndpoint, introspection.ClientSecretBasic(rsClientID, rsSecret))
		return introspectionValidator(t, z.issuer, rsClientID, in), ccConfig(md.TokenEndpoint, "svc-opaque", secret, nil), "svc-opaque"
	}},
	{"fosite JWT", func(t *testing.T) (*middleware.Validator, clientcredentials.Config, string) {
		f := newFositeServer(t, fositeJWT)
		v, _ := fositeValidator(t, f, nil)
		return v, ccConfig(f.issuer+fositeTokenPath, fositeSvc, f.secrets[fositeSvc], fositeParams), fositeSvc
	}},
	{"fosite opaque", func(t *testing.T) (*middleware.Validator, clientcredentials.Config, string) {
		f := newFositeServer(t, fositeOpaque)
		in := newIntrospector(t, f.issuer+fositeIntrospectPath, introspection.ClientSecretBasic(fositeRS, f.secrets[fositeRS]))
		return introspectionValidator(t, f.issuer, fositeAudience, in), ccConfig(f.issuer+fositeTokenPath, fositeSvc, f.secrets[fositeSvc], fositeParams), fositeSvc
	}},
}

// TestGRPC checks each server's tokens through grpcguard: a client with
// grpcguard.Credentials over an x/oauth2 client_credentials token source,
// asking for scopeRead only, may List (the handler sees its claims) but not
// Cancel; a client without a token may do neither.
func TestGRPC(t *testing.T) {
	for _, tc := range grpcCases {
		t.Run(tc.name, func(t *testing.T) {
			v, cc, sub := tc.setup(t)
			cc.Scopes = []string{scopeRead}
			conn := newGRPCAPI(t, v, cc.TokenSource(testContext(t)))
			if got, code := grpcCall(t, conn, methodList); code != codes.OK || got != sub+" "+scopeRead {
				t.Errorf("List = %q, %v; want %q, OK", got, code, sub+" "+scopeRead)
			}
			if _, code := grpcCall(t, conn, methodCancel); code != codes.PermissionDenied {
				t.Errorf("Cancel = %v, want PermissionDenied", code)
			}
			anon := newGRPCAPI(t, v, nil)
			if _, code := grpcCall(t, anon, methodList); code != codes.Unauthenticated {
				t.Errorf("List without a token = %v, want Unauthenticated", code)
			}
		})
	}
}
