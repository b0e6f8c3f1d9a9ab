#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan+UBSan+libFuzzer, in
# build/fuzz, apart from the normal build) and runs each for FUZZ_SECONDS (default
# 30) from its seed corpus in tests/fuzz/corpus/<target>/. Any crash, leak, timeout
# or sanitizer report fails the run; the reproducer lands in build/fuzz/artifacts/.
#   scripts/fuzz.sh [target...]        (default: every *_fuzz target)
# New inputs found go to build/fuzz/corpus/ (not the committed seeds).
# Ends with "N passed, M failed"; exits non-zero if any target failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_EACH="${FUZZ_SECONDS:-30}"
BUILD="$ROOT/build/fuzz"
JOBS="${JOBS:-2}"

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ is not installed (scripts/deps.sh test installs it)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
echo "--- fuzz: building targets in build/fuzz (clang, -fsanitize=fuzzer,address,undefined)"
if ! CC=clang CXX=clang++ cmake -S tests/fuzz -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null \
   || ! cmake --build "$BUILD" -j "$JOBS" >"$BUILD/build.log" 2>&1; then
  tail -n 40 "$BUILD/build.log" 2>/dev/null || true
  echo "fuzz.sh: the fuzz build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

if [[ $# -gt 0 ]]; then
  targets=("$@")
else
  mapfile -t targets < <(find "$BUILD" -maxdepth 1 -type f -name '*_fuzz' -perm -u+x -printf '%f\n' | sort)
fi
passed=0
failed=0
mkdir -p "$BUILD/artifacts" "$BUILD/logs"
for t in "${targets[@]}"; do
  seeds="$ROOT/tests/fuzz/corpus/$t"
  work="$BUILD/corpus/$t"
  mkdir -p "$work"
  log="$BUILD/logs/$t.log"
  [[ -d "$seeds" ]] || { echo "  FAIL $t: no seed corpus at tests/fuzz/corpus/$t"; failed=$((failed + 1)); continue; }
  # The committed seeds are read-only input; new finds go to the work corpus.
  status=0
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$BUILD/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=1024 -max_len=8192 \
      -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1 || status=$?
  runs="$(sed -n -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1 execs in \2 s/p' "$log" | tail -n 1)"
  cov="$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 || true)"
  if [[ $status -eq 0 ]] && ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
    passed=$((passed + 1))
    echo "  ok   $t: ${runs:-?} (${cov:-cov ?}, corpus $(find "$work" -type f | wc -l) files)"
  else
    failed=$((failed + 1))
    echo "  FAIL $t (exit $status); log build/fuzz/logs/$t.log:"
    grep -E -A 25 'ERROR:|runtime error:|deadly signal' "$log" | head -n 40 | sed 's/^/       /'
    ls "$BUILD/artifacts/$t-"* 2>/dev/null | sed 's/^/       reproducer: /' || true
  fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
