#!/usr/bin/env bash
# Make a Debian bookworm sysroot for cross-building sbcmon:
#   scripts/sysroot.sh <arm64|armhf> <dir>
# Only the target's -dev packages (and what they depend on) are unpacked; nothing runs
# inside the sysroot, so no qemu/binfmt is needed. The mirror is the one this machine's
# apt already uses. Idempotent: a stamp file records the package list, and a sysroot with
# the same list is left alone. Built in a temp dir beside <dir>, then renamed into place.
set -euo pipefail

usage() { echo "usage: $0 <arm64|armhf> <dir>" >&2; exit 2; }
die() { echo "sysroot.sh: error: $*" >&2; exit 1; }

[[ $# -eq 2 ]] || usage
arch="$1"
dir="$2"
case "$arch" in
  arm64) triplet=aarch64-linux-gnu ;;
  armhf) triplet=arm-linux-gnueabihf ;;
  *) usage ;;
esac

suite=bookworm
# What sbcmon links against on the target, plus what their .pc files Require.
# Debian's libwebsockets runs on OpenSSL, so the self-signed certificate is made with
# its libcrypto (libssl-dev), not mbedTLS.
packages=(libc6-dev libstdc++-12-dev libwebsockets-dev libcjson-dev libssl-dev
          zlib1g-dev libcap-dev)
# Bump when the way the sysroot is made changes, so old ones are rebuilt.
recipe=2
stamp_text="sbcmon sysroot v${recipe} ${suite} ${arch} ${packages[*]}"
stamp_name=".sbcmon-sysroot-stamp"

if [[ -f "$dir/$stamp_name" ]] && [[ "$(cat "$dir/$stamp_name")" == "$stamp_text" ]]; then
  echo "sysroot.sh: $dir is up to date ($arch)"
  exit 0
fi

command -v mmdebstrap >/dev/null 2>&1 \
  || die "mmdebstrap is not installed (run: scripts/deps.sh test)"

# The mirrors apt uses here, as one-line 'deb' entries: deb822 .sources first, then
# sources.list. Only the plain bookworm suite is kept: -updates/-security mirrors are
# often caught mid-sync ("File has unexpected size"), and a build sysroot needs only
# the headers and link-time ABI, which a bookworm point release does not change.
mirror_lines() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    awk -v suite="$suite" '
      function flush() {
        if (uris != "" && types ~ /(^| )deb( |$)/) {
          n = split(uris, u, " "); m = split(suites, s, " ")
          for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
            if (s[j] == suite)
              print "deb " u[i] " " s[j] " " (comps == "" ? "main" : comps)
        }
        types = uris = suites = comps = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "") }
      key == "types" { types = $0 } key == "uris" { uris = $0 }
      key == "suites" { suites = $0 } key == "components" { comps = $0 }
      END { flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    # 'deb [opts] URI SUITE COMPONENTS...' -> without the options.
    sed -n -E 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//p' "$f" \
      | awk -v suite="$suite" '$2 == suite {
          line = "deb " $1 " " $2; for (i = 3; i <= NF; i++) line = line " " $i; print line }'
  done
}

mapfile -t mirrors < <(mirror_lines | awk '!seen[$0]++')
[[ ${#mirrors[@]} -gt 0 ]] \
  || die "no '$suite' mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"

parent="$(dirname "$dir")"
mkdir -p "$parent"
tmp="$(mktemp -d "$parent/.sysroot-$arch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

include="$(IFS=,; echo "${packages[*]}")"
echo "sysroot.sh: building $arch sysroot in $dir from ${mirrors[0]#deb } ..."
log="$tmp.log"
trap 'rm -rf "$tmp" "$log"' EXIT
ok=0
for attempt in 1 2 3; do
  if mmdebstrap --mode=auto --variant=extract --arch="$arch" --include="$include" \
       "$suite" "$tmp" "${mirrors[@]}" >"$log" 2>&1; then
    ok=1
    break
  fi
  echo "sysroot.sh: mmdebstrap attempt $attempt for $arch failed; last lines:" >&2
  grep -v '^I: ' "$log" | tail -n 8 >&2 || true
  rm -rf "$tmp" && mkdir -p "$tmp"
  sleep $((attempt * 5))
done
[[ $ok -eq 1 ]] || die "mmdebstrap failed 3 times for $arch (mirror: ${mirrors[0]})"
rm -f "$log"

# qemu-user runs the cross-built binary with this tree as its root (-L), so the
# dynamic loader must be where the binary's PT_INTERP says.
case "$arch" in
  arm64) loader=lib/ld-linux-aarch64.so.1 ;;
  armhf) loader=lib/ld-linux-armhf.so.3 ;;
esac
[[ -e "$tmp/$loader" || -L "$tmp/$loader" ]] || die "the $arch sysroot has no /$loader"

# Absolute symlinks (libfoo.so -> /lib/<triplet>/libfoo.so.1) point at the build
# machine's own libraries once the tree is a sysroot; make every one relative so the
# linker and pkg-config only ever see the target's files.
while IFS= read -r -d '' link; do
  target="$(readlink "$link")"
  [[ "$target" == /* ]] || continue
  rel="$(realpath -s -m --relative-to="$(dirname "$link")" "$tmp$target")"
  ln -sfn "$rel" "$link"
done < <(find "$tmp" -type l -print0)

[[ -f "$tmp/usr/lib/$triplet/pkgconfig/libwebsockets.pc" ]] \
  || die "the $arch sysroot has no libwebsockets.pc (package list incomplete?)"

echo "$stamp_text" >"$tmp/$stamp_name"
chmod 755 "$tmp"
if [[ -e "$dir" ]]; then
  old="$(mktemp -d "$parent/.sysroot-old.XXXXXX")"
  mv "$dir" "$old/"
  mv "$tmp" "$dir"
  rm -rf "$old"
else
  mv "$tmp" "$dir"
fi
trap - EXIT
echo "sysroot.sh: $dir ready ($arch: ${packages[*]})"
