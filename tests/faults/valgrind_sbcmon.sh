#!/usr/bin/env bash
# Stands in for the sbcmon binary (as SBCMON_BIN) and runs the real one,
# $SBCMON_REAL_BIN, under valgrind memcheck. Any memory error or definite leak
# makes the process exit 99 instead of 0, which the integration launchers treat
# as a failed stop. One log per process in $SBCMON_VALGRIND_LOGS (default: cwd).
set -euo pipefail
: "${SBCMON_REAL_BIN:?SBCMON_REAL_BIN must name the sbcmon binary to run}"
logs="${SBCMON_VALGRIND_LOGS:-.}"
exec valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --track-fds=no --log-file="$logs/valgrind.%p.log" \
  "$SBCMON_REAL_BIN" "$@"
