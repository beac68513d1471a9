// Command benchratio reads the output of the bench module's benchmarks and of
// cmd/httpload and prints issue #8's acceptance figures as a Markdown table:
// rsguard cold against the signature floor and against every peer, the
// fastest peer against rsguard cached, and rsguard's HTTP throughput against
// the unprotected handler's; then, when the results hold them, issue 13's
// DPoP and certificate-binding figures. Medians are used throughout: of the ratios
// BenchmarkPaired measures, of wall time per operation, and of process CPU
// time per operation.
//
// Usage:
//
//	go run ./cmd/benchratio verify.txt [http.txt]
package main

import (
	"fmt"
	"os"

	"github.com/rsguard/rsguard/bench"
)

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: benchratio verify.txt [http.txt]")
		os.Exit(2)
	}
	verify, err := parse(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
	http := bench.Results{}
	if len(os.Args) == 3 {
		if http, err = parse(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "benchratio:", err)
			os.Exit(1)
		}
	}
	err = bench.WriteChecks(os.Stdout,
		bench.Column{Title: "paired", Checks: bench.Acceptance(verify, http, bench.Paired)},
		bench.Column{Title: "wall time", Checks: bench.Acceptance(verify, http, bench.WallPerOp)},
		bench.Column{Title: "CPU time", Checks: bench.Acceptance(verify, http, bench.CPUPerOp)})
	if err == nil && len(verify["BenchmarkDPoPPaired/ES256"]) > 0 {
		fmt.Println("\nSender-constrained tokens (issue 13), paired medians:")
		fmt.Println()
		err = bench.WriteChecks(os.Stdout, bench.Column{Title: "paired", Checks: bench.DPoPAcceptance(verify)})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
}

func parse(name string) (bench.Results, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return bench.ParseResults(f)
}
