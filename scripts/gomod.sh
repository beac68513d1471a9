#!/usr/bin/env bash
# Runs a go command that edits a module's go.mod and go.sum — go get, go mod
# tidy — in module DIR, with the working tree's modules served at the release
# version (scripts/modenv.sh), which the public proxy does not have yet.
# Afterwards it drops the rsguard modules' lines from go.sum: their hashes are
# those of the working tree at this moment, not of a release, and the scripts
# supply fresh ones to every build.
#
#   scripts/gomod.sh adapters/echov5guard go get github.com/labstack/echo/v5@v5.4.6
#   scripts/gomod.sh adapters/echov5guard go mod tidy
#   scripts/gomod.sh all go mod tidy          # every module
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/modenv.sh
modenv_init
dir="$1"
shift
dirs="$dir"
if [ "$dir" = all ]; then dirs="$(modules)"; fi
status=0
for d in $dirs; do
  echo "== ${d}: $*"
  (cd "$d" && GOFLAGS=-mod=mod "$@") || status=$?
  if [ -f "$d/go.sum" ]; then
    grep -v '^github.com/rsguard/rsguard[/ ]' "$d/go.sum" > "$d/go.sum.tmp" || true
    mv "$d/go.sum.tmp" "$d/go.sum"
  fi
done
exit $status
