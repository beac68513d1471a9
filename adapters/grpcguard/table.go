package grpcguard

import (
	"errors"

	"github.com/rsguard/rsguard/internal/methodtable"
	"github.com/rsguard/rsguard/scopes"
)

// ErrTable is matched by the error [New] returns for a malformed or
// contradictory method table.
var ErrTable = errors.New("grpcguard: invalid method table")

// Services that are commonly public, for [WithPublic]: the standard health
// checking service (grpc.health.v1) and server reflection (v1 and v1alpha).
const (
	HealthService          = "/grpc.health.v1.Health/*"
	ReflectionService      = "/grpc.reflection.v1.ServerReflection/*"
	ReflectionServiceAlpha = "/grpc.reflection.v1alpha.ServerReflection/*"
)

// Option configures a [Guard]: its method table, and [WithDPoP]. It follows
// gRPC's convention of functional options.
type Option func(*config)

// config collects the options given to [New].
type config struct {
	table *methodtable.Builder
	dpop  bool // WithDPoP
}

// WithMethods adds entries to the method table. A key is a full method name,
// "/pkg.Service/Method", or a service default, "/pkg.Service/*", which
// applies to the methods of the service that have no entry of their own. The
// value is the scope requirement (see [scopes.Requirement]); nil requires a
// valid token, whatever its scopes. For example:
//
//	grpcguard.WithMethods(map[string]scopes.Requirement{
//		"/orders.v1.Orders/*":           scopes.AllOf("orders:read"),
//		"/orders.v1.Orders/CancelOrder": scopes.AllOf("orders:write"),
//		"/orders.v1.Orders/Ping":        nil,
//	})
//
// A key that is malformed, or given twice (here or in [WithPublic]), makes
// [New] fail.
func WithMethods(methods map[string]scopes.Requirement) Option {
	return func(c *config) { c.table.AddRequirements(methods) }
}

// WithPublic lists methods that anyone may call without a token, as full
// method names or service patterns like those of [WithMethods], for example
// [HealthService] and [ReflectionService]. No token is looked at for them, and
// their handlers find no claims. A more specific entry wins: a public method
// of a protected service, or a protected method of a public service, is
// allowed.
func WithPublic(methods ...string) Option {
	return func(c *config) { c.table.AddPublic(methods...) }
}
