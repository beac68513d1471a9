package bench_test

import (
	"math"
	"strings"
	"testing"

	"github.com/rsguard/rsguard/bench"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := bench.Median(tt.in); got != tt.want {
			t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

const sample = `goos: linux
BenchmarkFloor/RS256         	   100	     100 ns/op	    0 B/op	 0 allocs/op	 90 cpu-ns/op
BenchmarkFloor/RS256-2       	   100	     120 ns/op	 90 cpu-ns/op
BenchmarkFloor/RS256         	   100	     110 ns/op	 90 cpu-ns/op
BenchmarkRSGuard/RS256/cold  	   100	     105 ns/op	 100 cpu-ns/op
BenchmarkRSGuard/RS256/cached	   100	       2 ns/op
BenchmarkJWX/RS256           	   100	     200 ns/op
BenchmarkAuth0/RS256         	   100	      90 ns/op
BenchmarkPaired/RS256        	   100	     900 ns/op	 1.04 cold/floor	 1.5 jwx/cold	 0.9 auth0/cold	 100 cold/cached
BenchmarkPaired/RS256        	   100	     900 ns/op	 1.06 cold/floor	 1.7 jwx/cold	 1.1 auth0/cold	 100 cold/cached
    bench_test.go:1: a log line
BenchmarkHTTP/RS256/unprotected	1000	100 ns/op	10000 req/s	 40 cpu-ns/op
BenchmarkHTTP/RS256/rsguard	1000	110 ns/op	9000 req/s	 50 cpu-ns/op
BenchmarkHTTPPaired/RS256	1	0.97 rsguard/unprotected	0.3 auth0/unprotected
PASS
`

func TestParseResults(t *testing.T) {
	r, err := bench.ParseResults(strings.NewReader(sample))
	if err != nil {
		t.Fatalf("ParseResults() = %v", err)
	}
	if got := r["BenchmarkFloor/RS256"]["ns/op"]; len(got) != 3 {
		t.Errorf("ParseResults() Floor/RS256 ns/op = %v, want 3 values", got)
	}
	if m, ok := r.Median("BenchmarkFloor/RS256", "ns/op"); !ok || m != 110 {
		t.Errorf("Median(Floor/RS256) = %v, %v, want 110, true", m, ok)
	}
	if m, ok := r.Median("BenchmarkHTTP/RS256/rsguard", "req/s"); !ok || m != 9000 {
		t.Errorf("Median(HTTP rsguard req/s) = %v, %v, want 9000, true", m, ok)
	}
	if _, err := bench.ParseResults(strings.NewReader("BenchmarkX 1 abc ns/op\n")); err == nil {
		t.Error("ParseResults(bad value) = nil error, want an error")
	}
}

func TestAcceptance(t *testing.T) {
	r, err := bench.ParseResults(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[string]bench.Check)
	for _, c := range bench.Acceptance(r, r, bench.WallPerOp) {
		got[c.What] = c
	}
	want := []struct {
		what string
		x    float64 // NaN: not measured
		ok   bool
	}{
		{"RS256: rsguard cold / floor", 105.0 / 110, true},
		{"RS256: lestrrat-go/jwx/v3 / rsguard cold", 200.0 / 105, true},
		{"RS256: auth0/go-jwt-middleware/v2 / rsguard cold", 90.0 / 105, false},
		{"RS256: go-jose/v4 / rsguard cold", math.NaN(), false},
		{"RS256: fastest peer / rsguard cached", 90.0 / 2, true},
		{"HTTP RS256: rsguard / unprotected throughput", 9000.0 / 10000, true},
		{"ES256: rsguard cold / floor", math.NaN(), false},
	}
	for _, w := range want {
		c, ok := got[w.what]
		if !ok {
			t.Errorf("Acceptance() has no %q", w.what)
			continue
		}
		same := math.Abs(c.Got-w.x) < 1e-9 || (math.IsNaN(w.x) && math.IsNaN(c.Got))
		if !same || c.OK != w.ok {
			t.Errorf("Acceptance() %q = %v (met %v), want %v (met %v)", w.what, c.Got, c.OK, w.x, w.ok)
		}
	}
	cpu := bench.Acceptance(r, r, bench.CPUPerOp)
	if c := cpu[len(cpu)-2]; c.What != "HTTP RS256: rsguard / unprotected throughput" || c.Got != 0.8 || c.OK {
		t.Errorf("Acceptance(cpu) HTTP = %+v, want 40/50 = 0.8, not met", c)
	}
	if c := cpu[0]; c.What != "RS256: rsguard cold / floor" || math.Abs(c.Got-100.0/90) > 1e-9 || c.OK {
		t.Errorf("Acceptance(cpu)[0] = %+v, want the floor ratio 1.11, not met", c)
	}
	paired := bench.Acceptance(r, r, bench.Paired)
	if c := paired[0]; math.Abs(c.Got-1.05) > 1e-9 || !c.OK {
		t.Errorf("Acceptance(paired)[0] = %+v, want the floor ratio 1.05, met", c)
	}
	if c := paired[1]; c.What != "RS256: lestrrat-go/jwx/v3 / rsguard cold" || math.Abs(c.Got-1.6) > 1e-9 || !c.OK {
		t.Errorf("Acceptance(paired)[1] = %+v, want jwx / cold 1.6, met", c)
	}
	if c := paired[len(paired)-2]; c.What != "HTTP RS256: rsguard / unprotected throughput" || c.Got != 0.97 || !c.OK {
		t.Errorf("Acceptance(paired) HTTP = %+v, want 0.97, met", c)
	}
	// The fastest peer is auth0 (1.0 × cold), so fastest / cached = 1.0 × 100.
	if c := paired[6]; c.What != "RS256: fastest peer / rsguard cached" || math.Abs(c.Got-100) > 1e-9 || !c.OK {
		t.Errorf("Acceptance(paired)[6] = %+v, want 100 (auth0), met", c)
	}
	var b strings.Builder
	err = bench.WriteChecks(&b, bench.Column{Title: "paired", Checks: paired},
		bench.Column{Title: "wall", Checks: bench.Acceptance(r, r, bench.WallPerOp)},
		bench.Column{Title: "cpu", Checks: cpu})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{
		"| figure | want | paired | met | wall | met | cpu | met |",
		"| RS256: rsguard cold / floor | ≤ 1.10 | 1.05 | yes | 0.95 | yes | 1.11 | no |",
		"| RS256: auth0/go-jwt-middleware/v2 / rsguard cold | > 1 | 1.00 | no | 0.86 | no | — |  |",
		"| HTTP RS256: auth0 / unprotected throughput | (for reference) | 0.30 |  | — |  | — |  |",
	} {
		if !strings.Contains(b.String(), row+"\n") {
			t.Errorf("WriteChecks() = %q, want the row %q", b.String(), row)
		}
	}
}
