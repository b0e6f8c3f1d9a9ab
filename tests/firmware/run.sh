#!/usr/bin/env bash
# `make test-firmware`: build the static firmware binaries (scripts/firmware.sh) for one
# aarch64 and one armhf board and check what someone flashing a board relies on:
#   - readelf/file: the board's ELF machine, fully static, no libssl/libcrypto (no NEEDED);
#   - the stripped size against the 1 MiB goal;
#   - under qemu-user (static: no -L) against the board's fixture /proc and /sys, with
#     --tls and a self-signed certificate made in --state-dir: curl -k --compressed gets
#     the page over HTTPS, and socket.io-client 4 receives samples over WSS;
#   - SIGTERM ends it with exit 0;
#   - with --bind ::1 it serves the page on the IPv6 loopback.
#   tests/firmware/run.sh [board...]        (default: rpi4 beaglebone-black)
# SBCMON_FIRMWARE_NO_BUILD=1 tests the binaries already in build/firmware/.
# SBCMON_DEPS=trixie builds and tests the trixie library set's binaries
# (build/firmware/sbcmon-<board>-trixie) instead of the default bookworm ones.
# Ends with a line "N passed, M failed"; exits non-zero if anything failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3
FIXTURES="$ROOT/tests/fixtures"
# qemu-user is slow to start, and the first start makes a P-256 key and certificate.
START_TIMEOUT="${SBCMON_QEMU_START_TIMEOUT:-90}"
STOP_TIMEOUT=15
# The goal is 1 MiB with TLS and the page, and both arches meet it: aarch64 (1003 KiB
# today) must stay within it; armhf, far below, is held to a ceiling a little above its
# 763 KiB so that growth is caught there too.
SIZE_GOAL=$((1024 * 1024))
DEPS_SET="${SBCMON_DEPS:-bookworm}"
suffix=""
[[ "$DEPS_SET" == bookworm ]] || suffix="-$DEPS_SET"
# Per library set: the trixie set's libwebsockets 4.3 and mbedTLS 3.6 add ~30 KB on aarch64,
# which the 1 MiB goal (held for the default set) does not cover.
declare -A SIZE_CEILING=([bookworm/AArch64]=$SIZE_GOAL [bookworm/ARM]=$((800 * 1024))
                         [trixie/AArch64]=$((1088 * 1024)) [trixie/ARM]=$((832 * 1024)))

# shellcheck source=../lib/harness.sh
source "$ROOT/tests/lib/harness.sh"   # ok/bad, passed/failed, work, server_pid, free_port



stop_server() {  # <board> <log>: SIGTERM must end it with exit 0, promptly
  local board="$1" log="$2" rc=0 t=0
  kill -TERM "$server_pid" 2>/dev/null || true
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

# run_board <board> <qemu> <fixture> <readelf machine> <extra readelf flag or "">
run_board() {
  local board="$1" qemu="$2" fixture="$3" machine="$4" flag="$5"
  local bin="$ROOT/build/firmware/sbcmon-$board$suffix" fixdir="$FIXTURES/$fixture"
  echo "== $board ($machine, $qemu, fixture $fixture, $DEPS_SET libraries)"

  if [[ "${SBCMON_FIRMWARE_NO_BUILD:-}" != 1 ]]; then
    local t=$SECONDS
    if scripts/firmware.sh "$board" >"$work/$board.build.log" 2>&1; then
      ok "$board: scripts/firmware.sh built it ($((SECONDS - t))s; $(grep -c 'building dependencies' "$work/$board.build.log" || true) dependency build(s))"
    else
      bad "$board: scripts/firmware.sh $board failed; last lines:"
      tail -n 25 "$work/$board.build.log" | sed 's/^/    | /'
      return
    fi
  fi
  if [[ ! -x "$bin" ]]; then
    bad "$board: no binary at ${bin#"$ROOT"/} (make firmware BOARD=$board DEPS=$DEPS_SET)"
    return
  fi

  # 1. The board's CPU, and nothing loaded at run time.
  local hdr dyn prog
  hdr="$(readelf -h "$bin")"
  if grep -Eq "^ *Machine: +$machine\$" <<<"$hdr" \
      && { [[ -z "$flag" ]] || grep -q "$flag" <<<"$hdr"; }; then
    ok "$board: readelf -h says Machine: $machine${flag:+, $flag}"
  else
    bad "$board: readelf -h does not say Machine: $machine${flag:+ with $flag}:"
    sed -n '/Machine\|Flags/p' <<<"$hdr"
  fi
  dyn="$(readelf -d "$bin" 2>&1)"
  prog="$(readelf -l "$bin" 2>&1)"
  if grep -q 'There is no dynamic section' <<<"$dyn" && ! grep -q 'INTERP' <<<"$prog" \
      && ! grep -Eiq 'NEEDED|libssl|libcrypto' <<<"$dyn"; then
    ok "$board: readelf -d/-l: no dynamic section, no interpreter (so no libssl/libcrypto)"
  else
    bad "$board: not fully static: $(grep -E 'NEEDED|INTERP|interpreter' <<<"$dyn$prog" | tr -s ' ' | head -n 5)"
  fi
  if command -v file >/dev/null 2>&1; then
    local desc
    desc="$(file -b "$bin")"
    if grep -q 'statically linked' <<<"$desc" && grep -q 'stripped' <<<"$desc" \
        && ! grep -q 'not stripped' <<<"$desc"; then
      ok "$board: file: ${desc%%,*}, statically linked, stripped"
    else
      bad "$board: file says: $desc"
    fi
  fi
  local size ceiling="${SIZE_CEILING[$DEPS_SET/$machine]:-0}"
  size="$(stat -c %s "$bin")"
  if [[ $size -le $ceiling ]]; then
    ok "$board: stripped size $size bytes ($((size / 1024)) KiB), within the $((ceiling / 1024)) KiB ceiling (1 MiB goal: $((SIZE_GOAL - size)) bytes to spare)"
  else
    bad "$board: stripped size $size bytes ($((size / 1024)) KiB) is over the $((ceiling / 1024)) KiB ceiling ($((size - ceiling)) bytes over)"
  fi

  if ! command -v "$qemu" >/dev/null 2>&1; then
    bad "$board: $qemu not found (apt-get install qemu-user)"
    return
  fi
  if [[ ! -d "$fixdir/sys" ]]; then
    bad "$board: fixture tests/fixtures/$fixture (with sys/) is missing"
    return
  fi

  # 2. Serve the fixture board over TLS with a self-signed certificate made on start.
  local port state="$work/$board.state" log="$work/$board.log"
  mkdir -p "$state"
  port="$(free_port)"
  "$qemu" "$bin" --tls --state-dir "$state" --port "$port" --bind 127.0.0.1 \
      --proc-root "$fixdir" --sys-root "$fixdir/sys" >"$log" 2>&1 &
  server_pid=$!
  local url="https://127.0.0.1:$port/"
  if ! wait_serving "$url" "$START_TIMEOUT" "$log" -k; then
    bad "$board: no HTTPS answer under $qemu"
    return
  fi
  ok "$board: serving HTTPS on 127.0.0.1:$port under $qemu"

  # 3. The page over HTTPS, gzipped on the wire, HTML after decoding; the certificate
  #    is the self-signed one sbcmon wrote into --state-dir.
  check_page "$board" "$url" -k
  local served
  if [[ -f "$state/sbcmon.crt" && -f "$state/sbcmon.key" ]] \
      && served="$("$PY" - "$port" "$state/sbcmon.crt" <<'PYEOF'
import ssl, sys
pem = ssl.get_server_certificate(("127.0.0.1", int(sys.argv[1])))
mine = open(sys.argv[2]).read()
print("same" if ssl.PEM_cert_to_DER_cert(pem) == ssl.PEM_cert_to_DER_cert(mine) else "different")
PYEOF
)" && [[ "$served" == same ]]; then
    ok "$board: serves the self-signed certificate it wrote to --state-dir/sbcmon.crt"
  else
    bad "$board: served certificate vs --state-dir: ${served:-?}; state dir: $(ls -A "$state" | tr '\n' ' ')"
  fi

  # 4. A real Socket.IO client over WSS receives samples.
  local msg
  if msg="$(node tests/firmware/wss_client.mjs "$url" 60000 2>&1)"; then
    ok "$board: socket.io-client 4 over wss: $msg"
  else
    bad "$board: socket.io-client 4 over wss: $msg"
    sed 's/^/    | /' "$log" | tail -n 10
  fi

  stop_server "$board" "$log"

  # 5. Only sbcmon spoke: a library writing to stderr on its own (libwebsockets 4.3
  #    built without its mbedTLS probes says "mbedtls_ssl_conf_alpn_protocols absent"
  #    on every connection) would fill the board's journal.
  local foreign
  foreign="$(grep -v '^sbcmon' "$log" | head -n 3 || true)"
  if [[ -z "$foreign" ]]; then
    ok "$board: every line it printed is sbcmon's own ($(wc -l <"$log") lines)"
  else
    bad "$board: lines from something other than sbcmon: $(tr '\n' '|' <<<"$foreign")"
  fi

  # 6. --bind an IPv6 address: libwebsockets looks the address's interface up through
  #    getifaddrs and getnameinfo, which the firmware replaces with numeric-only ones.
  if ! "$PY" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
    ok "$board: --bind ::1 not tried: this machine has no IPv6 loopback"
    return
  fi
  port="$(free_port)"
  log="$work/$board.v6.log"
  "$qemu" "$bin" --tls --state-dir "$state" --port "$port" --bind ::1 \
      --proc-root "$fixdir" --sys-root "$fixdir/sys" >"$log" 2>&1 &
  server_pid=$!
  if wait_serving "https://[::1]:$port/" "$START_TIMEOUT" "$log" -g -k; then
    check_page "$board (--bind ::1)" "https://[::1]:$port/" -g -k
    stop_server "$board" "$log"
  else
    bad "$board: no HTTPS answer on [::1] with --bind ::1"
  fi
}

command -v readelf >/dev/null || { echo "run.sh: readelf not found (binutils)" >&2; exit 1; }
command -v curl >/dev/null || { echo "run.sh: curl not found" >&2; exit 1; }
[[ -d tests/node_modules/socket.io-client ]] \
  || echo "run.sh: warning: tests/node_modules/socket.io-client missing (scripts/deps.sh test)" >&2

boards=("$@")
[[ ${#boards[@]} -gt 0 ]] || boards=(rpi4 beaglebone-black)
for board in "${boards[@]}"; do
  defconfig="board/$board/defconfig"
  if [[ ! -f "$defconfig" ]]; then
    bad "$board: no such board ($defconfig)"
    continue
  fi
  case "$board" in
    beaglebone-black) fixture=bbb ;;
    rpi*) fixture=pi4 ;;
    *) fixture="$board" ;;
  esac
  [[ -d "$FIXTURES/$board" ]] && fixture="$board"
  board_arch="$("$ROOT/scripts/board-arch.sh" "$defconfig" || true)"
  if [[ "$board_arch" == aarch64 ]]; then
    run_board "$board" qemu-aarch64 "$fixture" AArch64 ""
  elif [[ "$board_arch" == armhf ]]; then
    run_board "$board" qemu-arm "$fixture" ARM "hard-float ABI"
  else
    bad "$board: not an ARM board"
  fi
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
