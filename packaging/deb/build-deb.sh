#!/usr/bin/env bash
# Build sbcmon's .deb from an already-built binary, for any Debian architecture, with
# dpkg-deb alone (no debhelper, no dpkg cross setup, so cross .debs need nothing more
# than the cross binutils that made the binary):
#   packaging/deb/build-deb.sh <amd64|arm64|armhf> <binary> [outdir]
# Writes <outdir>/sbcmon_<version>-<rev>_<arch>.deb (outdir default: build/deb) and prints
# its path last. The package holds /usr/bin/sbcmon (stripped), the systemd unit (enabled
# and started by postinst), the conffile /etc/sbcmon.conf and the privileged-port drop-in
# as an example. Depends comes from the binary's DT_NEEDED and GLIBC symbol versions.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/packaging/deb"
COMMON="$ROOT/board/common"
REVISION="${SBCMON_DEB_REVISION:-1}"

die() { echo "build-deb.sh: error: $*" >&2; exit 1; }
[[ $# -ge 2 && $# -le 3 ]] || { echo "usage: $0 <amd64|arm64|armhf> <binary> [outdir]" >&2; exit 2; }
arch="$1"
binary="$2"
outdir="${3:-$ROOT/build/deb}"

case "$arch" in
  amd64) strip_tool=strip; machine='Advanced Micro Devices X86-64' ;;
  arm64) strip_tool=aarch64-linux-gnu-strip; machine='AArch64' ;;
  armhf) strip_tool=arm-linux-gnueabihf-strip; machine='ARM' ;;
  *) die "unknown architecture '$arch' (amd64, arm64 or armhf)" ;;
esac
[[ -f "$binary" ]] || die "no binary at $binary (build it first: make, or make BOARD=<board>)"
command -v "$strip_tool" >/dev/null 2>&1 || die "$strip_tool not found (binutils for $arch)"
for tool in dpkg-deb readelf gzip md5sum; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done
# A binary for the wrong board in a .deb installs fine and fails at boot: refuse it here.
readelf -h "$binary" | grep -Eq "^ *Machine: +$machine\$" \
  || die "$binary is not an $arch binary (readelf -h: $(readelf -h "$binary" | sed -n 's/^ *Machine: *//p'))"

version="$(sed -n 's/^project(sbcmon VERSION \([0-9][0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")"
[[ -n "$version" ]] || die "no version in CMakeLists.txt"
debversion="$version-$REVISION"
# Reproducible: every date and mtime is the last commit's, unless the caller sets one.
if [[ -z "${SOURCE_DATE_EPOCH:-}" ]]; then
  SOURCE_DATE_EPOCH="$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)"
fi
export SOURCE_DATE_EPOCH

# --- Depends from what the binary links ------------------------------------------
# Sonames -> bookworm (and Raspberry Pi OS bookworm) binary packages. An unknown soname
# is an error: a guessed dependency is worse than none.
declare -A soname_pkg=(
  [libc.so.6]=libc6 [libm.so.6]=libc6 [libpthread.so.0]=libc6 [libdl.so.2]=libc6
  [librt.so.1]=libc6 [ld-linux-x86-64.so.2]=libc6 [ld-linux-aarch64.so.1]=libc6
  [ld-linux-armhf.so.3]=libc6
  [libstdc++.so.6]=libstdc++6 [libgcc_s.so.1]=libgcc-s1
  [libwebsockets.so.17]=libwebsockets17 [libcjson.so.1]=libcjson1
  [libcrypto.so.3]=libssl3 [libssl.so.3]=libssl3
  [libmbedcrypto.so.7]=libmbedcrypto7 [libmbedtls.so.14]=libmbedtls14
  [libmbedx509.so.1]=libmbedx509-1 [libz.so.1]=zlib1g [libcap.so.2]=libcap2
)
depends=()
while read -r soname; do
  pkg="${soname_pkg[$soname]:-}"
  [[ -n "$pkg" ]] || die "$binary needs $soname, which packaging/deb/build-deb.sh cannot map to a Debian package (add it to soname_pkg)"
  [[ " ${depends[*]} " == *" $pkg "* ]] || depends+=("$pkg")
done < <(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
glibc_min="$(readelf -V "$binary" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)"
depends_field=""
for pkg in "${depends[@]}"; do
  entry="$pkg"
  [[ "$pkg" == libc6 && -n "$glibc_min" ]] && entry="libc6 (>= $glibc_min)"
  depends_field="${depends_field:+$depends_field, }$entry"
done
[[ " ${depends[*]} " == *" libc6 "* ]] || die "$binary does not link libc.so.6 (static or not glibc?)"

# --- the tree --------------------------------------------------------------------
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/sbcmon"
doc="$pkg/usr/share/doc/sbcmon"
install -d -m 0755 "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$pkg/etc" \
  "$doc/examples"
"$strip_tool" --remove-section=.comment --remove-section=.note -o "$pkg/usr/bin/sbcmon" "$binary"
chmod 0755 "$pkg/usr/bin/sbcmon"
install -m 0644 "$COMMON/sbcmon.service" "$pkg/lib/systemd/system/sbcmon.service"
install -m 0644 "$COMMON/sbcmon.conf" "$pkg/etc/sbcmon.conf"
install -m 0644 "$COMMON/privileged-port.conf" "$doc/examples/privileged-port.conf"
install -D -m 0644 "$HERE/sbcmon.avahi-service" "$pkg/etc/avahi/services/sbcmon.service"
# DEP-5 copyright: the header here, then the license text from LICENSE itself.
{ cat "$HERE/copyright.head"
  sed -n '/^Permission/,$p' "$ROOT/LICENSE" | sed -e 's/^$/./' -e 's/^/ /'
} >"$doc/copyright"
chmod 0644 "$doc/copyright"
date_rfc="$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
sed -e "s/@VERSION@/$debversion/" -e "s/@DATE@/$date_rfc/" "$HERE/changelog.in" \
  | gzip -9n >"$doc/changelog.Debian.gz"
chmod 0644 "$doc/changelog.Debian.gz"

for script in postinst prerm postrm; do
  install -m 0755 "$HERE/$script" "$pkg/DEBIAN/$script"
done
printf '%s\n' /etc/avahi/services/sbcmon.service /etc/sbcmon.conf >"$pkg/DEBIAN/conffiles"
installed_size="$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)"
sed -e "s/@VERSION@/$debversion/" -e "s/@ARCH@/$arch/" \
    -e "s/@DEPENDS@/$depends_field/" -e "s/@SIZE@/$installed_size/" \
    "$HERE/control.in" >"$pkg/DEBIAN/control"
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z \
   | xargs -0 md5sum) >"$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/conffiles" "$pkg/DEBIAN/md5sums"
find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$outdir"
deb="$outdir/sbcmon_${debversion}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "build-deb.sh: Depends: $depends_field"
echo "$deb"
