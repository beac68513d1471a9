# Sourced by the repository's scripts (test.sh, consumer-test.sh, .ci/run):
# builds every module of the working tree through the module proxy a user
# meets, with no replace directive and no workspace.
#
# modenv_init serves the working tree's modules at the release version from a
# file-system GOPROXY (scripts/modproxy), chained before the proxy in use, and
# gives the scripts a module cache of their own, from which earlier copies of
# the rsguard modules are removed first: a module cache never refreshes a
# version it holds, and the working tree changes without changing version.
# It sets RSGUARD_VERSION, RSGUARD_PROXY (the proxy directory) and exports
# GOPROXY, GONOSUMDB, GOMODCACHE, GODEBUG=goindex=0 and GOWORK=off.
#
# in_module DIR CMD... runs CMD in module DIR with the module's go.sum
# extended, for the time of CMD, by the hashes of the working tree's modules:
# the build checks every hash (-mod=readonly, the default) and fails, as a
# user's would, on a requirement or hash missing from the module's own files.
# (A -modfile copy would leave the tree untouched, but staticcheck refuses
# -modfile in GOFLAGS.)

modenv_init() {
  local repo base
  repo="$(git rev-parse --show-toplevel)"
  export GOWORK=off
  # What the environment had before the first modenv_init (a script that
  # calls another one initialises twice).
  export RSGUARD_REAL_MODCACHE="${RSGUARD_REAL_MODCACHE:-$(GOFLAGS= go env GOMODCACHE)}"
  export RSGUARD_UPSTREAM_PROXY="${RSGUARD_UPSTREAM_PROXY:-$(GOFLAGS= go env GOPROXY)}"
  export RSGUARD_UPSTREAM_NOSUMDB="${RSGUARD_UPSTREAM_NOSUMDB-$(GOFLAGS= go env GONOSUMDB)}"
  base="${TMPDIR:-/tmp}/rsguard-modenv-$(printf %s "$repo" | cksum | cut -d' ' -f1)"
  mkdir -p "$base"
  # One run at a time per working tree: the next run's purge of the module
  # cache would pull the rsguard modules from under this one. A script run by
  # another (.ci/run → test.sh) shares its parent's lock.
  if [ -z "${RSGUARD_MODENV_LOCKED:-}" ] && command -v flock >/dev/null; then
    exec 9>"$base/lock"
    flock -n 9 || { echo "modenv: another run is using $base; wait for it to end" >&2; return 1; }
    export RSGUARD_MODENV_LOCKED=1
  fi
  RSGUARD_PROXY="$base/proxy"
  rm -rf "$RSGUARD_PROXY" "$base/modfiles"
  mkdir -p "$RSGUARD_PROXY" "$base/modfiles" "$base/modcache"
  RSGUARD_VERSION="$(cd "$repo/scripts/modproxy" && GOFLAGS= go run . -repo "$repo" -out "$RSGUARD_PROXY")"
  RSGUARD_MODFILES="$base/modfiles"
  trap modenv_restore EXIT
  # The rsguard modules never come from the checksum database: it has never
  # seen the working tree. Public modules are still verified by it.
  export GONOSUMDB="github.com/rsguard/rsguard${RSGUARD_UPSTREAM_NOSUMDB:+,$RSGUARD_UPSTREAM_NOSUMDB}"
  export GOPROXY="file://$RSGUARD_PROXY,file://$RSGUARD_REAL_MODCACHE/cache/download,$RSGUARD_UPSTREAM_PROXY"
  export GOMODCACHE="$base/modcache"
  # The go command indexes module-cache directories once (GOCACHE/modindex),
  # trusting a version never changes; here it does, from run to run.
  export GODEBUG="goindex=0${GODEBUG:+,$GODEBUG}"
  if [ -d "$GOMODCACHE/github.com/rsguard" ] || [ -d "$GOMODCACHE/cache/download/github.com/rsguard" ]; then
    chmod -R u+w "$GOMODCACHE/github.com/rsguard" "$GOMODCACHE/cache/download/github.com/rsguard" 2>/dev/null || true
    rm -rf "$GOMODCACHE/github.com/rsguard" "$GOMODCACHE/cache/download/github.com/rsguard"
  fi
}

# modules lists the directories of the repository's modules, one a line.
modules() {
  cut -d' ' -f2 "$RSGUARD_PROXY/modules.txt"
}

in_module() {
  local dir="$1" rc=0
  shift
  RSGUARD_PENDING="$dir"
  RSGUARD_SAVED="$RSGUARD_MODFILES/$(printf %s "$dir" | tr / _).go.sum"
  if [ -f "$dir/go.sum" ]; then cp "$dir/go.sum" "$RSGUARD_SAVED"; else rm -f "$RSGUARD_SAVED"; fi
  { grep -v "^github.com/rsguard/rsguard[/ ]" "$RSGUARD_SAVED" 2>/dev/null || true
    cat "$RSGUARD_PROXY/go.sum.rsguard"; } > "$dir/go.sum"
  (cd "$dir" && "$@") || rc=$?
  modenv_restore
  return $rc
}

# modenv_restore puts back the go.sum that in_module extended, if any (also
# on exit: modenv_init traps EXIT).
modenv_restore() {
  if [ -n "${RSGUARD_PENDING:-}" ]; then
    if [ -f "$RSGUARD_SAVED" ]; then mv "$RSGUARD_SAVED" "$RSGUARD_PENDING/go.sum"; else rm -f "$RSGUARD_PENDING/go.sum"; fi
    RSGUARD_PENDING=
  fi
}
