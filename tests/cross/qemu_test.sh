#!/usr/bin/env bash
# Run the cross-built sbcmon binaries under qemu-user against their Debian sysroots and
# check what a user on the board would see: the right ELF machine, the page served
# gzipped to a browser and readable to plain curl, and a clean exit 0 on SIGTERM.
#   tests/cross/qemu_test.sh [board...]      (default: rpi4 beaglebone-black)
# Expects build/<board>/sbcmon (make BOARD=<board>) and build/sysroot-<arch>
# (scripts/sysroot.sh; SYSROOT_AARCH64 / SYSROOT_ARMHF override, as in the Makefile).
# Ends with a line "N passed, M failed"; exits non-zero if anything failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY=/usr/bin/python3
FIXTURES="$ROOT/tests/fixtures"
SYSROOT_AARCH64="${SYSROOT_AARCH64:-$ROOT/build/sysroot-arm64}"
SYSROOT_ARMHF="${SYSROOT_ARMHF:-$ROOT/build/sysroot-armhf}"
# qemu-user is slow to start a C++ binary; give it time before calling it dead.
START_TIMEOUT="${SBCMON_QEMU_START_TIMEOUT:-60}"
STOP_TIMEOUT=15

# shellcheck source=../lib/harness.sh
source "$ROOT/tests/lib/harness.sh"   # ok/bad, passed/failed, work, server_pid, free_port

for tool in readelf curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "qemu_test.sh: error: $tool not found (scripts/deps.sh test)" >&2; exit 1; }
done



# run_board <board> <qemu> <sysroot> <fixture> <readelf machine> <extra readelf flag or "">
run_board() {
  local board="$1" qemu="$2" sysroot="$3" fixture="$4" machine="$5" flag="$6"
  local bin="$ROOT/build/$board/sbcmon"
  local fixdir="$FIXTURES/$fixture"
  echo "== $board ($machine, $qemu, fixture $fixture)"

  if [[ ! -x "$bin" ]]; then
    bad "$board: no binary at ${bin#"$ROOT"/} (make BOARD=$board)"
    return
  fi
  if [[ ! -d "$sysroot/usr/lib" ]]; then
    bad "$board: no sysroot at $sysroot (scripts/sysroot.sh)"
    return
  fi
  if ! command -v "$qemu" >/dev/null 2>&1; then
    bad "$board: $qemu not found (apt-get install qemu-user)"
    return
  fi
  if [[ ! -d "$fixdir" || ! -d "$fixdir/sys" ]]; then
    bad "$board: fixture tests/fixtures/$fixture (with sys/) is missing"
    return
  fi

  # 1. The ELF header names the board's CPU.
  local hdr
  hdr="$(readelf -h "$bin")"
  if grep -Eq "^ *Machine: +$machine\$" <<<"$hdr" \
      && { [[ -z "$flag" ]] || grep -q "$flag" <<<"$hdr"; }; then
    ok "$board: readelf -h says Machine: $machine${flag:+, $flag}"
  else
    bad "$board: readelf -h does not say Machine: $machine${flag:+ with $flag}:"
    sed -n '/Machine\|Flags/p' <<<"$hdr"
  fi

  # 2. It runs at all on the target's libc (the sysroot's, via qemu -L).
  local out
  if out="$("$qemu" -L "$sysroot" "$bin" --version 2>&1)"; then
    ok "$board: --version under $qemu: $(head -n 1 <<<"$out")"
  else
    bad "$board: --version under $qemu failed: $out"
  fi

  # 3. Serve the fixture board on loopback.
  local port log="$work/$board.log"
  port="$(free_port)"
  "$qemu" -L "$sysroot" "$bin" --port "$port" --bind 127.0.0.1 \
      --proc-root "$fixdir" --sys-root "$fixdir/sys" >"$log" 2>&1 &
  server_pid=$!
  local url="http://127.0.0.1:$port/"
  if ! wait_serving "$url" "$START_TIMEOUT" "$log"; then
    bad "$board: server did not answer under $qemu"
    return
  fi
  ok "$board: serving on 127.0.0.1:$port under $qemu"

  # 4. A browser-like GET: gzip on the wire, HTML after decoding.
  check_page "$board" "$url"

  # 5. A client that asks for no encoding still gets readable HTML.
  local plain="$work/$board.plain"
  code="$(curl -sS --max-time 10 -o "$plain" -w '%{http_code}' "$url" || true)"
  if [[ "$code" == 200 ]] && [[ "$(head -c 2 "$plain" | od -An -tx1 | tr -d ' ')" != 1f8b ]] \
      && grep -iq '<html' "$plain"; then
    ok "$board: GET / without Accept-Encoding: 200, readable HTML"
  else
    bad "$board: GET / without Accept-Encoding: status '$code', body starts: $(head -c 60 "$plain" 2>/dev/null | od -An -c | head -n 2 | tr -s ' \n' ' ')"
  fi

  # 6. SIGTERM is a clean shutdown: exit status 0, promptly.
  kill -TERM "$server_pid"
  local rc=0 t=0
  while kill -0 "$server_pid" 2>/dev/null && [[ $t -lt $((STOP_TIMEOUT * 4)) ]]; do
    sleep 0.25
    t=$((t + 1))
  done
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    bad "$board: still running ${STOP_TIMEOUT}s after SIGTERM"
  else
    wait "$server_pid" || rc=$?
    if [[ $rc -eq 0 ]]; then
      ok "$board: SIGTERM -> exit 0"
    else
      bad "$board: SIGTERM -> exit $rc; its output:"
      sed 's/^/    | /' "$log" | tail -n 20
    fi
  fi
  server_pid=""
}

boards=("$@")
[[ ${#boards[@]} -gt 0 ]] || boards=(rpi4 beaglebone-black)
for board in "${boards[@]}"; do
  config="$ROOT/build/$board/.config"
  [[ -f "$config" ]] || config="$ROOT/board/$board/defconfig"
  if [[ ! -f "$config" ]]; then
    bad "$board: no such board (board/$board/defconfig)"
    continue
  fi
  # Fixture: tests/fixtures/<board> if there is one, else by family.
  case "$board" in
    beaglebone-black) fixture=bbb ;;
    rpi*) fixture=pi4 ;;
    *) fixture="$board" ;;
  esac
  [[ -d "$FIXTURES/$board" ]] && fixture="$board"
  board_arch="$("$ROOT/scripts/board-arch.sh" "$config" || true)"
  if [[ "$board_arch" == aarch64 ]]; then
    run_board "$board" qemu-aarch64 "$SYSROOT_AARCH64" "$fixture" AArch64 ""
  elif [[ "$board_arch" == armhf ]]; then
    run_board "$board" qemu-arm "$SYSROOT_ARMHF" "$fixture" ARM "hard-float ABI"
  else
    bad "$board: not an ARM board (no CONFIG_SBCMON_ARCH_AARCH64/ARMHF in ${config#"$ROOT"/})"
  fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
