#!/usr/bin/env bash
# Runs every module's tests with the race detector, each built as a user's
# build would be: no workspace (GOWORK=off), no replace directive, the nested
# modules against the working-tree root served at the release version (see
# scripts/modenv.sh). Usage: scripts/test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."
# stores/redisstore's tests start a real redis-server (Debian's package) on a
# loopback port: install it when missing and this is root with apt-get (as on
# CI and a fresh machine); otherwise they skip, or fail when CI=true.
if ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing redis-server (Debian) for stores/redisstore"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  else
    echo "== no redis-server: stores/redisstore's tests will skip (install Debian's redis-server)"
  fi
fi
source scripts/modenv.sh
modenv_init
status=0
for mod in $(modules); do
  echo "== module ${mod}"
  in_module "$mod" sh -c 'go build -o /dev/null ./... && go test -race -count=1 "$@" ./...' sh "$@" || status=1
done
exit $status
