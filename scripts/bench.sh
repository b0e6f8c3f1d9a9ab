#!/usr/bin/env bash
# `make bench`: what sbcmon costs the board, beside what people would run instead.
#   1. builds sbcmon twice from board/host/defconfig: as shipped (64 sessions) in
#      build/bench-sbcmon-64, used up to 64 clients, and a bench copy with
#      CONFIG_SBCMON_MAX_SESSIONS=1100 in build/bench-sbcmon for 100 and 1000 clients;
#   2. runs the Google Benchmark micro-benchmarks (sampler_bench, codec_bench);
#   3. measures sbcmon, the tutorial's Flask-SocketIO server and the Node socket.io server
#      side by side on loopback (bench/run.mjs): memory, CPU, latency, rates, handshakes,
#      time to first byte, sizes; writes build/bench/{bench.md,bench.svg,results.json};
#   4. beside them, the floor: a bare libwebsockets server (bench/floor.c, built here against
#      the same lws) and the static firmware (make firmware BOARD=host) under the same
#      websocket clients, with sbcmon/floor ratios, server-side latency (SBCMON_BENCH_LATENCY)
#      and instructions per tick under callgrind; and, up to 100 clients, the floor making
#      the kernel reads sbcmon makes each tick (traced with strace): "floor + reads".
# QUICK=1 shortens every phase (a smoke run, rough figures). Takes about 20 minutes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
BUILD="$ROOT/build/bench-sbcmon"
BUILD64="$ROOT/build/bench-sbcmon-64"
OUT="$ROOT/build/bench"
SESSIONS=1100
quick=()
[[ "${QUICK:-}" == 1 ]] && quick=(--quick)

for cmd in node cmake "$PY" cc pkg-config valgrind callgrind_control strace; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "bench.sh: $cmd not found (make deps)" >&2; exit 1; }
done
"$PY" -c 'import flask_socketio, psutil, eventlet' 2>/dev/null \
  || { echo "bench.sh: $PY lacks flask_socketio/psutil/eventlet (make deps)" >&2; exit 1; }
[[ -d tests/node_modules/socket.io && -d tests/node_modules/ws ]] \
  || { echo "bench.sh: tests/node_modules is missing (make deps)" >&2; exit 1; }

# configure_build DIR EXTRA_LINE ON|OFF: a build dir from board/host/defconfig plus
# EXTRA_LINE (may be ""), with or without the tests (the micro-benchmarks live there).
configure_build() {
  local dir="$1" extra="$2"
  mkdir -p "$dir"
  { cat board/host/defconfig; if [[ -n "$extra" ]]; then echo "$extra"; fi; } >"$dir/defconfig.bench"
  "$PY" scripts/kconfig.py defconfig "$dir/defconfig.bench" "$dir/.config.new"
  # Keep an unchanged .config (and its timestamp) so rebuilds stay incremental.
  if cmp -s "$dir/.config.new" "$dir/.config"; then rm "$dir/.config.new"; else mv "$dir/.config.new" "$dir/.config"; fi
  cmake -S . -B "$dir" -DSBCMON_CONFIG="$dir/.config" -DBUILD_TESTING="$3" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
}
mkdir -p "$OUT"
echo "===== bench builds: host defconfig as shipped, and + CONFIG_SBCMON_MAX_SESSIONS=$SESSIONS ====="
configure_build "$BUILD64" "" OFF
cmake --build "$BUILD64" -j "$JOBS" --target sbcmon
configure_build "$BUILD" "CONFIG_SBCMON_MAX_SESSIONS=$SESSIONS" ON
cmake --build "$BUILD" -j "$JOBS" --target sbcmon sampler_bench codec_bench
config="board/host/defconfig, RelWithDebInfo; as shipped (64 sessions) for every phase of <= 64 clients "
config+="(1 and 20 ws, 20 polling, the rate sweep); with CONFIG_SBCMON_MAX_SESSIONS=$SESSIONS for 100 and 1000 "
config+="clients and the handshake/TTFB probe; "
config+="flags --interval <period>ms --handshakes-per-s 0 --max-sessions 64|$SESSIONS --sessions-per-addr 0 "
config+="--max-connections 72|1108 (the floor's fd table: its clients + 16) --bind 127.0.0.1"

echo "===== the floor: bench/floor.c against the system libwebsockets ($(pkg-config --modversion libwebsockets)) ====="
FLOOR="$OUT/floor"
# shellcheck disable=SC2046 # pkg-config prints several words on purpose
cc -O2 -Wall -Wextra -Werror -o "$FLOOR" bench/floor.c $(pkg-config --cflags --libs libwebsockets)

echo "===== static firmware for this machine (make firmware BOARD=host), and + MAX_SESSIONS=$SESSIONS ====="
static=()
if [[ "$(uname -m)" == x86_64 ]]; then
  scripts/firmware.sh host
  STATIC64="$ROOT/build/firmware/sbcmon-host"
  # The same static build with room for 1000 clients, against the prefix firmware.sh just used.
  SBUILD="$ROOT/build/bench-static"
  mkdir -p "$SBUILD"
  { cat board/host/defconfig; echo "CONFIG_SBCMON_MAX_SESSIONS=$SESSIONS"; } >"$SBUILD/defconfig.bench"
  "$PY" scripts/kconfig.py defconfig "$SBUILD/defconfig.bench" "$SBUILD/.config.new" >/dev/null
  if cmp -s "$SBUILD/.config.new" "$SBUILD/.config"; then rm "$SBUILD/.config.new"; else mv "$SBUILD/.config.new" "$SBUILD/.config"; fi
  prefix="$(cat "$ROOT/build/firmware/host/.deps-prefix")"
  cmake -S . -B "$SBUILD" -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/firmware/toolchain.cmake" \
    -DSBCMON_CROSS_TRIPLET=x86_64-linux-gnu -DSBCMON_FIRMWARE_PREFIX="$prefix" -DSBCMON_CONFIG="$SBUILD/.config" \
    -DSBCMON_STATIC=ON -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON >/dev/null
  cmake --build "$SBUILD" -j "$JOBS" --target sbcmon
  static=(--static "$SBUILD/sbcmon" --static64 "$STATIC64")
else
  echo "bench.sh: not x86-64: no static host firmware to measure" >&2
fi

echo "===== micro-benchmarks (Google Benchmark; medians of 5 repetitions) ====="
micro_time=0.2
[[ ${#quick[@]} -gt 0 ]] && micro_time=0.02
for b in sampler_bench codec_bench; do
  bin="$(find "$BUILD/tests" -name "$b" -type f -perm -u+x | head -n 1)"
  "$bin" --benchmark_min_time="$micro_time" --benchmark_repetitions=5 \
    --benchmark_report_aggregates_only=true --benchmark_out="$OUT/$b.json" --benchmark_out_format=json \
    | grep -E '^(BM_|-|Benchmark)' | grep -v -E '_(mean|stddev|cv) ' || true
done

echo "===== sizes ====="
"$PY" bench/sizes.py "$BUILD64/sbcmon" >"$OUT/sizes.json"
grep '"note"' "$OUT/sizes.json" | sed 's/^ *"note": "\(.*\)"$/  \1/'

echo "===== servers side by side (loopback) ====="
node bench/run.mjs --sbcmon "$BUILD/sbcmon" --sbcmon64 "$BUILD64/sbcmon" --config "$config" --sizes "$OUT/sizes.json" \
  --floor "$FLOOR" "${static[@]}" --out "$OUT" "${quick[@]}"
echo
echo "bench: wrote $OUT/bench.md, $OUT/bench.svg, $OUT/results.json"
