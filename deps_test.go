package rsguard_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The root module is what a net/http user builds: it may depend only on the
// standard library, golang.org/x and github.com/lestrrat-go (jwx and what jwx
// itself needs). Framework and store integrations live in nested modules
// (adapters/*, stores/*), so that their dependencies never reach the user's
// build. This test enforces it, after Tailscale's tstest/deptest.

// allowedRoots are the module path prefixes the root module may require
// directly.
var allowedRoots = []string{"golang.org/x/", "github.com/lestrrat-go/"}

// forbidden returns which framework, SDK or store an import path belongs to,
// or "": any path element named gin or echo (or gin-…, echo-…; Echo v4 and v5
// alike), mentioning grpc, protobuf, redis, valkey or opentelemetry, named
// redigo, Connect's (connectrpc.com, connect-go), or the Model Context
// Protocol SDK's (github.com/modelcontextprotocol, mcp-go). adapters/otelguard
// is a nested module: a net/http user never builds OpenTelemetry.
func forbidden(importPath string) string {
	for _, elem := range strings.Split(importPath, "/") {
		switch {
		case elem == "gin" || strings.HasPrefix(elem, "gin-"):
			return "gin"
		case elem == "echo" || strings.HasPrefix(elem, "echo-"):
			return "echo"
		case strings.Contains(elem, "grpc"):
			return "grpc"
		case strings.Contains(elem, "protobuf"):
			return "protobuf"
		case elem == "modelcontextprotocol" || elem == "mcp-go":
			return "mcp"
		case elem == "connectrpc.com" || elem == "connect-go":
			return "connect"
		case strings.Contains(elem, "redis") || elem == "redigo":
			return "redis"
		case strings.Contains(elem, "valkey"):
			return "valkey"
		case strings.Contains(elem, "opentelemetry"):
			return "opentelemetry"
		}
	}
	return ""
}

func TestForbidden(t *testing.T) {
	for path, want := range map[string]string{
		"github.com/gin-gonic/gin":                                      "gin",
		"github.com/gin-gonic/gin/binding":                              "gin",
		"github.com/labstack/echo/v4":                                   "echo",
		"github.com/labstack/echo/v5":                                   "echo",
		"github.com/labstack/echo/v5/middleware":                        "echo",
		"connectrpc.com/connect":                                        "connect",
		"connectrpc.com/grpchealth":                                     "connect",
		"github.com/bufbuild/connect-go":                                "connect",
		"github.com/example/connector":                                  "",
		"github.com/example/connect":                                    "",
		"github.com/labstack/echo-contrib/jaegertr":                     "echo",
		"google.golang.org/grpc":                                        "grpc",
		"github.com/grpc-ecosystem/go-grpc-mw/v2":                       "grpc",
		"google.golang.org/protobuf/proto":                              "protobuf",
		"github.com/golang/protobuf/proto":                              "protobuf",
		"github.com/gogo/protobuf":                                      "protobuf",
		"github.com/modelcontextprotocol/go-sdk":                        "mcp",
		"github.com/modelcontextprotocol/go-sdk/mcp":                    "mcp",
		"github.com/mark3labs/mcp-go/server":                            "mcp",
		"github.com/rsguard/rsguard/adapters/mcpguard":                  "",
		"github.com/redis/go-redis/v9":                                  "redis",
		"github.com/go-redis/redis/v8":                                  "redis",
		"github.com/gomodule/redigo/redis":                              "redis",
		"github.com/gomodule/redigo":                                    "redis",
		"github.com/valkey-io/valkey-go":                                "valkey",
		"github.com/rsguard/rsguard/stores/redisstore":                  "redis",
		"github.com/lestrrat-go/jwx/v3/jwk":                             "",
		"golang.org/x/sync/singleflight":                                "",
		"github.com/rsguard/rsguard/middleware":                         "",
		"github.com/rsguard/rsguard/middleware/jwks":                    "",
		"github.com/example/origin/login/engine":                        "",
		"github.com/example/echoes":                                     "",
		"go.opentelemetry.io/otel":                                      "opentelemetry",
		"go.opentelemetry.io/otel/sdk/metric":                           "opentelemetry",
		"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp": "opentelemetry",
		"github.com/rsguard/rsguard/adapters/otelguard":                 "",
	} {
		if got := forbidden(path); got != want {
			t.Errorf("forbidden(%q) = %q, want %q", path, got, want)
		}
	}
}

// goCmd runs the go command in the root module, as a user's build would
// (GOWORK=off).
func goCmd(t *testing.T, args ...string) []byte {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command not found: %v", err)
	}
	cmd := exec.Command(gobin, args...)
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// TestDeps fails if any package of the root module, or any of their tests,
// imports gin, echo (v4 or v5), grpc, protobuf, connect, the MCP SDK, a
// Redis client or OpenTelemetry.
func TestDeps(t *testing.T) {
	out := goCmd(t, "list", "-deps", "-test", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./...")
	n := 0
	for _, path := range strings.Fields(string(out)) {
		n++
		if fw := forbidden(path); fw != "" {
			t.Errorf("the root module depends on %s (%s); framework and store code belongs in a nested module under adapters/ or stores/", path, fw)
		}
	}
	if n == 0 {
		t.Fatal("go list -deps listed no package")
	}
}

// layers are the rsguard packages each lower layer may import (besides
// the standard library and allowed modules): the key sources import nothing
// of middleware, so that middleware can build the ones it owns; discovery
// and the JSON scanner are leaves.
var layers = map[string][]string{
	"./middleware/jwks":    {"internal/discovery", "internal/httpx", "internal/jose", "internal/jsonscan"},
	"./internal/discovery": {"internal/httpx", "internal/jsonscan"},
	"./internal/jsonscan":  nil,
}

// TestLayers fails if a package of [layers] imports, directly or not, an
// rsguard package outside its list.
func TestLayers(t *testing.T) {
	const mod = "github.com/rsguard/rsguard/"
	for pkg, allowed := range layers {
		out := goCmd(t, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg)
		self := mod + strings.TrimPrefix(pkg, "./")
		for _, path := range strings.Fields(string(out)) {
			rel, ok := strings.CutPrefix(path, mod)
			if !ok || path == self {
				continue
			}
			if !slices.Contains(allowed, rel) {
				t.Errorf("%s imports %s; it may import only %q of rsguard", pkg, path, allowed)
			}
		}
	}
}

// TestModules fails if the root module requires a module outside
// allowedRoots, or needs one that no allowed requirement brings in.
func TestModules(t *testing.T) {
	var mod struct {
		Module  struct{ Path string }
		Require []struct {
			Path     string
			Indirect bool
		}
	}
	if err := json.Unmarshal(goCmd(t, "mod", "edit", "-json"), &mod); err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for _, r := range mod.Require {
		if !r.Indirect && !hasAllowedRoot(r.Path) {
			t.Errorf("go.mod requires %s; the root module may require only %q", r.Path, allowedRoots)
		}
		if hasAllowedRoot(r.Path) {
			allowed[r.Path] = true
		}
	}
	reach := reachable(t, allowed)
	for _, r := range mod.Require {
		if !reach[r.Path] {
			t.Errorf("go.mod requires %s (indirect), which no allowed module needs", r.Path)
		}
	}
	// Every module whose packages the root module builds.
	out := goCmd(t, "list", "-deps", "-test", "-f", "{{with .Module}}{{.Path}}{{end}}", "./...")
	for _, path := range strings.Fields(string(out)) {
		if path != mod.Module.Path && !reach[path] {
			t.Errorf("the root module builds packages of %s, which no allowed module needs", path)
		}
	}
}

func hasAllowedRoot(path string) bool {
	for _, p := range allowedRoots {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// reachable returns the modules reachable from roots in the module graph
// (go mod graph), roots included, by path.
func reachable(t *testing.T, roots map[string]bool) map[string]bool {
	t.Helper()
	edges := map[string][]string{}
	for _, line := range strings.Split(string(goCmd(t, "mod", "graph")), "\n") {
		from, to, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		from, _, _ = strings.Cut(from, "@")
		to, _, _ = strings.Cut(to, "@")
		edges[from] = append(edges[from], to)
	}
	seen := map[string]bool{}
	var queue []string
	for r := range roots {
		seen[r] = true
		queue = append(queue, r)
	}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		for _, next := range edges[m] {
			if !seen[next] {
				seen[next] = true
				queue = append(queue, next)
			}
		}
	}
	return seen
}
