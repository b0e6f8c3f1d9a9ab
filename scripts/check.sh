#!/usr/bin/env bash
# `make check`: the quick loop beside the full `make test`. The host build exactly as
# scripts/test.sh configures it (so neither rebuilds what the other built), then the unit
# and integration tests with ctest in parallel (CTEST_JOBS, default 2: tests use free ports
# and their own temp dirs). No browser, cross, packaging, sanitizer, fuzz or pristine stage.
# Ends with "N passed, M failed" (ctest's counts).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
CTEST_JOBS="${CTEST_JOBS:-2}"
HOST_BUILD="$ROOT/build/host"
start=$SECONDS

mkdir -p "$HOST_BUILD"
if [[ ! -f "$HOST_BUILD/.config" || board/host/defconfig -nt "$HOST_BUILD/.config" ]]; then
  "$PY" scripts/kconfig.py defconfig board/host/defconfig "$HOST_BUILD/.config"
fi
if ! { cmake -S . -B "$HOST_BUILD" -DSBCMON_CONFIG="$HOST_BUILD/.config" \
         -DSBCMON_WERROR=ON -DBUILD_TESTING=ON >/dev/null \
       && cmake --build "$HOST_BUILD" -j "$JOBS"; }; then
  echo "check.sh: the host build failed (see above)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
ctest --test-dir "$HOST_BUILD" -R '^(unit|integration)\.' -j "$CTEST_JOBS" --output-on-failure \
  | tee "$log" || status=$?
# ctest: "100% tests passed, 0 tests failed out of 212"
total="$(sed -n -E 's/.* tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1 \2/p' "$log" | tail -n 1)"
if [[ -n "$total" ]]; then
  echo "check: $((SECONDS - start))s"
  echo "$(( ${total#* } - ${total% *} )) passed, ${total% *} failed"
else
  echo "0 passed, 1 failed"
  status=1
fi
exit "$status"
