package grpcguard

import (
	"errors"
	"fmt"
	"strings"

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

// Option configures a [Guard]'s method table, following gRPC's convention of
// functional options.
type Option func(*table)

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
	return func(t *table) {
		for name, req := range methods {
			t.add(name, rule{req: req})
		}
	}
}

// WithPublic lists methods that anyone may call without a token, as full
// method names or service patterns like those of [WithMethods], for example
// [HealthService] and [ReflectionService]. No token is looked at for them, and
// their handlers find no claims. A more specific entry wins: a public method
// of a protected service, or a protected method of a public service, is
// allowed.
func WithPublic(methods ...string) Option {
	return func(t *table) {
		for _, name := range methods {
			t.add(name, rule{public: true})
		}
	}
}

// rule is what the table says of a method.
type rule struct {
	public bool
	req    scopes.Requirement // nil: any valid token
}

// table collects the options' entries; the first error sticks.
type table struct {
	rules map[string]rule
	err   error
	dpop  bool // WithDPoP
}

func (t *table) add(name string, r rule) {
	key, err := tableKey(name)
	if err == nil {
		if _, dup := t.rules[key]; dup {
			err = fmt.Errorf("%w: %q listed twice", ErrTable, name)
		}
	}
	if err != nil {
		if t.err == nil {
			t.err = err
		}
		return
	}
	t.rules[key] = r
}

// tableKey checks a method name or service pattern and returns its key: the
// full method name, or for "/pkg.Service/*" the prefix "/pkg.Service/".
func tableKey(name string) (string, error) {
	service, method, ok := strings.Cut(strings.TrimPrefix(name, "/"), "/")
	if !ok || !strings.HasPrefix(name, "/") || service == "" || method == "" ||
		strings.ContainsAny(method, "/") || strings.ContainsAny(service, "*") ||
		(method != "*" && strings.Contains(method, "*")) {
		return "", fmt.Errorf("%w: %q is not \"/pkg.Service/Method\" nor \"/pkg.Service/*\"", ErrTable, name)
	}
	if method == "*" {
		return name[:len(name)-1], nil
	}
	return name, nil
}

// lookup returns the rule of fullMethod: its own entry, else its service's.
func (g *Guard) lookup(fullMethod string) (rule, bool) {
	if r, ok := g.rules[fullMethod]; ok {
		return r, true
	}
	i := strings.LastIndexByte(fullMethod, '/')
	if i <= 0 {
		return rule{}, false
	}
	r, ok := g.rules[fullMethod[:i+1]]
	return r, ok
}
