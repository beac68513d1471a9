package bench

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Results holds benchmark measurements read from `go test -bench` output:
// benchmark name (without the "-GOMAXPROCS" suffix) → unit → values, one per
// run.
type Results map[string]map[string][]float64

// ParseResults reads Go benchmark-format lines (see the benchfmt proposal,
// golang.org/design/14313-benchmark-format) and ignores every other line.
func ParseResults(r io.Reader) (Results, error) {
	res := make(Results)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(fields[1]); err != nil {
			continue // not a result line (e.g. a log line)
		}
		name := trimProcs(fields[0])
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("bench: %s: bad value %q", name, fields[i])
			}
			if res[name] == nil {
				res[name] = make(map[string][]float64)
			}
			res[name][fields[i+1]] = append(res[name][fields[i+1]], v)
		}
	}
	return res, sc.Err()
}

// trimProcs drops the "-N" GOMAXPROCS suffix of a benchmark name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// Median returns the median of name's values in unit, and whether there are
// any.
func (r Results) Median(name, unit string) (float64, bool) {
	xs := r[name][unit]
	if len(xs) == 0 {
		return 0, false
	}
	return Median(xs), true
}

// Peers are the peer benchmarks: benchmark name, the key naming the peer in
// [BenchmarkPaired]'s ratios, and the label used in tables.
var Peers = []struct{ Bench, Key, Label string }{
	{"BenchmarkJWX", "jwx", "lestrrat-go/jwx/v3"},
	{"BenchmarkGolangJWT", "golang-jwt", "golang-jwt/jwt/v5 (kid map)"},
	{"BenchmarkKeyfunc", "keyfunc", "golang-jwt/jwt/v5 + keyfunc/v3"},
	{"BenchmarkGoJose", "go-jose", "go-jose/v4"},
	{"BenchmarkAuth0", "auth0", "auth0/go-jwt-middleware/v2"},
}

// Check is one acceptance figure of issue #8.
type Check struct {
	What   string
	Want   string  // e.g. "≤ 1.10"; "" for a figure given for reference
	Got    float64 // NaN when not measured
	OK     bool
	Detail string // e.g. the fastest peer's name
}

// Measures the figures are computed in.
const (
	// WallPerOp is wall time per operation, as go test reports it.
	WallPerOp = "ns/op"
	// CPUPerOp is process CPU time per operation, which the bench module's
	// benchmarks and cmd/httpload also report.
	CPUPerOp = "cpu-ns/op"
	// Paired is the ratios BenchmarkPaired reports: verifiers timed call by
	// call in rotating order, so that every one of them sees the same load;
	// a ratio to rsguard cached is one to rsguard cold times cold/cached.
	Paired = "paired"
)

// benchName returns the benchmark measuring verifier key ("floor", "cold",
// "cached" or a peer's key) for alg.
func benchName(key, alg string) string {
	switch key {
	case "floor":
		return "BenchmarkFloor/" + alg
	case "cold", "cached":
		return "BenchmarkRSGuard/" + alg + "/" + key
	}
	for _, p := range Peers {
		if p.Key == key {
			return p.Bench + "/" + alg
		}
	}
	return ""
}

// ratio returns the median time of verifier num over that of den for alg.
func (r Results) ratio(measure, alg, num, den string) (float64, bool) {
	if measure == Paired {
		if den == "cached" && num != "cold" {
			// num/cached = num/cold × cold/cached.
			x, ok := r.ratio(measure, alg, num, "cold")
			y, ok2 := r.ratio(measure, alg, "cold", "cached")
			return x * y, ok && ok2
		}
		return r.Median("BenchmarkPaired/"+alg, num+"/"+den)
	}
	n, ok := r.Median(benchName(num, alg), measure)
	d, ok2 := r.Median(benchName(den, alg), measure)
	if !ok || !ok2 || d == 0 {
		return 0, false
	}
	return n / d, true
}

// Acceptance computes issue #8's figures from verification results and HTTP
// results (which may be empty) in measure [WallPerOp], [CPUPerOp] or
// [Paired], from medians. HTTP throughput is requests per unit of time: the
// inverse of the time per request.
func Acceptance(verify, http Results, measure string) []Check {
	var out []Check
	for _, alg := range Algorithms {
		x, ok := verify.ratio(measure, alg, "cold", "floor")
		out = append(out, check(alg+": rsguard cold / floor", "≤ 1.10", x, ok, x <= 1.10, ""))
		fastest, fastestKey, fastestLabel := math.Inf(1), "", ""
		for _, p := range Peers {
			x, ok := verify.ratio(measure, alg, p.Key, "cold")
			out = append(out, check(alg+": "+p.Label+" / rsguard cold", "> 1", x, ok, x > 1, ""))
			if ok && x < fastest {
				fastest, fastestKey, fastestLabel = x, p.Key, p.Label
			}
		}
		x, ok = math.NaN(), false
		if fastestKey != "" {
			x, ok = verify.ratio(measure, alg, fastestKey, "cached")
		}
		out = append(out, check(alg+": fastest peer / rsguard cached", "≥ 20", x, ok, x >= 20, fastestLabel))
	}
	return append(out, httpChecks(http, measure)...)
}

func httpChecks(http Results, measure string) []Check {
	// Throughput in wall time is the measured requests per second; in CPU
	// time, the inverse of the CPU time per request; paired, the per-round
	// ratios of requests per second.
	unit, inverse := "req/s", false
	if measure == CPUPerOp {
		unit, inverse = CPUPerOp, true
	}
	ratio := func(alg, server string) (float64, bool) {
		if measure == Paired {
			return http.Median("BenchmarkHTTPPaired/"+alg, server+"/"+Unprotected)
		}
		base, ok := http.Median("BenchmarkHTTP/"+alg+"/"+Unprotected, unit)
		x, ok2 := http.Median("BenchmarkHTTP/"+alg+"/"+server, unit)
		if !ok || !ok2 || base == 0 || x == 0 {
			return math.NaN(), false
		}
		if inverse {
			return base / x, true
		}
		return x / base, true
	}
	var out []Check
	for _, alg := range Algorithms {
		if _, ok := http.Median("BenchmarkHTTP/"+alg+"/"+Unprotected, unit); !ok {
			continue
		}
		x, ok := ratio(alg, RSGuard)
		out = append(out, check("HTTP "+alg+": rsguard / unprotected throughput", "≥ 0.85", x, ok, x >= 0.85, ""))
		x, ok = ratio(alg, Auth0)
		out = append(out, check("HTTP "+alg+": auth0 / unprotected throughput", "", x, ok, false, ""))
	}
	return out
}

func check(what, want string, x float64, ok, pass bool, detail string) Check {
	if !ok {
		return Check{What: what, Want: want, Got: math.NaN()}
	}
	return Check{What: what, Want: want, Got: x, OK: pass && want != "", Detail: detail}
}

// Column is one measure's checks, as [Acceptance] returns them.
type Column struct {
	Title  string
	Checks []Check
}

// WriteChecks writes the columns' checks — the same figures in the same order
// — as one Markdown table, and how many figures each column meets.
func WriteChecks(w io.Writer, cols ...Column) error {
	if len(cols) == 0 {
		return nil
	}
	bw := bufio.NewWriter(w)
	fmt.Fprint(bw, "| figure | want |")
	sep := "| --- | --- |"
	for _, c := range cols {
		fmt.Fprintf(bw, " %s | met |", c.Title)
		sep += " --- | --- |"
	}
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, sep)
	met := make([]int, len(cols))
	for i, first := range cols[0].Checks {
		want := first.Want
		if want == "" {
			want = "(for reference)"
		}
		fmt.Fprintf(bw, "| %s | %s |", first.What, want)
		for j, col := range cols {
			c := Check{Got: math.NaN()}
			if i < len(col.Checks) && col.Checks[i].What == first.What {
				c = col.Checks[i]
			}
			if c.OK {
				met[j]++
			}
			fmt.Fprintf(bw, " %s | %s |", c.got(), verdict(c))
		}
		fmt.Fprintln(bw)
	}
	fmt.Fprintln(bw)
	for j, col := range cols {
		fmt.Fprintf(bw, "- %s: %d of %d figures met\n", col.Title, met[j], countWanted(col.Checks))
	}
	return bw.Flush()
}

func countWanted(checks []Check) int {
	n := 0
	for _, c := range checks {
		if c.Want != "" && !math.IsNaN(c.Got) {
			n++
		}
	}
	return n
}

func (c Check) got() string {
	if math.IsNaN(c.Got) {
		return "—"
	}
	s := strconv.FormatFloat(c.Got, 'f', 2, 64)
	if c.Detail != "" {
		s += " (" + c.Detail + ")"
	}
	return s
}

func verdict(c Check) string {
	switch {
	case math.IsNaN(c.Got) || c.Want == "":
		return ""
	case c.OK:
		return "yes"
	}
	return "no"
}
