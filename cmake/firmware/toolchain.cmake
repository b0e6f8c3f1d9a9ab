# CMake toolchain file for the static firmware build (scripts/firmware.sh): Debian's cross
# compilers (crossbuild-essential-<arch>) with glibc and libstdc++ from their own cross
# packages, and every other library (mbedTLS, libwebsockets, cJSON, zlib) from the
# per-arch prefix that scripts/firmware.sh builds from pinned sources. No Debian
# sysroot: nothing from the target's shared libraries can leak into the link.
#
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/firmware/toolchain.cmake \
#         -DSBCMON_CROSS_TRIPLET=aarch64-linux-gnu -DSBCMON_FIRMWARE_PREFIX=<prefix> ...
#
# The same file builds the dependencies themselves (the prefix may still be empty then).

set(CMAKE_SYSTEM_NAME Linux)

# try_compile() projects re-read this file; hand the settings on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SBCMON_CROSS_TRIPLET SBCMON_FIRMWARE_PREFIX)
foreach(_v SBCMON_CROSS_TRIPLET SBCMON_FIRMWARE_PREFIX)
  if(NOT ${_v} AND DEFINED ENV{${_v}})
    set(${_v} "$ENV{${_v}}")
  endif()
  if(NOT ${_v})
    message(FATAL_ERROR "cmake/firmware/toolchain.cmake needs -D${_v}=... (scripts/firmware.sh sets it)")
  endif()
endforeach()

if(SBCMON_CROSS_TRIPLET STREQUAL "x86_64-linux-gnu")
  set(CMAKE_SYSTEM_PROCESSOR x86_64)
elseif(SBCMON_CROSS_TRIPLET STREQUAL "aarch64-linux-gnu")
  set(CMAKE_SYSTEM_PROCESSOR aarch64)
elseif(SBCMON_CROSS_TRIPLET STREQUAL "arm-linux-gnueabihf")
  set(CMAKE_SYSTEM_PROCESSOR arm)
  # GCC 12 on ARM notes every by-value std::vector iterator with "parameter passing
  # changed in GCC 7.1"; everything here is GCC 12, so it is noise (as toolchains/ does).
  set(CMAKE_C_FLAGS_INIT "-Wno-psabi")
  set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi")
else()
  message(FATAL_ERROR "unsupported SBCMON_CROSS_TRIPLET '${SBCMON_CROSS_TRIPLET}'")
endif()

foreach(lang C CXX)
  if(lang STREQUAL "C")
    set(_names ${SBCMON_CROSS_TRIPLET}-gcc ${SBCMON_CROSS_TRIPLET}-gcc-12)
  else()
    set(_names ${SBCMON_CROSS_TRIPLET}-g++ ${SBCMON_CROSS_TRIPLET}-g++-12)
  endif()
  find_program(SBCMON_FW_${lang} NAMES ${_names})
  if(NOT SBCMON_FW_${lang})
    message(FATAL_ERROR "No ${SBCMON_CROSS_TRIPLET} ${lang} compiler (apt-get install crossbuild-essential-*)")
  endif()
  set(CMAKE_${lang}_COMPILER "${SBCMON_FW_${lang}}")
endforeach()

# Libraries and headers only from the prefix; the compiler finds libc/libstdc++ itself.
set(CMAKE_FIND_ROOT_PATH "${SBCMON_FIRMWARE_PREFIX}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)

find_program(PKG_CONFIG_EXECUTABLE NAMES pkg-config pkgconf)
set(ENV{PKG_CONFIG_LIBDIR} "${SBCMON_FIRMWARE_PREFIX}/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# A static binary runs under qemu-user with no -L.
find_program(SBCMON_FW_QEMU NAMES qemu-${CMAKE_SYSTEM_PROCESSOR} qemu-${CMAKE_SYSTEM_PROCESSOR}-static)
if(SBCMON_FW_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${SBCMON_FW_QEMU}")
endif()
