#!/usr/bin/env bash
# Builds the page into <outdir> as flat, minified files (index.html, app.js,
# app.css, favicon.svg) for CMake to gzip and embed; prints the gzipped size.
# Runs `npm ci` in www/ only when www/node_modules is missing.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 <outdir>" >&2
  exit 2
fi
out=$1
www="$(cd "$(dirname "${BASH_SOURCE[0]}")/../www" && pwd)"

command -v node >/dev/null || { echo "build-www: node is needed (or configure with -DSBCMON_WWW_DIR=<pre-built page>)" >&2; exit 1; }
if [ ! -d "$www/node_modules" ]; then
  (cd "$www" && npm ci --no-audit --no-fund --loglevel=error)
fi
mkdir -p "$out"
node "$www/build.mjs" "$out"
