package otelguard_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestAPIOnly fails if the package (not its tests) builds any package of the
// OpenTelemetry SDK: the application chooses the implementation.
func TestAPIOnly(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go command not found: %v", err)
	}
	cmd := exec.Command(gobin, "list", "-deps", "-f", "{{.ImportPath}}", ".")
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	api := 0
	for _, p := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(p, "go.opentelemetry.io/otel/sdk"):
			t.Errorf("otelguard builds %s: it must depend on the OpenTelemetry API only", p)
		case p == "go.opentelemetry.io/otel/metric" || p == "go.opentelemetry.io/otel/trace":
			api++
		}
	}
	if api != 2 {
		t.Errorf("go list found %d of the API packages otel/metric and otel/trace, want 2", api)
	}
}
