#!/usr/bin/env bash
# The firmware build: one self-contained, static, stripped sbcmon for a board, with
# libwebsockets + mbedTLS + cJSON + zlib built from pinned Debian sources (no OpenSSL).
#   scripts/firmware.sh <board>            e.g. rpi4, beaglebone-black (see board/)
#   scripts/firmware.sh --fetch-only       only download and verify the pinned sources
# Result: build/firmware/sbcmon-<board> (stripped); the unstripped one stays in
# build/firmware/<board>/sbcmon.
#
# Library sets: bookworm (libwebsockets 4.1.6, mbedTLS 2.28.3; the default) or trixie
# (libwebsockets 4.3.5, mbedTLS 3.6.6; cJSON and zlib stay bookworm's). The board's
# Kconfig choice CONFIG_SBCMON_DEPS_* picks it; SBCMON_DEPS=bookworm|trixie (make
# firmware DEPS=...) overrides it. A non-default set's results carry its name:
# build/firmware/sbcmon-<board>-trixie and build/firmware/<board>-trixie/.
#
# Sources: cmake/firmware/sources.sha256 (bookworm) or sources-trixie.sha256 pins every
# tarball; each is checked before use. With SBCMON_FIRMWARE_SOURCES=<dir> (holding those
# tarballs) the build is offline and never downloads, which is how Buildroot and Yocto
# build it; otherwise the tarballs are fetched once into build/firmware/sources with
# `apt-get source --download-only` (trixie's through an apt of its own under
# build/firmware/apt-trixie, so the machine's apt stays as it is).
# Dependencies are built once per architecture and set into
# build/firmware/deps-<arch>-<set>-<key>, where <key> hashes the pins, this recipe and
# the compiler: a second run only rebuilds sbcmon. SBCMON_FIRMWARE_JOBS (default 2, the
# shared CI machine's cores) sets make -j.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3
JOBS="${SBCMON_FIRMWARE_JOBS:-2}"
FW="$ROOT/build/firmware"
TOOLCHAIN="$ROOT/cmake/firmware/toolchain.cmake"

CJSON_ORIG=cjson_1.7.15.orig.tar.gz
CJSON_DEB=cjson_1.7.15-1+deb12u4.debian.tar.xz
ZLIB_ORIG=zlib_1.2.13.dfsg.orig.tar.bz2
ZLIB_DEB=zlib_1.2.13.dfsg-1.debian.tar.xz

die() { echo "firmware.sh: error: $*" >&2; exit 1; }
note() { echo "firmware.sh: $*"; }
usage() { echo "usage: $0 <board> | --fetch-only" >&2; exit 2; }

[[ $# -eq 1 ]] || usage

# select_set <bookworm|trixie>: the pins, the mbedTLS options and the Debian source
# packages of one library set. BOOKWORM_SOURCES come through the machine's own apt,
# TRIXIE_SOURCES through build/firmware/apt-trixie.
select_set() {
  DEPS_SET="$1"
  case "$DEPS_SET" in
    bookworm)
      PINS="$ROOT/cmake/firmware/sources.sha256"
      MBEDTLS_UNSET="$ROOT/cmake/firmware/mbedtls-2.28.unset"
      MBEDTLS_CONFIG_H=include/mbedtls/config.h
      BOOKWORM_SOURCES=(mbedtls=2.28.3-1 libwebsockets=4.1.6-3 cjson=1.7.15-1+deb12u4 zlib=1:1.2.13.dfsg-1)
      TRIXIE_SOURCES=()
      MBEDTLS_ORIG=mbedtls_2.28.3.orig.tar.gz
      MBEDTLS_DEB=mbedtls_2.28.3-1.debian.tar.xz
      LWS_ORIG=libwebsockets_4.1.6.orig.tar.gz
      LWS_DEB=libwebsockets_4.1.6-3.debian.tar.xz
      LWS_PROBE_MBEDTLS=0
      ;;
    trixie)
      PINS="$ROOT/cmake/firmware/sources-trixie.sha256"
      MBEDTLS_UNSET="$ROOT/cmake/firmware/mbedtls-3.6.unset"
      MBEDTLS_CONFIG_H=include/mbedtls/mbedtls_config.h
      BOOKWORM_SOURCES=(cjson=1.7.15-1+deb12u4 zlib=1:1.2.13.dfsg-1)
      TRIXIE_SOURCES=(mbedtls=3.6.6-0.1~deb13u1 libwebsockets=4.3.5-1+deb13u3)
      MBEDTLS_ORIG=mbedtls_3.6.6.orig.tar.bz2
      MBEDTLS_DEB=mbedtls_3.6.6-0.1~deb13u1.debian.tar.xz
      LWS_ORIG=libwebsockets_4.3.5.orig.tar.gz
      LWS_DEB=libwebsockets_4.3.5-1+deb13u3.debian.tar.xz
      LWS_PROBE_MBEDTLS=1
      ;;
    *) die "unknown library set '$DEPS_SET' (SBCMON_DEPS or DEPS=: bookworm or trixie)" ;;
  esac
}

# --- sources -------------------------------------------------------------------
pinned_files() { grep -v '^#' "$PINS" | awk 'NF == 2 { print $2 }'; }

# A deb-src entry mirroring the machine's own deb entry for bookworm (idempotent).
ensure_deb_src() {
  local f=/etc/apt/sources.list.d/sbcmon-deb-src.sources uri
  if apt-cache showsrc libwebsockets 2>/dev/null | grep -q '^Version: 4.1.6-3$'; then
    return 0
  fi
  uri="$(awk 'tolower($1) == "uris:" { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  [[ -n "$uri" ]] || uri="$(sed -n -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+bookworm[[:space:]].*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)"
  [[ -n "$uri" ]] || die "no bookworm mirror in /etc/apt to add a deb-src entry for"
  [[ "$(id -u)" -eq 0 ]] || die "adding a deb-src entry needs root (or set SBCMON_FIRMWARE_SOURCES)"
  note "adding deb-src for $uri bookworm ($f)"
  printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uri" >"$f"
  apt-get -q -o DPkg::Lock::Timeout=300 update >/dev/null \
    || note "warning: apt-get update reported errors; trying apt-get source anyway"
}

# The machine's Debian mirror (the URI of its deb entry for bookworm).
debian_mirror() {
  local uri
  uri="$(awk 'tolower($1) == "uris:" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  [[ -n "$uri" ]] || uri="$(sed -n -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+bookworm[[:space:]].*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)"
  [[ -n "$uri" ]] || uri=http://deb.debian.org/debian
  echo "$uri"
}

# fetch_trixie <dir>: trixie's source packages into <dir> through an apt of our own
# (its own deb-src entries, lists and cache under build/firmware/apt-trixie; the machine's apt
# sources are neither read nor changed). A mirror can hold a security update's files in either
# pocket, so each pocket is asked in turn until every pinned file is there; the
# SHA-256 check after this is what decides.
fetch_trixie() {
  local dir="$1" mirror pocket uri suite apt base="$FW/apt-trixie" f missing
  mirror="$(debian_mirror)"
  for pocket in security main updates; do
    case "$pocket" in
      security) uri="${mirror%/debian}/debian-security" suite=trixie-security ;;
      main) uri="$mirror" suite=trixie ;;
      updates) uri="$mirror" suite=trixie-updates ;;
    esac
    apt="$base/$pocket"
    mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial"
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$uri" "$suite" >"$apt/sources.list.d/trixie.sources"
    local opts=(-o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$apt/sources.list.d"
                -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache"
                -o APT::Sandbox::User=root)
    note "fetching ${TRIXIE_SOURCES[*]} from $uri $suite into ${dir#"$ROOT"/}"
    apt-get -q "${opts[@]}" update >"$apt/update.log" 2>&1 || { tail -n 5 "$apt/update.log"; continue; }
    : >"$apt/source.log"
    for f in "${TRIXIE_SOURCES[@]}"; do  # one at a time: a pocket may lack one of them
      (cd "$dir" && apt-get -q "${opts[@]}" source --download-only "$f" >>"$apt/source.log" 2>&1) || true
    done
    missing=0
    for f in $(pinned_files); do [[ -f "$dir/$f" ]] || missing=1; done
    [[ $missing -eq 0 ]] && return 0
  done
  grep -h '^E:' "$base"/*/source.log | sort -u | head -n 10
  return 1
}

# Prints the directory holding every pinned tarball, checked against the pins.
sources_dir() {
  local dir missing=() f
  if [[ -n "${SBCMON_FIRMWARE_SOURCES:-}" ]]; then
    dir="$(cd "$SBCMON_FIRMWARE_SOURCES" && pwd)" || die "SBCMON_FIRMWARE_SOURCES=$SBCMON_FIRMWARE_SOURCES is not a directory"
  else
    dir="$FW/sources"
  fi
  for f in $(pinned_files); do [[ -f "$dir/$f" ]] || missing+=("$f"); done
  if [[ ${#missing[@]} -gt 0 ]]; then
    [[ -z "${SBCMON_FIRMWARE_SOURCES:-}" ]] \
      || die "offline build: $dir lacks ${missing[*]} (SBCMON_FIRMWARE_SOURCES)"
    ensure_deb_src >&2
    mkdir -p "$dir"
    note "fetching ${BOOKWORM_SOURCES[*]} into ${dir#"$ROOT"/}" >&2
    (cd "$dir" && apt-get source -q --download-only "${BOOKWORM_SOURCES[@]}" >/dev/null 2>&1) \
      || (cd "$dir" && apt-get source -q --download-only "${BOOKWORM_SOURCES[@]}" >&2) \
      || die "apt-get source failed"
    if [[ ${#TRIXIE_SOURCES[@]} -gt 0 ]]; then
      fetch_trixie "$dir" >&2 || die "apt-get source of ${TRIXIE_SOURCES[*]} from trixie failed"
    fi
  fi
  (cd "$dir" && grep -v '^#' "$PINS" | sha256sum --quiet --strict -c - >&2) \
    || die "a source in $dir does not match ${PINS#"$ROOT"/}"
  echo "$dir"
}

# unpack <tarball> <debian tarball> <dest>: upstream source plus Debian's patch series.
unpack() {
  local orig="$1" deb="$2" dest="$3" p
  rm -rf "$dest" && mkdir -p "$dest"
  tar -xf "$orig" -C "$dest" --strip-components=1
  tar -xf "$deb" -C "$dest"
  if [[ -f "$dest/debian/patches/series" ]]; then
    while read -r p _; do
      [[ -z "$p" || "$p" == \#* ]] && continue
      patch -s -p1 -d "$dest" <"$dest/debian/patches/$p" || die "Debian patch $p does not apply in $dest"
    done <"$dest/debian/patches/series"
  fi
}

# --- dependency recipes (their text is part of the cache key) -------------------
# mbedTLS: only what an HTTPS/WSS server with one ECDSA P-256 (or user-given RSA)
# certificate and the self-signed certificate writer need (cmake/firmware/mbedtls-*.unset).
build_mbedtls() {
  local src="$WORK/mbedtls"
  unpack "$SRC/$MBEDTLS_ORIG" "$SRC/$MBEDTLS_DEB" "$src"
  local s
  for s in $(sed 's/#.*//' "$MBEDTLS_UNSET"); do
    grep -q "define $s\b" "$src/$MBEDTLS_CONFIG_H" && "$PY" "$src/scripts/config.py" -f "$src/$MBEDTLS_CONFIG_H" unset "$s"
  done
  cmake -S "$src" -B "$src/_build" "${CMAKE_COMMON[@]}" \
    -DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF -DMBEDTLS_FATAL_WARNINGS=OFF \
    -DUSE_STATIC_MBEDTLS_LIBRARY=ON -DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DINSTALL_MBEDTLS_HEADERS=ON >/dev/null
  cmake --build "$src/_build" -j "$JOBS" >/dev/null
  cmake --install "$src/_build" >/dev/null
}

build_zlib() {
  local src="$WORK/zlib"
  # Debian's zlib patches only concern minizip and the shared library: upstream as is.
  rm -rf "$src" && mkdir -p "$src"
  tar -xf "$SRC/$ZLIB_ORIG" -C "$src" --strip-components=1
  # DYNAMIC_CRC_TABLE: the CRC tables are built in .bss on first use, not 9 KB of the file.
  (cd "$src" && CHOST="$TRIPLET" CC="$TRIPLET-gcc" CFLAGS="-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -DDYNAMIC_CRC_TABLE" \
     ./configure --static --prefix="$PREFIX" >/dev/null \
     && make -j "$JOBS" libz.a >/dev/null && make install >/dev/null)
}

build_cjson() {
  local src="$WORK/cjson"
  unpack "$SRC/$CJSON_ORIG" "$SRC/$CJSON_DEB" "$src"
  cmake -S "$src" -B "$src/_build" "${CMAKE_COMMON[@]}" \
    -DBUILD_SHARED_LIBS=OFF -DBUILD_SHARED_AND_STATIC_LIBS=OFF -DENABLE_CJSON_TEST=OFF \
    -DENABLE_CJSON_UTILS=OFF -DENABLE_CUSTOM_COMPILER_FLAGS=OFF -DENABLE_TARGET_EXPORT=OFF >/dev/null
  cmake --build "$src/_build" -j "$JOBS" >/dev/null
  cmake --install "$src/_build" >/dev/null
}

# libwebsockets: server role, HTTP/1 and ws over mbedTLS; no client, no HTTP/2, no
# event-library backends, no plugins or extensions, no bundled zlib; no Basic auth or
# raw-file role (sbcmon uses neither) and no log timestamps (sbcmon emits lws's lines).
build_lws() {
  local src="$WORK/libwebsockets" probe=()
  unpack "$SRC/$LWS_ORIG" "$SRC/$LWS_DEB" "$src"
  # 4.3 probes mbedTLS's functions (ALPN, SNI, own-cert and file loading) by linking
  # MBEDTLS_LIBRARY & co, not LWS_MBEDTLS_LIBRARIES: unset, every probe fails and lws
  # falls back (no ALPN, a warning on stderr per connection).
  [[ "$LWS_PROBE_MBEDTLS" == 1 ]] && probe=(-DMBEDTLS_LIBRARY="$PREFIX/lib/libmbedtls.a"
    -DMBEDX509_LIBRARY="$PREFIX/lib/libmbedx509.a" -DMBEDCRYPTO_LIBRARY="$PREFIX/lib/libmbedcrypto.a")
  cmake -S "$src" -B "$src/_build" "${CMAKE_COMMON[@]}" "${probe[@]}" \
    -DLWS_WITH_MBEDTLS=ON -DLWS_WITH_SSL=ON \
    -DLWS_MBEDTLS_INCLUDE_DIRS="$PREFIX/include" \
    -DLWS_MBEDTLS_LIBRARIES="$PREFIX/lib/libmbedtls.a;$PREFIX/lib/libmbedx509.a;$PREFIX/lib/libmbedcrypto.a" \
    -DLWS_WITH_SHARED=OFF -DLWS_WITH_STATIC=ON -DLWS_STATIC_PIC=OFF \
    -DLWS_WITHOUT_CLIENT=ON -DLWS_WITH_HTTP2=OFF -DLWS_WITHOUT_EXTENSIONS=ON \
    -DLWS_WITH_LIBUV=OFF -DLWS_WITH_LIBEV=OFF -DLWS_WITH_LIBEVENT=OFF -DLWS_WITH_GLIB=OFF \
    -DLWS_WITH_PLUGINS=OFF -DLWS_WITH_LWSWS=OFF -DLWS_WITH_ZLIB=OFF -DLWS_WITH_BUNDLED_ZLIB=OFF \
    -DLWS_WITH_SOCKS5=OFF -DLWS_WITH_HTTP_PROXY=OFF -DLWS_WITH_CGI=OFF -DLWS_WITH_ACCESS_LOG=OFF \
    -DLWS_WITH_SERVER_STATUS=OFF -DLWS_WITH_SECURE_STREAMS=OFF -DLWS_WITH_SYS_ASYNC_DNS=OFF \
    -DLWS_WITH_SYS_NTPCLIENT=OFF -DLWS_WITH_SYS_DHCP_CLIENT=OFF -DLWS_WITH_DIR=OFF \
    -DLWS_WITH_LEJP=OFF -DLWS_WITH_STRUCT_JSON=OFF -DLWS_WITH_GENCRYPTO=OFF -DLWS_WITH_JOSE=OFF \
    -DLWS_WITH_THREADPOOL=OFF -DLWS_WITH_DETAILED_LATENCY=OFF -DLWS_ROLE_RAW_PROXY=OFF \
    -DLWS_ROLE_DBUS=OFF -DLWS_ROLE_MQTT=OFF -DLWS_WITH_UDP=OFF -DLWS_WITH_LWS_DSH=OFF \
    -DLWS_WITH_FTS=OFF -DLWS_WITH_SPAWN=OFF -DLWS_WITH_FSMOUNT=OFF -DLWS_WITH_PEER_LIMITS=OFF \
    -DLWS_WITH_SYS_SMD=OFF -DLWS_WITH_SYS_STATE=ON -DLWS_WITH_MINIMAL_EXAMPLES=OFF \
    -DLWS_WITH_HTTP_BASIC_AUTH=OFF -DLWS_ROLE_RAW_FILE=OFF -DLWS_LOGS_TIMESTAMP=OFF \
    -DLWS_WITHOUT_TESTAPPS=ON -DLWS_WITHOUT_TEST_SERVER=ON -DLWS_WITHOUT_TEST_SERVER_EXTPOLL=ON \
    -DLWS_WITHOUT_TEST_PING=ON -DLWS_WITHOUT_TEST_CLIENT=ON -DLWS_WITH_EXPORT_LWSTARGETS=OFF \
    -DLWS_IPV6=ON -DLWS_UNIX_SOCK=OFF -DDISABLE_WERROR=ON >"$WORK/lws-cmake.log" 2>&1 \
    || { tail -n 30 "$WORK/lws-cmake.log"; die "libwebsockets: cmake failed"; }
  cmake --build "$src/_build" -j "$JOBS" >"$WORK/lws-build.log" 2>&1 \
    || { grep -E 'error|Error' "$WORK/lws-build.log" | head -n 30; die "libwebsockets: build failed"; }
  cmake --install "$src/_build" >/dev/null
  # sbcmon asks pkg-config for 'libwebsockets'; a static-only install names it _static.
  if [[ ! -f "$PREFIX/lib/pkgconfig/libwebsockets.pc" && -f "$PREFIX/lib/pkgconfig/libwebsockets_static.pc" ]]; then
    sed 's/^Name: .*/Name: libwebsockets/' "$PREFIX/lib/pkgconfig/libwebsockets_static.pc" \
      >"$PREFIX/lib/pkgconfig/libwebsockets.pc"
  fi
}

build_deps() {
  mkdir -p "$PREFIX"
  local t
  for dep in mbedtls zlib cjson lws; do
    t=$SECONDS
    note "$ARCH: building $dep"
    "build_$dep"
    note "$ARCH: $dep done ($((SECONDS - t))s)"
  done
}

# --- main ----------------------------------------------------------------------
if [[ "$1" == --fetch-only ]]; then
  select_set "${SBCMON_DEPS:-bookworm}"
  d="$(sources_dir)"
  note "sources verified in $d"
  exit 0
fi

BOARD="$1"
defconfig="$ROOT/board/$BOARD/defconfig"
[[ -f "$defconfig" ]] || die "no such board: $BOARD (see board/)"
board_arch="$("$ROOT/scripts/board-arch.sh" "$defconfig" || true)"
if [[ "$board_arch" == aarch64 ]]; then
  ARCH=aarch64 TRIPLET=aarch64-linux-gnu
elif [[ "$board_arch" == armhf ]]; then
  ARCH=armhf TRIPLET=arm-linux-gnueabihf
elif [[ "$board_arch" == host && "$(uname -m)" == x86_64 ]]; then
  ARCH=x86_64 TRIPLET=x86_64-linux-gnu  # the host board: the same static build, run natively
else
  die "$BOARD is not a board the firmware builds for (no CONFIG_SBCMON_ARCH_AARCH64/ARMHF, nor host on x86-64)"
fi
command -v "$TRIPLET-gcc" >/dev/null || die "$TRIPLET-gcc not found (apt-get install crossbuild-essential-*)"

# The library set: SBCMON_DEPS, else the board's Kconfig choice (default bookworm).
board_set=bookworm
grep -q '^CONFIG_SBCMON_DEPS_TRIXIE=y' "$defconfig" && board_set=trixie
select_set "${SBCMON_DEPS:-$board_set}"
suffix=""
[[ "$DEPS_SET" == bookworm ]] || suffix="-$DEPS_SET"

start=$SECONDS
SRC="$(sources_dir)"
key="$( { cat "$PINS" "$TOOLCHAIN" "$MBEDTLS_UNSET"; declare -f select_set unpack build_mbedtls build_zlib build_cjson build_lws;
          "$TRIPLET-gcc" --version | head -n 1; } | sha256sum | cut -c1-12)"
PREFIX="$FW/deps-$ARCH-$DEPS_SET-$key"
WORK="$FW/work-$ARCH-$DEPS_SET"
CMAKE_COMMON=(-DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DSBCMON_CROSS_TRIPLET="$TRIPLET"
              -DSBCMON_FIRMWARE_PREFIX="$PREFIX" -DCMAKE_INSTALL_PREFIX="$PREFIX"
              -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_BUILD_TYPE=MinSizeRel
              -DCMAKE_C_FLAGS="-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables")
# The build machine's own libcap headers would make lws want a libcap the prefix lacks.
[[ "$ARCH" == x86_64 ]] && CMAKE_COMMON+=(-DLWS_HAVE_SYS_CAPABILITY_H=OFF -DLWS_HAVE_LIBCAP=OFF)
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1700000000}"

if [[ -f "$PREFIX/.done" ]]; then
  note "$ARCH: dependencies cached in ${PREFIX#"$ROOT"/}"
else
  note "$ARCH: building dependencies into ${PREFIX#"$ROOT"/} ($JOBS jobs)"
  rm -rf "$PREFIX" "$WORK"
  mkdir -p "$WORK"
  build_deps
  touch "$PREFIX/.done"
  rm -rf "$WORK"
  # Older keys of this arch and set are stale caches (deps-<arch>-<key>: before sets).
  for old in "$FW"/deps-"$ARCH"-"$DEPS_SET"-* "$FW"/deps-"$ARCH"-????????????; do
    [[ -e "$old" && "$old" != "$PREFIX" ]] && rm -rf "$old"
  done
fi

# sbcmon itself, linked statically against the prefix.
out="$FW/$BOARD$suffix"
mkdir -p "$out"
# pkg-config and find_library results are cached: a new dependency prefix needs a new cache.
if [[ "$(cat "$out/.deps-prefix" 2>/dev/null)" != "$PREFIX" ]]; then
  rm -rf "$out/CMakeCache.txt" "$out/CMakeFiles"
  echo "$PREFIX" >"$out/.deps-prefix"
fi
# The .config says which set it was built with, also when SBCMON_DEPS chose it.
{ cat "$defconfig"; echo "CONFIG_SBCMON_DEPS_${DEPS_SET^^}=y"; } >"$out/defconfig"
"$PY" scripts/kconfig.py defconfig "$out/defconfig" "$out/.config" >/dev/null
www=()
[[ -n "${SBCMON_WWW_DIR:-}" ]] && www=(-DSBCMON_WWW_DIR="$SBCMON_WWW_DIR")
cmake -S "$ROOT" -B "$out" -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DSBCMON_CROSS_TRIPLET="$TRIPLET" \
  -DSBCMON_FIRMWARE_PREFIX="$PREFIX" -DSBCMON_CONFIG="$out/.config" -DSBCMON_STATIC=ON \
  -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON "${www[@]}" ${SBCMON_FIRMWARE_CMAKE_FLAGS:-} >/dev/null
cmake --build "$out" -j "$JOBS" --target sbcmon
bin="$FW/sbcmon-$BOARD$suffix"
"$TRIPLET-strip" -o "$bin" "$out/sbcmon"
size="$(stat -c %s "$bin")"
"$PY" bench/linkmap.py "$out/sbcmon.map" "$bin"
note "$BOARD ($ARCH, $DEPS_SET libraries): ${bin#"$ROOT"/}, $size bytes stripped ($((size / 1024)) KiB), $((SECONDS - start))s"
