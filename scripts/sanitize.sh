#!/usr/bin/env bash
# Memory-safety runs of the real binary and the unit tests:
#   1. build/asan: -DSBCMON_SANITIZE=ON (ASan+UBSan, LeakSanitizer on exit), then
#      every unit.* and integration.* CTest test. Any sanitizer report, from any
#      process, fails the run (reports are collected in build/asan/reports/).
#   2. valgrind memcheck: every Node integration suite (but security_privileges)
#      against the plain build/host binary run under tests/faults/valgrind_sbcmon.sh;
#      any memory error or definite leak fails.
# Env: SANITIZE_TESTS (ctest -R regex, default '^(unit|integration)\.'), SANITIZE_EXCLUDE (-E),
#      VALGRIND_SUITES (default: all but security_privileges), SKIP_ASAN/SKIP_VALGRIND=1.
# Ends with "N passed, M failed"; exits non-zero if anything failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3
JOBS="${JOBS:-2}"
ASAN_BUILD="$ROOT/build/asan"
HOST_BUILD="$ROOT/build/host"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "  ok   $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL $*"; }

# --- 1. ASan + UBSan ------------------------------------------------------------
if [[ "${SKIP_ASAN:-0}" != 1 ]]; then
  echo "--- sanitize: ASan+UBSan build in build/asan"
  mkdir -p "$ASAN_BUILD"
  [[ -f "$ASAN_BUILD/.config" ]] || "$PY" scripts/kconfig.py defconfig board/host/defconfig "$ASAN_BUILD/.config"
  if cmake -S . -B "$ASAN_BUILD" -DSBCMON_CONFIG="$ASAN_BUILD/.config" -DSBCMON_SANITIZE=ON \
        -DBUILD_TESTING=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null \
     && cmake --build "$ASAN_BUILD" -j "$JOBS" >"$ASAN_BUILD/build.log" 2>&1; then
    reports="$ASAN_BUILD/reports"
    rm -rf "$reports" && mkdir -p "$reports"
    # log_path: every process (unit test, sbcmon started by a suite) writes its
    # report to a file here, so one swallowed by a test harness still counts.
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:log_path=$reports/asan:detect_stack_use_after_return=1:strict_string_checks=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
    export LSAN_OPTIONS="suppressions=$ROOT/tests/faults/lsan.supp:print_suppressions=0"
    regex="${SANITIZE_TESTS:-^(unit|integration)\.}"
    # clock_jump preloads libfaketime, which ASan refuses to run after.
    exclude="${SANITIZE_EXCLUDE:-^integration\.clock_jump$}"
    ctest_log="$ASAN_BUILD/ctest.log"
    # ASan+UBSan runs sbcmon a few times slower: deadlines stretch (tests/lib/deadline.mjs).
    if SBCMON_TIME_SCALE="${SBCMON_TIME_SCALE:-3}" \
       ctest --test-dir "$ASAN_BUILD" -R "$regex" -E "$exclude" -j 1 --output-on-failure >"$ctest_log" 2>&1; then
      ok "asan: ctest -R '$regex' ($(grep -Eo '[0-9]+ tests passed|tests passed, [0-9]+' "$ctest_log" | tail -n 1 || true))"
    else
      bad "asan: ctest -R '$regex' (build/asan/ctest.log):"
      grep -E '^\s*[0-9]+ - |tests passed' "$ctest_log" | sed 's/^/       /' | tail -n 30
    fi
    shopt -s nullglob
    found=("$reports"/*)
    shopt -u nullglob
    if [[ ${#found[@]} -eq 0 ]]; then
      ok "asan: no sanitizer report from any process"
    else
      bad "asan: ${#found[@]} sanitizer report(s) in build/asan/reports:"
      for f in "${found[@]}"; do
        echo "       --- $(basename "$f")"
        grep -E 'ERROR|SUMMARY|runtime error|^    #[0-5] ' "$f" | head -n 12 | sed 's/^/       /'
      done
    fi
    unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
  else
    tail -n 30 "$ASAN_BUILD/build.log"
    bad "asan: the build failed (build/asan/build.log)"
  fi
fi

# --- 2. valgrind memcheck ---------------------------------------------------------
if [[ "${SKIP_VALGRIND:-0}" != 1 ]]; then
  echo "--- sanitize: valgrind memcheck on the integration suites"
  if ! command -v valgrind >/dev/null; then
    bad "valgrind: not installed"
  elif [[ ! -x "$HOST_BUILD/sbcmon" ]]; then
    bad "valgrind: $HOST_BUILD/sbcmon is not built (make BOARD=host build)"
  else
    vlogs="$(mktemp -d)"
    trap 'rm -rf "$vlogs"' EXIT
    # Default: every Node integration suite but the privilege-drop one (valgrind
    # cannot follow the setuid it checks) and clock_jump (its LD_PRELOAD would
    # land in valgrind itself).
    default_suites=""
    for f in tests/integration/*.test.mjs; do
      name="$(basename "$f" .test.mjs)"
      [[ "$name" == security_privileges || "$name" == clock_jump ]] || default_suites+="$name "
    done
    for suite in ${VALGRIND_SUITES:-$default_suites}; do
      rm -f "$vlogs"/valgrind.*.log
      out="$vlogs/$suite.out"
      # Deadlines (tests/lib/deadline.mjs) stretch: memcheck runs sbcmon 10-50x slower.
      if SBCMON_TIME_SCALE="${SBCMON_TIME_SCALE:-10}" \
         SBCMON_BIN="$ROOT/tests/faults/valgrind_sbcmon.sh" SBCMON_REAL_BIN="$HOST_BUILD/sbcmon" \
         SBCMON_VALGRIND_LOGS="$vlogs" SBCMON_FIXTURES="$ROOT/tests/fixtures" \
         SBCMON_BUILD_DIR="$HOST_BUILD" NODE_PATH="$ROOT/tests/node_modules" \
         timeout 900 node --test --test-reporter=spec "tests/integration/$suite.test.mjs" >"$out" 2>&1; then
        suite_ok=1
      else
        suite_ok=0
      fi
      nproc_logs=$(find "$vlogs" -name 'valgrind.*.log' | wc -l)
      errs=$(cat "$vlogs"/valgrind.*.log 2>/dev/null | grep -cE '^==[0-9]+== (Invalid|Conditional|Syscall param|Mismatched|Source and destination|[0-9,]+ bytes in [0-9,]+ blocks are definitely)' || true)
      if [[ $suite_ok -eq 1 && $errs -eq 0 ]]; then
        ok "valgrind: $suite ($nproc_logs sbcmon processes, 0 errors)"
      else
        bad "valgrind: $suite (suite $([[ $suite_ok -eq 1 ]] && echo passed || echo failed), $errs valgrind errors)"
        grep -E '^not ok|^# (pass|fail)|✖' "$out" | head -n 15 | sed 's/^/       /'
        cat "$vlogs"/valgrind.*.log 2>/dev/null | head -n 40 | sed 's/^/       /'
      fi
    done
  fi
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
