# Shared part of sbcmon's cross toolchain files: Debian's cross compilers
# (crossbuild-essential-<arch>) building against a Debian sysroot made by
# scripts/sysroot.sh. Included by <triplet>.cmake after it sets
# SBCMON_CROSS_TRIPLET and CMAKE_SYSTEM_PROCESSOR.
#
#   cmake -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake \
#         -DSBCMON_SYSROOT=build/sysroot-arm64 ...
#
# Every library sbcmon names (libwebsockets, cJSON, mbedTLS, zlib, and what they pull in)
# is found and linked from the sysroot. GCC's runtime (libstdc++, libgcc) and glibc's
# startup files and headers come from the cross packages (libc6-dev-<arch>-cross,
# libstdc++-12-dev-<arch>-cross): Debian's cross GCC searches its own tooldir before
# the sysroot. Those are the same bookworm glibc 2.36 / GCC 12 ABI as the sysroot's,
# and tests/cross/qemu_test.sh runs the result against the sysroot's own libc.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_LIBRARY_ARCHITECTURE ${SBCMON_CROSS_TRIPLET})

# try_compile() projects re-read this file; hand the sysroot on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SBCMON_SYSROOT)
if(NOT SBCMON_SYSROOT AND DEFINED ENV{SBCMON_SYSROOT})
  set(SBCMON_SYSROOT "$ENV{SBCMON_SYSROOT}")
endif()
if(NOT SBCMON_SYSROOT)
  message(FATAL_ERROR "Cross build for ${SBCMON_CROSS_TRIPLET} needs a sysroot: "
          "-DSBCMON_SYSROOT=<dir> (make one with scripts/sysroot.sh)")
endif()
get_filename_component(SBCMON_SYSROOT "${SBCMON_SYSROOT}" ABSOLUTE)
if(NOT EXISTS "${SBCMON_SYSROOT}/usr/include/${SBCMON_CROSS_TRIPLET}")
  message(FATAL_ERROR "${SBCMON_SYSROOT} is not a ${SBCMON_CROSS_TRIPLET} sysroot "
          "(no usr/include/${SBCMON_CROSS_TRIPLET}); make one with scripts/sysroot.sh")
endif()
set(SBCMON_SYSROOT "${SBCMON_SYSROOT}" CACHE PATH "Target sysroot (scripts/sysroot.sh)" FORCE)

# Compilers: the unversioned names from gcc-<triplet>, else the GCC 12 ones.
foreach(lang C CXX)
  if(lang STREQUAL "C")
    set(_names ${SBCMON_CROSS_TRIPLET}-gcc ${SBCMON_CROSS_TRIPLET}-gcc-12)
  else()
    set(_names ${SBCMON_CROSS_TRIPLET}-g++ ${SBCMON_CROSS_TRIPLET}-g++-12)
  endif()
  find_program(SBCMON_CROSS_${lang} NAMES ${_names})
  if(NOT SBCMON_CROSS_${lang})
    message(FATAL_ERROR "No ${SBCMON_CROSS_TRIPLET} ${lang} compiler found "
            "(apt-get install crossbuild-essential-${SBCMON_DEBIAN_ARCH}, or scripts/deps.sh test)")
  endif()
  set(CMAKE_${lang}_COMPILER "${SBCMON_CROSS_${lang}}")
endforeach()

set(CMAKE_SYSROOT "${SBCMON_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${SBCMON_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # build tools run on the build machine
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Let ld resolve the DT_NEEDED of sysroot libraries (libwebsockets -> libssl, libcap,
# libuv, ...) inside the sysroot, never on the build machine.
set(_rpath_link
    "-Wl,-rpath-link,${SBCMON_SYSROOT}/usr/lib/${SBCMON_CROSS_TRIPLET}"
    "-Wl,-rpath-link,${SBCMON_SYSROOT}/lib/${SBCMON_CROSS_TRIPLET}")
string(JOIN " " _rpath_link ${_rpath_link})
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_rpath_link}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_rpath_link}")

# pkg-config: only the sysroot's .pc files, with paths prefixed by the sysroot.
find_program(PKG_CONFIG_EXECUTABLE NAMES pkg-config pkgconf)
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${SBCMON_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${SBCMON_SYSROOT}/usr/lib/${SBCMON_CROSS_TRIPLET}/pkgconfig:${SBCMON_SYSROOT}/usr/lib/pkgconfig:${SBCMON_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Run target programs (e.g. test discovery) under qemu-user with the sysroot's loader.
find_program(SBCMON_QEMU NAMES qemu-${SBCMON_QEMU_ARCH} qemu-${SBCMON_QEMU_ARCH}-static)
if(SBCMON_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${SBCMON_QEMU};-L;${SBCMON_SYSROOT}")
endif()
