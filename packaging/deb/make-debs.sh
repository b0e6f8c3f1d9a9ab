#!/usr/bin/env bash
# `make deb`: build sbcmon for each board and package it:
#   packaging/deb/make-debs.sh [board...]     (default: host rpi4 beaglebone-black)
# Each board is built with `make BOARD=<board> build` (cross for the ARM ones), then
# packaging/deb/build-deb.sh turns build/<board>/sbcmon into build/deb/sbcmon_*_<arch>.deb.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
boards=("$@")
[[ ${#boards[@]} -gt 0 ]] || boards=(host rpi4 beaglebone-black)

for board in "${boards[@]}"; do
  [[ -f "board/$board/defconfig" ]] || { echo "make-debs.sh: no such board: $board" >&2; exit 2; }
  case "$(scripts/board-arch.sh "board/$board/defconfig")" in
    aarch64) arch=arm64 ;;
    armhf) arch=armhf ;;
    *) arch="$(dpkg --print-architecture)" ;;
  esac
  echo "make-debs.sh: $board ($arch)"
  make --no-print-directory BOARD="$board" build
  packaging/deb/build-deb.sh "$arch" "build/$board/sbcmon" "$ROOT/build/deb"
done
