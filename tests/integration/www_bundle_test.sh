#!/usr/bin/env bash
# A build host without node builds sbcmon from the pre-built page bundle
# (`make www-dist`): configure with SBCMON_WWW_DIR=<tarball>, with node and npm
# replaced by commands that fail, and check the binary serves the same page.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$root/scripts/www-dist.sh" > "$work/dist.log"
tarball="$(sed -n 's/^www-dist: //p' "$work/dist.log")"
[[ -f "$tarball" ]] || { echo "FAIL: make www-dist wrote no tarball"; exit 1; }

# node and npm that fail loudly: the build must not need them.
mkdir -p "$work/nonode"
for tool in node npm npx; do
  printf '#!/bin/sh\necho "%s was called" >&2\nexit 97\n' "$tool" > "$work/nonode/$tool"
  chmod +x "$work/nonode/$tool"
done

/usr/bin/python3 "$root/scripts/kconfig.py" defconfig "$root/board/host/defconfig" "$work/.config"
PATH="$work/nonode:$PATH" cmake -S "$root" -B "$work/build" -DBUILD_TESTING=OFF \
  -DSBCMON_CONFIG="$work/.config" -DSBCMON_WWW_DIR="$tarball" > "$work/configure.log"
if ! PATH="$work/nonode:$PATH" cmake --build "$work/build" --target sbcmon -j 2 > "$work/build.log" 2>&1; then
  tail -20 "$work/build.log"
  echo "FAIL: the build from the bundle failed"
  exit 1
fi
if grep -q "was called" "$work/build.log"; then
  echo "FAIL: the build ran node or npm"
  exit 1
fi

port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$work/build/sbcmon" --port "$port" --bind 127.0.0.1 > "$work/run.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
  sleep 0.1
done
mkdir -p "$work/page"
tar -xzf "$tarball" -C "$work/page"
passed=0
failed=0
for f in index.html app.js app.css; do
  if curl -sf --compressed "http://127.0.0.1:$port/$f" | cmp -s - "$work/page/$f"; then
    passed=$((passed + 1))
  else
    echo "FAIL: /$f served by the bundle build differs from the bundle"
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
