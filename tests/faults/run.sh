#!/usr/bin/env bash
# Hostile clients (tests/faults/hostile.mjs), injected /proc,/sys faults
# (tests/faults/faults.mjs), the memory, connection and per-address budgets
# (tests/faults/budgets.mjs) and operator faults (tests/faults/operator.mjs)
# against a built sbcmon; SBCMON_BIN defaults to build/host/sbcmon. Ends with
# "N passed, M failed" (all parts together).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SBCMON_BIN="${SBCMON_BIN:-$ROOT/build/host/sbcmon}"
export SBCMON_FIXTURES="${SBCMON_FIXTURES:-$ROOT/tests/fixtures}"
cd "$ROOT/tests/faults"
passed=0
failed=0
for part in hostile faults budgets operator; do
  [[ -f "$part.mjs" ]] || continue
  echo "=== $part"
  log="$(mktemp)"
  timeout 300 node "$part.mjs" 2>&1 | tee "$log" || true
  counts="$(sed -n -E 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log" | tail -n 1)"
  rm -f "$log"
  if [[ -n "$counts" ]]; then
    passed=$((passed + ${counts% *}))
    failed=$((failed + ${counts#* }))
  else
    failed=$((failed + 1))
    echo "  FAIL $part: did not finish (no count line)"
  fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
