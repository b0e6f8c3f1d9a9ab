#!/usr/bin/env bash
# Packaging tests: what a user installing sbcmon would hit.
#   tests/packaging/run.sh
# 1. .debs for amd64/arm64/armhf from build/{host,rpi4,beaglebone-black}/sbcmon: right
#    ELF machine inside, conffile, unit, postinst enabling it; lintian reports no errors.
# 2. The arm64 .deb unpacked into a Debian bookworm arm64 root that holds only its
#    Depends (mmdebstrap), its /usr/bin/sbcmon run under qemu-aarch64 with the packaged
#    /etc/sbcmon.conf against tests/fixtures/pi4 on loopback, and the page fetched.
# 3. systemd-analyze verify of the unit (and the privileged-port drop-in) in a temp root.
# 4. The SysV/BusyBox init script parses (sh -n, busybox sh -n when present).
# 5. Buildroot and Yocto trees (check_buildroot.py, check_yocto.py).
# Ends with "N passed, M failed"; exits non-zero if anything failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests/packaging"
PY=/usr/bin/python3
START_TIMEOUT="${SBCMON_QEMU_START_TIMEOUT:-60}"
# Where build/<board>/sbcmon are looked for (override to test other builds).
BUILD="${SBCMON_PKGTEST_BUILD:-$ROOT/build}"
PKGROOT_ARM64="${SBCMON_PKGTEST_ROOT_ARM64:-$ROOT/build/pkgtest-root-arm64}"

# shellcheck source=../lib/harness.sh
source "$ROOT/tests/lib/harness.sh"   # ok/bad, passed/failed, work, server_pid, free_port

# Tools this test needs beyond scripts/deps.sh test; installed here when missing.
need_pkgs=()
command -v lintian >/dev/null 2>&1 || need_pkgs+=(lintian)
command -v systemd-analyze >/dev/null 2>&1 || need_pkgs+=(systemd)
command -v mmdebstrap >/dev/null 2>&1 || need_pkgs+=(mmdebstrap)
if [[ ${#need_pkgs[@]} -gt 0 && "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "run.sh: installing ${need_pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${need_pkgs[@]}" >/dev/null || echo "run.sh: apt-get install failed" >&2
fi


# --- 1. the three .debs ------------------------------------------------------------
echo "== .deb packages"
declare -A debs=()
for spec in amd64:host:'Advanced Micro Devices X86-64' arm64:rpi4:AArch64 armhf:beaglebone-black:ARM; do
  arch="${spec%%:*}"; rest="${spec#*:}"; board="${rest%%:*}"; machine="${rest#*:}"
  bin="$BUILD/$board/sbcmon"
  if [[ ! -f "$bin" ]]; then
    bad "$arch: no binary at build/$board/sbcmon (make BOARD=$board)"
    continue
  fi
  if ! out="$("$ROOT/packaging/deb/build-deb.sh" "$arch" "$bin" "$work/deb" 2>&1)"; then
    bad "$arch: build-deb.sh failed: $out"
    continue
  fi
  deb="$(tail -n 1 <<<"$out")"
  debs[$arch]="$deb"
  ok "$arch: built $(basename "$deb") ($(sed -n 's/^build-deb.sh: //p' <<<"$out"))"

  x="$work/x-$arch"
  mkdir -p "$x"
  dpkg-deb -x "$deb" "$x"
  dpkg-deb -e "$deb" "$x/DEBIAN"
  if [[ "$(dpkg-deb -f "$deb" Architecture)" == "$arch" ]] \
      && readelf -h "$x/usr/bin/sbcmon" | grep -Eq "^ *Machine: +$machine\$"; then
    ok "$arch: Architecture: $arch and usr/bin/sbcmon is $machine"
  else
    bad "$arch: control Architecture or usr/bin/sbcmon machine is wrong"
  fi
  if [[ "$(cat "$x/DEBIAN/conffiles")" == $'/etc/avahi/services/sbcmon.service\n/etc/sbcmon.conf' && -f "$x/etc/sbcmon.conf" \
        && -f "$x/lib/systemd/system/sbcmon.service" ]] \
      && grep -q "deb-systemd-helper enable 'sbcmon.service'" "$x/DEBIAN/postinst"; then
    ok "$arch: conffile /etc/sbcmon.conf, sbcmon.service, postinst enables it"
  else
    bad "$arch: conffile, unit or postinst enable missing"
  fi
  python3 -c 'import sys, xml.dom.minidom as m; t = m.parse(sys.argv[1]).getElementsByTagName("type"); sys.exit(t[0].firstChild.data != "_http._tcp")' \
    "$x/etc/avahi/services/sbcmon.service" && ok "$arch: Avahi service file advertises _http._tcp" || bad "$arch: no valid Avahi _http._tcp service file"
  if command -v lintian >/dev/null 2>&1; then
    lint="$(lintian --tag-display-limit 0 "$deb" 2>/dev/null || true)"
    if grep -q '^E:' <<<"$lint"; then
      bad "$arch: lintian errors:"; grep '^E:' <<<"$lint" | sed 's/^/    | /'
    else
      ok "$arch: lintian: no errors ($(grep -c '^W:' <<<"$lint" || true) warnings)"
    fi
  else
    bad "$arch: lintian not installed (apt-get install lintian)"
  fi
done

# --- 2. the arm64 .deb in a Debian arm64 root under qemu -------------------------------
echo "== arm64 .deb installed in a bookworm arm64 root, run under qemu-aarch64"
# The bookworm mirror this machine's apt uses (deb822 first, then one-line lists).
mirror="$( { cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
              | awk 'tolower($1)=="uris:"{u=$2} tolower($1)=="suites:"{for(i=2;i<=NF;i++) if($i=="bookworm" && u!="") {print u; exit}}'
            sed -n -E 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+bookworm[[:space:]].*/\2/p' \
              /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } | head -n 1 || true)"
deb="${debs[arm64]:-}"
if [[ -z "$deb" ]]; then
  bad "arm64: no .deb to install"
elif [[ -z "$mirror" ]] || ! command -v mmdebstrap >/dev/null 2>&1 || ! command -v qemu-aarch64 >/dev/null 2>&1; then
  bad "arm64: need a bookworm apt mirror, mmdebstrap and qemu-aarch64 (scripts/deps.sh test)"
else
  # Exactly the package's Depends (names only) and what they pull in; cached by that list.
  depends="$(dpkg-deb -f "$deb" Depends | sed -E 's/\([^)]*\)//g; s/[[:space:]]//g')"
  stamp="pkgtest arm64 bookworm $depends"
  if [[ ! -f "$PKGROOT_ARM64/.stamp" || "$(cat "$PKGROOT_ARM64/.stamp")" != "$stamp" ]]; then
    rm -rf "$PKGROOT_ARM64"
    mkdir -p "$(dirname "$PKGROOT_ARM64")"
    if mmdebstrap --mode=auto --variant=extract --arch=arm64 --include="$depends" \
         bookworm "$PKGROOT_ARM64" "deb $mirror bookworm main" >"$work/mmdebstrap.log" 2>&1; then
      echo "$stamp" >"$PKGROOT_ARM64/.stamp"
    else
      tail -n 8 "$work/mmdebstrap.log" | sed 's/^/    | /'
    fi
  fi
  if [[ ! -f "$PKGROOT_ARM64/.stamp" ]]; then
    bad "arm64: mmdebstrap could not make a root with $depends"
  else
    ok "arm64: bookworm arm64 root with only Depends: $depends"
    dpkg-deb -x "$deb" "$PKGROOT_ARM64"
    port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    fix="$ROOT/tests/fixtures/pi4"
    # The packaged conffile as is; flags override its port and bind (a test must stay
    # on loopback) and point the sampler at the fixture board.
    qemu-aarch64 -L "$PKGROOT_ARM64" "$PKGROOT_ARM64/usr/bin/sbcmon" \
      --config "$PKGROOT_ARM64/etc/sbcmon.conf" --port "$port" --bind 127.0.0.1 \
      --proc-root "$fix" --sys-root "$fix/sys" >"$work/server.log" 2>&1 &
    server_pid=$!
    up=0
    for _ in $(seq 1 $((START_TIMEOUT * 4))); do
      kill -0 "$server_pid" 2>/dev/null || break
      if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then up=1; break; fi
      sleep 0.25
    done
    if [[ $up -eq 1 ]]; then
      code="$(curl -sS --compressed --max-time 10 -o "$work/page" -w '%{http_code}' "http://127.0.0.1:$port/" || true)"
      if [[ "$code" == 200 ]] && grep -iq '<html' "$work/page"; then
        ok "arm64: installed /usr/bin/sbcmon with /etc/sbcmon.conf serves the page (200, $(wc -c <"$work/page") bytes of HTML)"
      else
        bad "arm64: GET / answered '$code' without HTML"
      fi
      kill -TERM "$server_pid" 2>/dev/null || true
      wait "$server_pid" 2>/dev/null || true
    else
      bad "arm64: installed sbcmon did not serve on 127.0.0.1:$port within ${START_TIMEOUT}s:"
      tail -n 10 "$work/server.log" | sed 's/^/    | /'
      kill -KILL "$server_pid" 2>/dev/null || true
      wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
  fi
fi

# --- 3. systemd-analyze verify ------------------------------------------------------
echo "== systemd unit"
if command -v systemd-analyze >/dev/null 2>&1; then
  vroot="$work/vroot"
  mkdir -p "$vroot/usr/bin" "$vroot/lib/systemd/system" "$vroot/etc/systemd/system/sbcmon.service.d"
  # verify --root resolves ExecStart and the unit's dependencies inside the root.
  cp -a /lib/systemd/system/*.target /lib/systemd/system/*.slice "$vroot/lib/systemd/system/" 2>/dev/null || true
  printf '#!/bin/sh\n' >"$vroot/usr/bin/sbcmon"; chmod 755 "$vroot/usr/bin/sbcmon"
  cp "$ROOT/board/common/sbcmon.service" "$vroot/lib/systemd/system/"
  # Any output (an unknown or misspelt directive is only a warning) counts as a failure.
  if out="$(systemd-analyze verify --root="$vroot" sbcmon.service 2>&1)" && [[ -z "$out" ]]; then
    ok "systemd-analyze verify sbcmon.service: clean"
  else
    bad "systemd-analyze verify sbcmon.service:"; sed 's/^/    | /' <<<"$out"
  fi
  cp "$ROOT/board/common/privileged-port.conf" "$vroot/etc/systemd/system/sbcmon.service.d/"
  if out="$(systemd-analyze verify --root="$vroot" sbcmon.service 2>&1)" && [[ -z "$out" ]]; then
    ok "systemd-analyze verify with the privileged-port drop-in: clean"
  else
    bad "systemd-analyze verify with the drop-in:"; sed 's/^/    | /' <<<"$out"
  fi
  unit="$ROOT/board/common/sbcmon.service"
  missing=()
  for d in 'DynamicUser=yes' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' \
           'PrivateTmp=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK' 'MemoryMax=' \
           'Restart=on-failure' 'StandardOutput=journal' 'ExecStart=/usr/bin/sbcmon --config /etc/sbcmon.conf'; do
    grep -q "^$d" "$unit" || missing+=("$d")
  done
  grep -q '^AmbientCapabilities' "$unit" && missing+=("no AmbientCapabilities in the unit itself")
  if [[ ${#missing[@]} -eq 0 ]]; then
    ok "sbcmon.service: unprivileged, sandboxed, journal, --config /etc/sbcmon.conf, no capability by default"
  else
    bad "sbcmon.service lacks: ${missing[*]}"
  fi
else
  bad "systemd-analyze not found (apt-get install systemd)"
fi

# --- 4. the init script ----------------------------------------------------------------
echo "== SysV/BusyBox init script"
init="$ROOT/board/common/sbcmon.init"
if sh -n "$init" && { ! command -v busybox >/dev/null 2>&1 || busybox sh -n "$init"; } \
    && [[ -x "$init" ]] && grep -q -- '--user "$SBCMON_USER"' "$init"; then
  ok "sbcmon.init: parses as POSIX sh, executable, drops to --user"
else
  bad "sbcmon.init: does not parse, is not executable, or has no --user"
fi

# --- 5. Buildroot and Yocto -------------------------------------------------------------
echo "== Buildroot BR2_EXTERNAL tree and Yocto layer"
for check in check_buildroot.py check_yocto.py; do
  out="$("$PY" "$HERE/$check" "$ROOT" 2>&1)" || true
  echo "$out"
  passed=$((passed + $(grep -c '^  ok ' <<<"$out" || true)))
  failed=$((failed + $(grep -c '^  FAIL ' <<<"$out" || true)))
  grep -qE '^  (ok|FAIL) ' <<<"$out" || bad "$check printed no result: $out"
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
