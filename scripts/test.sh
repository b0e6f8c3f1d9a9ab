#!/usr/bin/env bash
# Everything `make test` runs once the dependencies are in place (scripts/deps.sh test):
#   1. host build with warnings as errors, then every CTest test (unit, integration, browser);
#   2. cross builds for an aarch64 and an armhf board (make BOARD=...), run under qemu-user
#      by tests/cross/qemu_test.sh;
#   3. stripped sizes of the three binaries.
# The counted runners of part 2 include the firmware checks and the integration and
# browser suites against the second library set (trixie: libwebsockets 4.3, mbedTLS 3.6).
# Ends with the cross part's line "N passed, M failed"; exits non-zero if anything failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
HOST_BUILD="$ROOT/build/host"
CROSS_BOARDS=(rpi4 beaglebone-black)

host_status=0
section() { printf '\n===== %s =====\n' "$*"; }

# --- 1. host build and CTest --------------------------------------------------
section "host build (warnings are errors)"
host_start=$SECONDS
mkdir -p "$HOST_BUILD"
if [[ ! -f "$HOST_BUILD/.config" || board/host/defconfig -nt "$HOST_BUILD/.config" ]]; then
  "$PY" scripts/kconfig.py defconfig board/host/defconfig "$HOST_BUILD/.config"
fi
if cmake -S . -B "$HOST_BUILD" -DSBCMON_CONFIG="$HOST_BUILD/.config" \
      -DSBCMON_WERROR=ON -DBUILD_TESTING=ON \
    && cmake --build "$HOST_BUILD" -j "$JOBS"; then
  section "host tests (ctest)"
  # Tests are independent (free ports, own temp dirs): two at a time.
  ctest --test-dir "$HOST_BUILD" -j "${CTEST_JOBS:-2}" --output-on-failure || host_status=$?
else
  host_status=1
  echo "test.sh: the host build failed (see above); no host tests were run" >&2
fi
host_time=$((SECONDS - host_start))

# --- 2. cross builds and qemu-user runs ---------------------------------------
section "board defconfigs and cross builds: ${CROSS_BOARDS[*]}"
cross_start=$SECONDS
cross_passed=0
cross_failed=0
# Only one board per architecture is built; every board's defconfig must still load
# cleanly (kconfig.py fails on unknown symbols and out-of-range values).
defconfig_tmp="$(mktemp -d)"
for defconfig in board/*/defconfig; do
  b="$(basename "$(dirname "$defconfig")")"
  if "$PY" scripts/kconfig.py defconfig "$defconfig" "$defconfig_tmp/$b.config"; then
    cross_passed=$((cross_passed + 1))
    echo "  ok   $b: defconfig is valid"
  else
    cross_failed=$((cross_failed + 1))
    echo "  FAIL $b: $defconfig does not load (see above)"
  fi
done
rm -rf "$defconfig_tmp"
for board in "${CROSS_BOARDS[@]}"; do
  config="$ROOT/build/$board/.config"
  # Test the committed defconfig: a newer defconfig replaces an older generated .config.
  if [[ -f "$config" && "board/$board/defconfig" -nt "$config" ]]; then
    rm -f "$config"
  fi
  echo "--- make BOARD=$board"
  if make --no-print-directory BOARD="$board" CMAKE_FLAGS="-DSBCMON_WERROR=ON" build; then
    cross_passed=$((cross_passed + 1))
    echo "  ok   $board: cross build"
  else
    cross_failed=$((cross_failed + 1))
    echo "  FAIL $board: cross build (make BOARD=$board)"
  fi
done

section "cross binaries under qemu-user"
qemu_log="$(mktemp)"
trap 'rm -f "$qemu_log"' EXIT
qemu_status=0
bash tests/cross/qemu_test.sh "${CROSS_BOARDS[@]}" | tee "$qemu_log" || qemu_status=$?
counts="$(sed -n -E 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$qemu_log" | tail -n 1)"
if [[ -n "$counts" ]]; then
  cross_passed=$((cross_passed + ${counts% *}))
  cross_failed=$((cross_failed + ${counts#* }))
fi
if [[ $qemu_status -ne 0 && ( -z "$counts" || ${counts#* } -eq 0 ) ]]; then
  cross_failed=$((cross_failed + 1))   # the script itself broke before counting
fi
# One counted runner: its last "N passed, M failed" line adds to the totals; a runner
# that breaks before printing one counts as a failure. (tee into a temp file:
# `tee /dev/stderr` would truncate a log file that stderr points at.)
counted() {
  local log counts
  log="$(mktemp)"
  "$@" | tee "$log" || true
  counts="$(sed -n -E 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log" | tail -n 1)"
  rm -f "$log"
  if [[ -n "$counts" ]]; then
    cross_passed=$((cross_passed + ${counts% *}))
    cross_failed=$((cross_failed + ${counts#* }))
  else
    cross_failed=$((cross_failed + 1))
    echo "test.sh: '$*' printed no counts (it broke; see above)" >&2
  fi
}
counted bash tests/packaging/run.sh          # .debs, qemu install, units, Buildroot/Yocto
counted env FUZZ_SECONDS="${FUZZ_SECONDS:-30}" bash scripts/fuzz.sh  # every libFuzzer target
counted bash scripts/sanitize.sh             # ASan+UBSan unit+integration, valgrind on the Node suites
counted bash tests/soak/run.sh               # 10k-session soak with 20 watchers
counted bash tests/faults/run.sh             # hostile clients, budgets, operator and /proc,/sys faults
counted make --no-print-directory test-firmware  # static lws+mbedTLS binaries, HTTPS/WSS under qemu-user
# The other library set (libwebsockets 4.3.5 + mbedTLS 3.6.6, Debian trixie's sources):
counted env SBCMON_DEPS=trixie make --no-print-directory test-firmware  # the same checks, both boards
counted bash tests/deps/run.sh trixie        # integration + browser suites against its static host binary
counted bash tests/boot/run.sh               # the amd64 .deb under systemd in qemu-system
counted bash tests/pristine/run.sh           # git clone + the README's make run on a pristine Debian 12 root
cross_time=$((SECONDS - cross_start))

# --- 3. sizes -------------------------------------------------------------------
section "stripped sizes"
strip_size() {  # <label> <strip tool> <binary>
  local label="$1" tool="$2" bin="$3" tmp
  if [[ ! -f "$bin" ]]; then
    printf '  %-24s (not built)\n' "$label"
    return
  fi
  tmp="$(mktemp)"
  if "$tool" -o "$tmp" "$bin" 2>/dev/null; then
    printf '  %-24s %9d bytes stripped (%d unstripped)\n' "$label" \
      "$(stat -c %s "$tmp")" "$(stat -c %s "$bin")"
  else
    printf '  %-24s (%s failed)\n' "$label" "$tool"
  fi
  rm -f "$tmp"
}
strip_size "host $(uname -m)" strip "$HOST_BUILD/sbcmon"
strip_size "aarch64 (rpi4)" aarch64-linux-gnu-strip "$ROOT/build/rpi4/sbcmon"
strip_size "armhf (beaglebone-black)" arm-linux-gnueabihf-strip "$ROOT/build/beaglebone-black/sbcmon"

section "summary"
if [[ $host_status -eq 0 ]]; then
  echo "host: build and ctest passed (${host_time}s)"
else
  echo "host: FAILED (build or ctest, see above; ${host_time}s)"
fi
echo "cross: builds + qemu checks took ${cross_time}s"
echo "$cross_passed passed, $cross_failed failed"
[[ $host_status -eq 0 && $cross_failed -eq 0 ]]
