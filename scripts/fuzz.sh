#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan+UBSan+libFuzzer, in
# build/fuzz, apart from the normal build) and runs each for FUZZ_SECONDS (default
# 30) from its seed corpus in tests/fuzz/corpus/<target>/. Any crash, leak, timeout
# or sanitizer report fails the run; the reproducer lands in build/fuzz/artifacts/.
# Two targets run at a time (FUZZ_PARALLEL).
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
mkdir -p "$BUILD/artifacts" "$BUILD/logs"
# fuzz_one <target>: runs one target; its verdict goes to logs/<target>.report, whose
# first line starts with "  ok" or "  FAIL". A target that leaves no report failed.
fuzz_one() {
  local t="$1" seeds="$ROOT/tests/fuzz/corpus/$1" work="$BUILD/corpus/$1" log="$BUILD/logs/$1.log"
  local report="$BUILD/logs/$1.report" status=0 runs cov
  mkdir -p "$work"
  [[ -d "$seeds" ]] || { echo "  FAIL $t: no seed corpus at tests/fuzz/corpus/$t" >"$report"; return; }
  # The committed seeds are read-only input; new finds go to the work corpus.
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$BUILD/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=1024 -max_len=8192 \
      -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1 || status=$?
  runs="$(sed -n -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1 execs in \2 s/p' "$log" | tail -n 1)"
  cov="$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 || true)"
  if [[ $status -eq 0 ]] && ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
    echo "  ok   $t: ${runs:-?} (${cov:-cov ?}, corpus $(find "$work" -type f | wc -l) files)" >"$report"
  else
    {
      echo "  FAIL $t (exit $status); log build/fuzz/logs/$t.log:"
      grep -E -A 25 'ERROR:|runtime error:|deadly signal' "$log" | head -n 40 | sed 's/^/       /'
      ls "$BUILD/artifacts/$t-"* 2>/dev/null | sed 's/^/       reproducer: /' || true
    } >"$report"
  fi
}

# FUZZ_PARALLEL targets at a time (default 2, the CI machine's cores); verdicts are
# printed in target order once all have run.
parallel="${FUZZ_PARALLEL:-2}"
running=0
for t in "${targets[@]}"; do
  rm -f "$BUILD/logs/$t.report"
  fuzz_one "$t" &
  running=$((running + 1))
  if [[ $running -ge $parallel ]]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true
passed=0
failed=0
for t in "${targets[@]}"; do
  report="$BUILD/logs/$t.report"
  if [[ -f "$report" ]] && head -n 1 "$report" | grep -q '^  ok '; then
    passed=$((passed + 1))
    cat "$report"
  else
    failed=$((failed + 1))
    if [[ -f "$report" ]]; then cat "$report"; else echo "  FAIL $t: no verdict (the run itself broke)"; fi
  fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
