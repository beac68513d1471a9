#!/usr/bin/env bash
# Runs every module's tests with the race detector, each built as a user's
# build would be: no workspace (GOWORK=off), no replace directive, the nested
# modules against the working-tree root served at the release version (see
# scripts/modenv.sh). Usage: scripts/test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/modenv.sh
modenv_init
status=0
for mod in $(modules); do
  echo "== module ${mod}"
  in_module "$mod" sh -c 'go build -o /dev/null ./... && go test -race -count=1 "$@" ./...' sh "$@" || status=1
done
exit $status
