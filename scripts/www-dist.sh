#!/usr/bin/env bash
# Makes build/sbcmon-www-<version>.tar.gz: the built page as flat files, for
# hosts without node (configure with -DSBCMON_WWW_DIR=<the unpacked folder>).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version=$(sed -n 's/^project(sbcmon VERSION \([0-9][0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
[ -n "$version" ] || { echo "www-dist: no version in CMakeLists.txt" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
"$root/scripts/build-www.sh" "$stage"

mkdir -p "$root/build"
tarball="$root/build/sbcmon-www-$version.tar.gz"
# Reproducible: sorted names, fixed owner and time.
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime='@0' \
    -cf - index.html app.js app.css favicon.svg | gzip -9n > "$tarball"
echo "www-dist: $tarball"
