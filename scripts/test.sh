#!/usr/bin/env bash
# Runs every module's tests with the race detector, each built as a user's
# build would be (GOWORK=off). Usage: scripts/test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."
export GOWORK=off
status=0
for mod in $(git ls-files --cached --others --exclude-standard '*go.mod' | grep -v testdata | xargs -n1 dirname | sort); do
  echo "== module ${mod}"
  (cd "$mod" && go build ./... && go test -race -count=1 "$@" ./...) || status=1
done
exit $status
