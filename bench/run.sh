#!/usr/bin/env bash
# Runs the bench module's comparisons (issue #8) — the signature floor,
# rsguard cold and cached, and every peer, for RS256, ES256 and EdDSA, on the
# same keys and tokens — then the HTTP load figure on loopback, and prints a
# Markdown report for BENCHMARKS.md: machine, command, peer versions,
# benchstat tables and the acceptance ratios (medians, in wall time and in
# process CPU time).
#
# Usage: bench/run.sh > report.md     (from anywhere; about 6 minutes)
# Environment:
#   COUNT=6        samples of each benchmark, at -cpu 1
#   BENCHTIME=1s   -benchtime of each sample
#   INTERLEAVE=1   take the COUNT samples as COUNT runs of the whole suite
#                  with -count 1, so that load swings of a shared machine
#                  fall on every benchmark alike; 0: one run with -count COUNT
#   HTTP_ROUNDS=40 HTTP_DURATION=300ms HTTP_CLIENTS=8 HTTP_ALG=RS256
#   OUT=dir        where raw results go (default: a new temporary directory)
set -euo pipefail
cd "$(dirname "$0")"
export GOWORK=off

BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da # golang.org/x/perf; its go.mod says go 1.26.0
COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-1s}
INTERLEAVE=${INTERLEAVE:-1}
HTTP_ROUNDS=${HTTP_ROUNDS:-40}
HTTP_DURATION=${HTTP_DURATION:-300ms}
HTTP_CLIENTS=${HTTP_CLIENTS:-8}
HTTP_ALG=${HTTP_ALG:-RS256}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"

BENCHSTAT=$(command -v benchstat || true)
if [ -z "$BENCHSTAT" ]; then
  BENCHSTAT="$(go env GOPATH)/bin/benchstat"
  if [ ! -x "$BENCHSTAT" ]; then
    echo "== installing benchstat ${BENCHSTAT_VERSION}" >&2
    go install "golang.org/x/perf/cmd/benchstat@${BENCHSTAT_VERSION}"
  fi
fi

load() { cut -d' ' -f1-3 /proc/loadavg; }
# The processor's family, model and stepping: the name alone can stay the same
# across generations (a figure set on one may not hold on another).
cpuid_line() {
  awk -F': *' '/^cpu family/ && !f {f=$2} /^model[ \t]*:/ && !m {m=$2} /^stepping/ && !s {s=$2}
    END {printf "family %s, model %s, stepping %s", f, m, s}' /proc/cpuinfo
}
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(load)

echo "== verification benchmarks: -cpu 1, ${COUNT} samples of ${BENCHTIME}" >&2
# Build everything first, so that the run measures one version of the code.
go test -c -o "$OUT/bench.test" .
go build -o "$OUT/httpload" ./cmd/httpload
go build -o "$OUT/benchratio" ./cmd/benchratio
run_suite() {
  "$OUT/bench.test" -test.run '^$' -test.bench . -test.cpu 1 -test.benchtime "$BENCHTIME" "$@"
}
if [ "$INTERLEAVE" = 1 ]; then
  : > "$OUT/verify.txt"
  for i in $(seq "$COUNT"); do
    echo "-- round $i of $COUNT" >&2
    run_suite -test.count 1 >> "$OUT/verify.txt"
  done
else
  run_suite -test.count "$COUNT" > "$OUT/verify.txt"
fi

echo "== HTTP load on loopback: ${HTTP_ROUNDS} rounds of ${HTTP_DURATION} per server" >&2
"$OUT/httpload" -alg "$HTTP_ALG" -rounds "$HTTP_ROUNDS" -duration "$HTTP_DURATION" \
  -clients "$HTTP_CLIENTS" > "$OUT/http.txt"
load_after=$(load)

cat <<EOF
Run ${started} with \`bench/run.sh\` (COUNT=${COUNT} BENCHTIME=${BENCHTIME} INTERLEAVE=${INTERLEAVE} HTTP_ROUNDS=${HTTP_ROUNDS} HTTP_DURATION=${HTTP_DURATION} HTTP_CLIENTS=${HTTP_CLIENTS} HTTP_ALG=${HTTP_ALG}).

- Go: \`$(go version)\`
- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(cpuid_line) (/proc/cpuinfo; \`go test\` reports "$(grep -m1 '^cpu:' "$OUT/verify.txt" | cut -d: -f2- | sed 's/^ *//; s/ *$//')"), $(nproc) cores
- Load average (1, 5, 15 min) before: ${load_before}; after: ${load_after}
- Peers: $(go list -m -f '{{.Path}} {{.Version}}' github.com/lestrrat-go/jwx/v3 github.com/golang-jwt/jwt/v5 \
  github.com/MicahParks/keyfunc/v3 github.com/go-jose/go-jose/v4 github.com/auth0/go-jwt-middleware/v2 \
  gopkg.in/go-jose/go-jose.v2 | sed 's/^/`/; s/$/`/' | paste -sd, | sed 's/,/, /g')

#### Verification, one token per operation (lower is better)

\`\`\`
$(cd "$OUT" && "$BENCHSTAT" verify.txt)
\`\`\`

#### HTTP on loopback, ${HTTP_CLIENTS} keep-alive clients, ${HTTP_ALG} token

\`\`\`
$(cd "$OUT" && "$BENCHSTAT" http.txt)
\`\`\`

#### Acceptance figures (medians)

$("$OUT/benchratio" "$OUT/verify.txt" "$OUT/http.txt")
EOF
echo "raw results in $OUT" >&2
