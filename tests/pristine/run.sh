#!/usr/bin/env bash
# First contact: the README's `git clone` + `make run` on a pristine Debian 12 root.
#   tests/pristine/run.sh
# 1. A bookworm root by mmdebstrap (--variant=apt plus git, make, sudo, curl,
#    ca-certificates; nothing else), cached as a tarball under build/pristine/.
# 2. The commit under test (HEAD, not the working tree) cloned into it; the host's
#    extra CA certificates (/usr/local/share/ca-certificates/*.crt) added with
#    update-ca-certificates, as a user behind a TLS-intercepting proxy would; nothing
#    else is copied from the host. apt inside reaches Debian through the mirror line
#    mmdebstrap wrote into the root.
# 3. /proc, /sys, /dev mounted; `make run ARGS="--port N"` run there as root.
# 4. From the host: the page, /healthz and a Socket.IO handshake (EIO=4 polling).
# 5. make run stopped, everything unmounted and the root removed (also on failure).
# With CI=true, no mmdebstrap or not root is a failure. Ends with "N passed, M failed".
# SBCMON_PRISTINE_TIMEOUT (s, default 2400) bounds the wait for the page.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY=/usr/bin/python3
CACHE="$ROOT/build/pristine"
TIMEOUT="${SBCMON_PRISTINE_TIMEOUT:-2400}"
SUITE=bookworm
INCLUDE=git,make,sudo,curl,ca-certificates
ci="${CI:-}"
[[ "$ci" == true || "$ci" == 1 ]] && ci=true || ci=false
stage_start=$SECONDS

# shellcheck source=../lib/harness.sh
source "$ROOT/tests/lib/harness.sh"   # ok/bad, passed/failed, work, free_port, check_page

finish() {
  echo "pristine stage took $((SECONDS - stage_start))s"
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
  exit
}

echo "== make run on a pristine Debian $SUITE root"
missing=""
command -v mmdebstrap >/dev/null 2>&1 || missing="mmdebstrap is not installed (scripts/deps.sh test)"
[[ "$(id -u)" -eq 0 ]] || missing="${missing:+$missing; }not root (chroot and mount need root)"
if [[ -n "$missing" ]]; then
  if [[ "$ci" == true ]]; then
    bad "cannot run: $missing"
  else
    echo "  SKIP cannot run: $missing (a failure under CI=true)"
  fi
  finish
fi

# The bookworm mirror this machine's apt uses (deb822 first, then one-line lists).
mirror="$( { cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
              | awk -v s="$SUITE" 'tolower($1)=="uris:"{u=$2} tolower($1)=="suites:"{for(i=2;i<=NF;i++) if($i==s && u!="") {print u; exit}}'
            sed -n -E "s/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+$SUITE[[:space:]].*/\2/p" \
              /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } | head -n 1 || true)"
mirror="${mirror:-http://deb.debian.org/debian}"

# --- 1. the root tarball (cached by recipe) ----------------------------------------
recipe="pristine v1 $SUITE variant=apt include=$INCLUDE deb $mirror $SUITE main"
key="$(printf '%s' "$recipe" | sha256sum | cut -c1-12)"
tarball="$CACHE/$SUITE-$key.tar"
mkdir -p "$CACHE"
t0=$SECONDS
if [[ -f "$tarball" ]]; then
  ok "root tarball cached: build/pristine/$(basename "$tarball")"
else
  echo "  making build/pristine/$(basename "$tarball") from $mirror ..."
  tmp_tar="$CACHE/.part-$key.tar"
  made=0
  for attempt in 1 2 3; do
    if mmdebstrap --mode=root --format=tar --variant=apt --include="$INCLUDE" "$SUITE" "$tmp_tar" \
         "deb $mirror $SUITE main" </dev/null >"$work/mmdebstrap.log" 2>&1; then
      made=1; break
    fi
    echo "    mmdebstrap attempt $attempt failed:"; grep -v '^I: ' "$work/mmdebstrap.log" | tail -n 8 | sed 's/^/    | /'
    sleep $((attempt * 5))
  done
  if [[ $made -eq 1 ]]; then
    mv "$tmp_tar" "$tarball"
    ok "root tarball made in $((SECONDS - t0))s ($(du -m "$tarball" | cut -f1) MB)"
  else
    rm -rf "$tmp_tar"
    bad "mmdebstrap could not make a $SUITE root (see above)"
    finish
  fi
fi

# --- 2. unpack, clone HEAD, CA certificates --------------------------------------------
rootfs="$(mktemp -d "$CACHE/root.XXXXXX")"
mounted=()
run_pid=""
cleanup() {
  set +e
  if [[ -n "$run_pid" ]] && kill -0 "$run_pid" 2>/dev/null; then
    kill -TERM -- "-$run_pid" 2>/dev/null
    for _ in $(seq 1 40); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$run_pid" 2>/dev/null
    wait "$run_pid" 2>/dev/null
  fi
  # Anything else still running inside the root (a build step that escaped the group).
  local p
  for p in /proc/[0-9]*; do
    [[ "$(readlink "$p/root" 2>/dev/null)" == "$rootfs" ]] && kill -KILL "${p#/proc/}" 2>/dev/null
  done
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" 2>/dev/null \
      || echo "  warning: could not unmount ${mounted[$i]}" >&2
  done
  # Never delete through a mount that is still there.
  if ! findmnt -rn -o TARGET | grep -q "^$rootfs"; then
    rm -rf --one-file-system "$rootfs"
  else
    echo "  warning: $rootfs still has mounts; left in place" >&2
  fi
  harness_cleanup
}
trap cleanup EXIT

t0=$SECONDS
tar -C "$rootfs" -xf "$tarball"
rev="$(git -C "$ROOT" rev-parse HEAD)"
if git clone -q "$ROOT" "$rootfs/root/sbcmon" 2>"$work/clone.log" \
    && git -C "$rootfs/root/sbcmon" checkout -q --detach "$rev"; then
  ok "root unpacked and HEAD cloned into it ($(git -C "$ROOT" rev-parse --short HEAD), $((SECONDS - t0))s)"
else
  bad "git clone of HEAD into the root failed: $(cat "$work/clone.log")"
  finish
fi
if ! git -C "$ROOT" diff --quiet HEAD 2>/dev/null; then
  echo "  note: the working tree has uncommitted changes; they are not tested here"
fi
shopt -s nullglob
cas=(/usr/local/share/ca-certificates/*.crt)
shopt -u nullglob
if [[ ${#cas[@]} -gt 0 ]]; then
  mkdir -p "$rootfs/usr/local/share/ca-certificates"
  cp "${cas[@]}" "$rootfs/usr/local/share/ca-certificates/"
  if chroot "$rootfs" update-ca-certificates >"$work/ca.log" 2>&1; then
    ok "${#cas[@]} extra CA certificate(s) added in the root (update-ca-certificates)"
  else
    bad "update-ca-certificates in the root failed: $(tail -n 3 "$work/ca.log")"
  fi
fi
if [[ ! -s "$rootfs/etc/resolv.conf" ]]; then
  bad "the root has no /etc/resolv.conf (mmdebstrap copies the host's)"
fi

for m in proc sys dev; do
  case "$m" in
    proc) mount -t proc proc "$rootfs/proc" ;;
    *) mount --bind "/$m" "$rootfs/$m" ;;
  esac && mounted+=("$rootfs/$m") || bad "could not mount /$m in the root"
done

# --- 3. the README's make run ------------------------------------------------------------
port="$(free_port)"
log="$work/make-run.log"
t0=$SECONDS
echo "  make run ARGS=\"--port $port\" in the root (apt, npm ci, build; log: make-run.log) ..."
setsid chroot "$rootfs" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    sh -c "cd /root/sbcmon && exec make run ARGS=\"--port $port\"" >"$log" 2>&1 </dev/null &
run_pid=$!
base="http://127.0.0.1:$port"
up=0
while [[ $((SECONDS - t0)) -lt $TIMEOUT ]]; do
  kill -0 "$run_pid" 2>/dev/null || break
  if curl -s -o /dev/null --max-time 5 "$base/healthz"; then up=1; break; fi
  sleep 1
done
if [[ $up -eq 1 ]]; then
  ok "make run serves $base/ after $((SECONDS - t0))s"
else
  bad "make run did not serve $base/ within ${TIMEOUT}s; its output:"
  tail -n 30 "$log" | sed 's/^/    | /'
  finish
fi
if grep -q "sbcmon: starting" "$log" && ! grep -qi "gtest\|benchmark" "$log"; then
  ok "make run built without GoogleTest or benchmark"
else
  bad "make run's output mentions GoogleTest/benchmark or lacks its start line"
fi

# --- 4. page, /healthz, Socket.IO -----------------------------------------------------------
check_page "pristine" "$base/"
code="$(curl -sS --max-time 20 -o "$work/healthz" -w '%{http_code}' "$base/healthz" || true)"
if [[ "$code" == 200 ]]; then
  ok "GET /healthz: 200 ($(head -c 80 "$work/healthz"))"
else
  bad "GET /healthz: status '$code'"
fi
check_socketio "$base"
if grep -q "http://.*\.local:$port/" "$log"; then
  ok "sbcmon printed a LAN URL: $(grep -o "http://[^ ]*\.local:$port/" "$log" | head -n 1)"
else
  bad "sbcmon printed no http://<hostname>.local:$port/ URL"
fi

# --- 5. stop and unmount (trap) -------------------------------------------------------------
finish
