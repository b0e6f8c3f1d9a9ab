#!/usr/bin/env bash
# The host suites against the other library set: builds the static host sbcmon with
# scripts/firmware.sh against the trixie set (libwebsockets 4.3.5, mbedTLS 3.6.6), checks
# that it really links those versions, and runs the integration and browser tests
# (CTest, a second build dir build/host-<set> with SBCMON_TEST_BIN pointing at it).
#   tests/deps/run.sh [set]              (default: trixie)
# The tests are those where the libraries show: every browser test (the page over HTTP,
# HTTPS and WSS in Chromium), the official clients (socket.io-client 4 and 2,
# python-socketio), the Engine.IO/Socket.IO wire and conformance tests, and the TLS,
# header, limit and slow-client tests (libwebsockets 4.3 changed its HTTP timeouts).
# SBCMON_DEPS_TESTS='^(integration|browser)\.' (a ctest -R regex) runs every one
# instead; clock_jump (libfaketime, LD_PRELOADed: a static binary never loads it) and
# www_bundle_test (builds its own binary) never apply. Ends with a line
# "N passed, M failed"; exits non-zero if anything failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3
SET="${1:-trixie}"
SUITES='eio_conformance|eio_raw|sio_raw|sio_v2client|sio_v4client|test_python_client'
SUITES+='|security_tls|security_headers|security_limits|monitor_http|monitor_slow_client'
REGEX="${SBCMON_DEPS_TESTS:-^(browser\..*|integration\.($SUITES))\$}"
EXCLUDE='^integration\.(clock_jump|www_bundle_test)$'
BUILD="$ROOT/build/host-$SET"
BIN="$ROOT/build/firmware/sbcmon-host-$SET"
declare -A LWS_VERSION=([trixie]=4.3.5)
declare -A MBEDTLS_VERSION=([trixie]=3.6.6)

# shellcheck source=../lib/harness.sh
source "$ROOT/tests/lib/harness.sh"   # ok/bad, passed/failed, work

finish() { echo "$passed passed, $failed failed"; [[ $failed -eq 0 ]]; exit $?; }

[[ -n "${LWS_VERSION[$SET]:-}" ]] || { bad "unknown library set '$SET' (trixie)"; finish; }
echo "== host suites against the static sbcmon built with the $SET set"

# 1. The static host binary (scripts/firmware.sh host with the set).
t=$SECONDS
if SBCMON_DEPS="$SET" scripts/firmware.sh host >"$work/build.log" 2>&1; then
  ok "scripts/firmware.sh host ($SET) built ${BIN#"$ROOT"/} ($((SECONDS - t))s)"
else
  bad "SBCMON_DEPS=$SET scripts/firmware.sh host failed; last lines:"
  tail -n 25 "$work/build.log" | sed 's/^/    | /'
  finish
fi

# 2. It is the set's libraries: the prefix it was linked against has their versions,
#    and libwebsockets' version string is in the binary.
prefix="$(cat "$ROOT/build/firmware/host-$SET/.deps-prefix" 2>/dev/null || true)"
lws_v="$(sed -n -E 's/^#define LWS_LIBRARY_VERSION "([^"]+)".*/\1/p' "$prefix/include/lws_config.h" 2>/dev/null || true)"
mbed_v="$(sed -n -E 's/^#define MBEDTLS_VERSION_STRING +"([^"]+)".*/\1/p' "$prefix/include/mbedtls/build_info.h" 2>/dev/null || true)"
if [[ "$lws_v" == "${LWS_VERSION[$SET]}"* && "$mbed_v" == "${MBEDTLS_VERSION[$SET]}" ]] \
    && grep -aq "${LWS_VERSION[$SET]}" "$BIN"; then
  ok "linked against libwebsockets $lws_v and mbedTLS $mbed_v (${prefix#"$ROOT"/})"
else
  bad "expected libwebsockets ${LWS_VERSION[$SET]} + mbedTLS ${MBEDTLS_VERSION[$SET]}, found '${lws_v:-?}' + '${mbed_v:-?}' in '${prefix:-no prefix}'"
fi

# 3. The integration and browser tests against it, from a build dir of their own.
mkdir -p "$BUILD"
"$PY" scripts/kconfig.py defconfig board/host/defconfig "$BUILD/.config" >/dev/null
if ! cmake -S . -B "$BUILD" -DSBCMON_CONFIG="$BUILD/.config" -DBUILD_TESTING=ON \
      -DSBCMON_TEST_BIN="$BIN" >"$work/cmake.log" 2>&1; then
  bad "configuring ${BUILD#"$ROOT"/} failed:"
  tail -n 20 "$work/cmake.log" | sed 's/^/    | /'
  finish
fi
status=0
ctest --test-dir "$BUILD" -R "$REGEX" -E "$EXCLUDE" -j "${CTEST_JOBS:-2}" --output-on-failure | tee "$work/ctest.log" || status=$?
summary="$(sed -n -E 's/^[0-9]+% tests passed, ([0-9]+) tests? failed out of ([0-9]+)$/\1 \2/p' "$work/ctest.log" | tail -n 1)"
if [[ -z "$summary" || "${summary#* }" -eq 0 ]]; then
  bad "ctest -R '$REGEX' ran no tests (exit $status)"
else
  nfail="${summary% *}" total="${summary#* }"
  # Each CTest test counts once, as in the host stage.
  passed=$((passed + total - nfail))
  failed=$((failed + nfail))
  echo "  ctest against ${BIN#"$ROOT"/}: $((total - nfail)) of $total passed"
  [[ $status -eq 0 || $nfail -gt 0 ]] || bad "ctest exited $status with no failed test"
fi
finish
