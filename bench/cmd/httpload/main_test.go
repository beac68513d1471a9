package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rsguard/rsguard/bench"
)

// TestRun runs a tiny load and checks that benchratio's parser reads every
// server's figures from the output.
func TestRun(t *testing.T) {
	var out, summary bytes.Buffer
	cfg := bench.LoadConfig{Clients: 2, Duration: 10 * time.Second, MaxRequests: 40}
	if err := run(&out, &summary, "ES256", 2, cfg); err != nil {
		t.Fatalf("run() = %v", err)
	}
	res, err := bench.ParseResults(&out)
	if err != nil {
		t.Fatalf("ParseResults(run output) = %v", err)
	}
	for _, unit := range []string{"rsguard/unprotected", "auth0/unprotected"} {
		if xs := res["BenchmarkHTTPPaired/ES256"][unit]; len(xs) != 2 || xs[0] <= 0 {
			t.Errorf("BenchmarkHTTPPaired/ES256 %s = %v, want 2 ratios > 0", unit, xs)
		}
	}
	for _, name := range bench.ServerNames {
		b := "BenchmarkHTTP/ES256/" + name
		if n := len(res[b]["req/s"]); n != 2 {
			t.Errorf("%s: %d req/s figures, want 2 (one per round)", b, n)
		}
		if m, ok := res.Median(b, "ns/op"); !ok || m <= 0 {
			t.Errorf("Median(%s, ns/op) = %v, %v, want > 0", b, m, ok)
		}
		if !strings.Contains(summary.String(), name) {
			t.Errorf("summary = %q, want a line for %s", summary.String(), name)
		}
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	var out bytes.Buffer
	for _, tt := range []struct {
		alg    string
		rounds int
	}{{"HS256", 1}, {"ES256", 0}, {"ES256", 101}} {
		if err := run(&out, &out, tt.alg, tt.rounds, bench.LoadConfig{}); err == nil {
			t.Errorf("run(%q, %d rounds) = nil, want an error", tt.alg, tt.rounds)
		}
	}
}
