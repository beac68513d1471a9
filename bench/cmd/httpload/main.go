// Command httpload measures end-to-end HTTP throughput on loopback: the same
// small handler unprotected, behind rsguard's guard (verified-token cache
// warm) and behind auth0/go-jwt-middleware's CheckJWT, each loaded in turn by
// a bounded Go load generator with concurrent keep-alive clients. It prints
// one line per run in the Go benchmark format (for benchstat: wall and
// process CPU time per request, requests per second), one line per round with
// each protected server's throughput over the unprotected one's in that round
// (runs a second apart at most, so that the ratio holds when the machine's
// load changes between rounds), and, on
// standard error, the median requests per second of each server and its ratio
// to the unprotected handler's.
//
// Usage:
//
//	go run ./cmd/httpload [-alg RS256] [-clients 8] [-duration 300ms] [-rounds 30] [-max 2000000]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/rsguard/rsguard/bench"
)

func main() {
	alg := flag.String("alg", "RS256", "signing algorithm of the token: RS256, ES256 or EdDSA")
	clients := flag.Int("clients", 8, "concurrent keep-alive connections")
	duration := flag.Duration("duration", 300*time.Millisecond, "duration of one run against one server")
	rounds := flag.Int("rounds", 30, "runs per server, interleaved")
	maxReq := flag.Int("max", 2_000_000, "request bound of one run")
	flag.Parse()
	cfg := bench.LoadConfig{Clients: *clients, Duration: *duration, MaxRequests: *maxReq}
	if err := run(os.Stdout, os.Stderr, *alg, *rounds, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "httpload:", err)
		os.Exit(1)
	}
}

func run(out, summary io.Writer, alg string, rounds int, cfg bench.LoadConfig) error {
	if rounds < 1 || rounds > 100 {
		return fmt.Errorf("-rounds %d: want 1 to 100", rounds)
	}
	f, err := bench.NewFixture()
	if err != nil {
		return err
	}
	if _, ok := f.Cases[alg]; !ok {
		return fmt.Errorf("-alg %q: want one of %v", alg, bench.Algorithms)
	}
	srv, err := bench.StartServers(f, alg)
	if err != nil {
		return err
	}
	defer srv.Close()
	ctx, token := context.Background(), f.Cases[alg].Token
	// Warm up: rsguard's cache, auth0's JWKS, connections, the runtime.
	warm := bench.LoadConfig{Clients: cfg.Clients, Duration: 300 * time.Millisecond, MaxRequests: 20_000}
	for _, name := range bench.ServerNames {
		if _, err := bench.Load(ctx, srv.URLs[name], token, warm); err != nil {
			return fmt.Errorf("warm-up of %s: %w", name, err)
		}
	}
	rps := make(map[string][]float64)
	ratios := make(map[string][]float64) // per round: req/s over the unprotected one's
	fmt.Fprintf(out, "goos: %s\ngoarch: %s\npkg: github.com/rsguard/rsguard/bench/cmd/httpload\n", runtime.GOOS, runtime.GOARCH)
	for r := range rounds {
		round := make(map[string]float64)
		for i := range bench.ServerNames {
			// Rotate the order so that no server always runs first or last.
			name := bench.ServerNames[(i+r)%len(bench.ServerNames)]
			res, err := bench.Load(ctx, srv.URLs[name], token, cfg)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if res.Requests == 0 {
				return fmt.Errorf("%s: no request answered in %v", name, cfg.Duration)
			}
			round[name] = res.RPS()
			rps[name] = append(rps[name], res.RPS())
			fmt.Fprintf(out, "BenchmarkHTTP/%s/%s\t%d\t%.0f ns/op\t%.0f req/s\t%.0f cpu-ns/op\n",
				alg, name, res.Requests, 1e9/res.RPS(), res.RPS(), float64(res.CPU)/float64(res.Requests))
		}
		// The runs of one round are a second apart at most: their ratio holds
		// when the machine's load changes between rounds.
		fmt.Fprintf(out, "BenchmarkHTTPPaired/%s\t1\t%.4f %s/%s\t%.4f %s/%s\n", alg,
			round[bench.RSGuard]/round[bench.Unprotected], bench.RSGuard, bench.Unprotected,
			round[bench.Auth0]/round[bench.Unprotected], bench.Auth0, bench.Unprotected)
		for _, name := range bench.ServerNames {
			ratios[name] = append(ratios[name], round[name]/round[bench.Unprotected])
		}
	}
	fmt.Fprintf(summary, "HTTP %s, %d clients, %d rounds of %v per server (medians):\n", alg, cfg.Clients, rounds, cfg.Duration)
	for _, name := range bench.ServerNames {
		fmt.Fprintf(summary, "  %-12s %9.0f req/s  %5.1f%% of unprotected in the same round\n",
			name, bench.Median(rps[name]), 100*bench.Median(ratios[name]))
	}
	return nil
}
