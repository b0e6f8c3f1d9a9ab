#!/usr/bin/env bash
# The target architecture a board configuration names, in one place for every script:
#   scripts/board-arch.sh <.config or defconfig>   prints aarch64, armhf or host
# Exits 1 (with a message) when the file names none of them.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 <.config or defconfig>" >&2; exit 2; }
arch="$(sed -n 's/^CONFIG_SBCMON_ARCH_\([A-Z0-9]*\)=y$/\1/p' "$1" | head -n 1)"
case "$arch" in
  AARCH64) echo aarch64 ;;
  ARMHF) echo armhf ;;
  HOST) echo host ;;
  *) echo "board-arch.sh: $1 names no CONFIG_SBCMON_ARCH_{HOST,AARCH64,ARMHF}" >&2; exit 1 ;;
esac
