#!/usr/bin/env bash
# Installs rsguard's modules the way a user meets them and builds programs
# from them: every published module (the root, adapters/*, stores/*) is served
# at the release version from a file-system GOPROXY built from the working
# tree (scripts/modenv.sh, scripts/modproxy), chained before the public proxy
# for everything else; a consumer module outside the repository, with no
# replace directive and no workspace, `go get`s each of them at that version,
# builds every package of each, and tests copies of the
# repository's example programs — examples/* (net/http) and each module's
# example/ (Echo, Gin, gRPC, and every adapter that has one) — against them.
# New nested modules are picked up from their go.mod files; nothing here
# lists them.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
source scripts/modenv.sh
modenv_init
export GOFLAGS="-mod=mod${GOFLAGS:+ $GOFLAGS}"
echo "release version ${RSGUARD_VERSION}; proxy ${GOPROXY}"

consumer="$(mktemp -d "${TMPDIR:-/tmp}/rsguard-consumer.XXXXXX")"
trap 'rm -rf "$consumer"; modenv_restore' EXIT

published=()
copied=()
while read -r path dir kind; do
  [ "$kind" = published ] || continue
  published+=("$path")
  examples=()
  if [ "$dir" = . ]; then
    for d in examples/*/; do examples+=("${d%/}"); done
  elif [ -d "$dir/example" ]; then
    examples=("$dir/example")
  fi
  for ex in ${examples[@]+"${examples[@]}"}; do
    name="$(printf %s "$ex" | tr / _)"
    mkdir -p "$consumer/$name"
    cp "$ex"/*.go "$consumer/$name/"
    copied+=("$ex")
  done
done < "$RSGUARD_PROXY/modules.txt"

# The front doors whose installation the README promises must have a
# program here; a missing one would quietly shrink what this test proves.
for need in examples/nethttp adapters/echoguard/example adapters/echov5guard/example adapters/ginguard/example adapters/grpcguard/example adapters/connectguard/example; do
  case " ${copied[*]} " in *" $need "*) ;; *) echo "consumer-test: no example program $need"; exit 1 ;; esac
done

cd "$consumer"
go mod init example.com/consumer >/dev/null 2>&1
go get "${published[@]/%/@$RSGUARD_VERSION}"
go mod tidy
# tidy drops the modules no copied program imports (otelguard, redisstore
# have no example program); a user who imports them requires them, so
# require them again before building each.
go get "${published[@]/%/@$RSGUARD_VERSION}"
if grep -Eq '^(replace|\s*github.com/rsguard/rsguard[^ ]* +=>)' go.mod || [ -e go.work ]; then
  echo "consumer-test: the consumer module must not replace modules nor use a workspace"; exit 1
fi
for path in "${published[@]}"; do
  got="$(go list -m -f '{{.Version}}' "$path")"
  if [ "$got" != "$RSGUARD_VERSION" ]; then
    echo "consumer-test: $path resolved to $got, want $RSGUARD_VERSION"; exit 1
  fi
  echo "-- go build $path/..."
  go build "$path/..."
done
echo "-- example programs: ${copied[*]}"
go test -count=1 ./...
echo "consumer-test: ok (${#published[@]} modules at ${RSGUARD_VERSION}, ${#copied[@]} programs; repository ${repo})"
