#!/usr/bin/env bash
# Runs the soak (tests/soak/soak.mjs) against a built sbcmon: SOAK_SESSIONS
# sessions (default 10000) churned while 20 clients watch; bounded by
# SOAK_DEADLINE_S (default 270 s). SBCMON_BIN defaults to build/host/sbcmon.
# Ends with "N passed, M failed"; exits non-zero if anything failed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SBCMON_BIN="${SBCMON_BIN:-$ROOT/build/host/sbcmon}"
export SBCMON_FIXTURES="${SBCMON_FIXTURES:-$ROOT/tests/fixtures}"
cd "$ROOT/tests/soak"
exec timeout 420 node soak.mjs
