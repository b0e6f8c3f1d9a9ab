# CMake toolchain file: 64-bit ARM (Raspberry Pi 3/4/5, Zero 2 W) with Debian's
# crossbuild-essential-arm64, against -DSBCMON_SYSROOT=<dir> from scripts/sysroot.sh arm64.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(SBCMON_CROSS_TRIPLET aarch64-linux-gnu)
set(SBCMON_DEBIAN_ARCH arm64)
set(SBCMON_QEMU_ARCH aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
