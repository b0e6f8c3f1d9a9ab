#!/usr/bin/env bash
# Install what sbcmon needs, and only what is missing:
#   scripts/deps.sh run    build and run on this machine (`make run`: no test packages)
#   scripts/deps.sh www    only node/npm and www/'s npm packages (`make www-dist`)
#   scripts/deps.sh deb    run + the cross compilers and mmdebstrap that `make deb` uses
#   scripts/deps.sh test   also everything `make test` uses (tests, cross builds, qemu)
# Debian packages come through apt-get (sudo only when not root), npm packages through
# `npm ci` from the committed lock files. With CI=true anything still missing after the
# install is an error, never a silent skip.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=/usr/bin/python3

usage() { echo "usage: $0 run|www|deb|test" >&2; exit 2; }
die() { echo "deps.sh: error: $*" >&2; exit 1; }
note() { echo "deps.sh: $*"; }

[[ $# -eq 1 ]] || usage
mode="$1"
[[ "$mode" == run || "$mode" == www || "$mode" == deb || "$mode" == test ]] || usage
ci="${CI:-}"
[[ "$ci" == true || "$ci" == 1 ]] && ci=true || ci=false

run_pkgs=(build-essential cmake pkg-config git python3 python3-kconfiglib
          libwebsockets-dev libcjson-dev libssl-dev zlib1g-dev)
test_pkgs=(googletest libgtest-dev libgmock-dev libbenchmark-dev
           python3-socketio python3-websocket python3-requests python3-aiohttp
           chromium fonts-liberation
           crossbuild-essential-arm64 crossbuild-essential-armhf qemu-user mmdebstrap
           qemu-system-x86 e2fsprogs iproute2
           binutils curl prometheus
           python3-flask-socketio python3-psutil python3-eventlet
           libfaketime lintian clang libclang-rt-14-dev valgrind strace)
# make deb: the host build plus an arm64 and an armhf cross build (sysroots by mmdebstrap).
deb_pkgs=(crossbuild-essential-arm64 crossbuild-essential-armhf mmdebstrap binutils)
www_pkgs=()

# node may be NodeSource's build (which bundles npm and conflicts with Debian's npm):
# install Debian's nodejs/npm only when there is no node at all.
if ! command -v node >/dev/null 2>&1; then
  run_pkgs+=(nodejs npm)
  www_pkgs+=(nodejs npm)
fi

case "$mode" in
  www) wanted=("${www_pkgs[@]}") ;;
  deb) wanted=("${run_pkgs[@]}" "${deb_pkgs[@]}") ;;
  test) wanted=("${run_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) wanted=("${run_pkgs[@]}") ;;
esac

installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

missing=()
for p in "${wanted[@]}"; do
  installed "$p" || missing+=("$p")
done

if [[ ${#missing[@]} -gt 0 ]]; then
  command -v apt-get >/dev/null 2>&1 \
    || die "missing Debian packages (${missing[*]}) and no apt-get to install them"
  sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "not root and no sudo: install ${missing[*]} by hand"
    sudo=(sudo)
  fi
  note "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
  # Lists may be absent or stale on a fresh machine: update once, then install.
  # A mirror caught mid-sync fails one suite's index; the install below still works
  # from the others, and fails clearly if it cannot.
  "${sudo[@]}" apt-get -q -o DPkg::Lock::Timeout=300 update \
    || note "warning: apt-get update reported errors; trying the install anyway"
  "${sudo[@]}" apt-get install "${apt_opts[@]}" "${missing[@]}" \
    || die "apt-get install failed for: ${missing[*]}"
fi

# What the build and tests actually call, checked after the install.
problems=()
need_cmd() { command -v "$1" >/dev/null 2>&1 || problems+=("command '$1' not found ($2)"); }
need_py() {
  "$PY" -c "import $1" >/dev/null 2>&1 || problems+=("$PY cannot import $1 ($2)")
}
need_cmd node "nodejs"
need_cmd npm "npm"
if [[ "$mode" != www ]]; then
  need_cmd cmake cmake
  need_cmd c++ build-essential
  need_cmd pkg-config pkg-config
  [[ -x "$PY" ]] || problems+=("$PY not found (python3)")
  need_py kconfiglib python3-kconfiglib
fi
if [[ "$mode" == deb ]]; then
  need_cmd aarch64-linux-gnu-g++ crossbuild-essential-arm64
  need_cmd arm-linux-gnueabihf-g++ crossbuild-essential-armhf
  need_cmd mmdebstrap mmdebstrap
fi
if [[ "$mode" == test ]]; then
  need_cmd aarch64-linux-gnu-g++ crossbuild-essential-arm64
  need_cmd aarch64-linux-gnu-strip crossbuild-essential-arm64
  need_cmd arm-linux-gnueabihf-g++ crossbuild-essential-armhf
  need_cmd arm-linux-gnueabihf-strip crossbuild-essential-armhf
  need_cmd qemu-aarch64 qemu-user
  need_cmd qemu-arm qemu-user
  need_cmd mmdebstrap mmdebstrap
  need_cmd qemu-system-x86_64 qemu-system-x86
  need_cmd mke2fs e2fsprogs
  need_cmd readelf binutils
  need_cmd curl curl
  need_cmd prometheus prometheus
  need_cmd promtool prometheus
  need_cmd chromium chromium
  need_py socketio python3-socketio
  need_py websocket python3-websocket
  need_py requests python3-requests
  need_py aiohttp python3-aiohttp
  [[ -f /usr/include/gtest/gtest.h ]] || problems+=("GoogleTest headers missing (libgtest-dev)")
fi
if [[ ${#problems[@]} -gt 0 ]]; then
  for p in "${problems[@]}"; do echo "deps.sh: missing: $p" >&2; done
  if [[ "$ci" == true ]]; then
    die "${#problems[@]} required tool(s) still missing after install (see above)"
  fi
  note "warning: continuing without them (not CI); some steps will fail"
fi

# npm packages from the lock files. `npm ci` wipes node_modules, so run it only when
# the lock file changed since the last successful install (stamp inside node_modules).
npm_install() {
  local dir="$1" stamp sum
  [[ -f "$dir/package-lock.json" ]] || return 0
  command -v npm >/dev/null 2>&1 || die "npm is needed for ${dir#"$ROOT"/} (install nodejs/npm)"
  stamp="$dir/node_modules/.sbcmon-lock.sha256"
  sum="$(sha256sum "$dir/package-lock.json" "$dir/package.json" | sha256sum | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$sum" ]]; then
    return 0
  fi
  note "npm ci in ${dir#"$ROOT"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) \
    || die "npm ci failed in ${dir#"$ROOT"/}"
  echo "$sum" >"$stamp"
}
npm_install "$ROOT/www"
if [[ "$mode" == test ]]; then
  npm_install "$ROOT/tests"
fi
note "$mode dependencies are in place"
