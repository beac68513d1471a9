package grpcguard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/grpc"

	"github.com/rsguard/rsguard/middleware"
	"github.com/rsguard/rsguard/scopes"
)

// ServiceInfoProvider is what [Guard.CheckServices] reads: a *grpc.Server has
// it.
type ServiceInfoProvider interface {
	GetServiceInfo() map[string]grpc.ServiceInfo
}

// CheckServices checks the method table against the services registered on
// s (a *grpc.Server, or anything with its GetServiceInfo), so that a
// misspelt entry fails at start-up instead of denying its method forever:
// every entry must name a registered service, and a full method name one of
// its methods. The error matches [ErrTable] and names each entry that does
// not, with the closest registered name. Call it after registering the
// services and before serving:
//
//	pb.RegisterOrdersServer(srv, orders)
//	if err := guard.CheckServices(srv); err != nil {
//		log.Fatal(err) // grpcguard: invalid method table: "/orders.v1.Order/*": no service "orders.v1.Order" (did you mean "orders.v1.Orders"?)
//	}
//
// Methods that no entry covers are not errors: they are denied, as [New]
// says.
func (g *Guard) CheckServices(s ServiceInfoProvider) error {
	info := s.GetServiceInfo()
	var errs []error
	for _, key := range g.table.Keys() {
		if err := checkEntry(key, info); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkEntry checks one table key ("/svc/Method" or the prefix "/svc/").
func checkEntry(key string, info map[string]grpc.ServiceInfo) error {
	service, method, _ := strings.Cut(key[1:], "/")
	name := key
	if method == "" {
		name += "*"
	}
	si, ok := info[service]
	if !ok {
		return fmt.Errorf("%w: %q: no service %q%s", ErrTable, name, service, closest(service, mapKeys(info)))
	}
	if method == "" {
		return nil
	}
	methods := make([]string, len(si.Methods))
	for i, m := range si.Methods {
		methods[i] = m.Name
	}
	if !slices.Contains(methods, method) {
		return fmt.Errorf("%w: %q: service %q has no method %q%s", ErrTable, name, service, method, closest(method, slices.Values(methods)))
	}
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// closest suggests the candidate nearest to name, when one is near enough to
// be a misspelling (an edit distance of at most a third of its length).
func closest(name string, candidates func(func(string) bool)) string {
	best, bestD := "", len(name)/3+1
	for c := range candidates {
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestD || (d == bestD && best != "" && c < best) {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// AuthFunc decides the call in ctx by the method table, as the interceptors
// do: it has the signature of go-grpc-middleware's auth.AuthFunc
// (interceptors/auth), so the guard composes with that package's
// interceptors and with its selector, without rsguard depending on it:
//
//	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(
//		auth.UnaryServerInterceptor(guard.AuthFunc)))
//
// The method comes from the call's context ([grpc.Method]); a context
// without one (not inside a gRPC server call) is denied with
// codes.PermissionDenied, like a method not in the table.
func (g *Guard) AuthFunc(ctx context.Context) (context.Context, error) {
	method, _ := grpc.Method(ctx)
	return g.Authorize(ctx, method)
}

// AuthFunc returns a go-grpc-middleware auth.AuthFunc that admits a call
// whose token v accepts and whose scopes satisfy req (nil: a valid token,
// whatever its scopes), for servers where another component — such as
// go-grpc-middleware's selector — chooses which methods it guards:
//
//	authn := auth.UnaryServerInterceptor(grpcguard.AuthFunc(v, scopes.AllOf("orders:read")))
//	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(
//		selector.UnaryServerInterceptor(authn, selector.MatchFunc(notHealth))))
//
// Unlike a [Guard], it has no method table and so does not fail closed for
// methods the selector lets through unguarded. It returns the context with
// the claims ([middleware.NewContext]), or a gRPC status error with the codes
// of the package documentation. AuthFunc panics if v is nil.
func AuthFunc(v *middleware.Validator, req scopes.Requirement) func(context.Context) (context.Context, error) {
	if v == nil {
		panic("grpcguard: AuthFunc with a nil *middleware.Validator")
	}
	return func(ctx context.Context) (context.Context, error) {
		return admit(ctx, v, req)
	}
}

// admit hands the call's credentials to the core's entry point, with the
// call's method as the route for the hooks.
func admit(ctx context.Context, v *middleware.Validator, req scopes.Requirement) (context.Context, error) {
	cred := callCredentials(ctx)
	cred.Route, _ = grpc.Method(ctx)
	return admitCred(ctx, v, &cred, req)
}

// admitCred hands cred to the core's entry point and puts the claims in ctx.
func admitCred(ctx context.Context, v *middleware.Validator, cred *middleware.Credentials, req scopes.Requirement) (context.Context, error) {
	claims, err := v.Admit(ctx, cred, req)
	if err != nil {
		return ctx, statusOf(ctx, err)
	}
	return middleware.NewContext(ctx, claims), nil
}
