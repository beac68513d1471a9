#!/usr/bin/env bash
# Writes go.work at the repository root for development: a workspace of every
# module of the repository, so that `go build`, `go test` and gopls in a
# nested module use the working-tree root instead of the released version its
# go.mod requires. go.work is not committed (.gitignore): it is regenerated
# here whenever a module is added, and nothing that checks the repository
# uses it — scripts/test.sh, scripts/consumer-test.sh and .ci/run build with
# GOWORK=off, the way a user's build resolves the modules.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f go.work go.work.sum
mods=$(git ls-files --cached --others --exclude-standard '*go.mod' | grep -v testdata | xargs -n1 dirname | sort)
GOWORK= go work init $(for m in $mods; do printf './%s ' "${m#./}"; done | sed 's#\./\.#.#')
echo "go.work: $(echo $mods | wc -w) modules"
