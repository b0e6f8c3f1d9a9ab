# CMake toolchain file: 32-bit ARMv7 hard-float (BeagleBone Black, 32-bit Pi OS) with
# Debian's crossbuild-essential-armhf, against -DSBCMON_SYSROOT=<dir> from
# scripts/sysroot.sh armhf. Debian armhf's compiler defaults to ARMv7-A, VFPv3-D16, Thumb-2,
# which the BeagleBone's Cortex-A8 runs.
set(CMAKE_SYSTEM_PROCESSOR arm)
set(SBCMON_CROSS_TRIPLET arm-linux-gnueabihf)
set(SBCMON_DEBIAN_ARCH armhf)
set(SBCMON_QEMU_ARCH arm)
# GCC on ARM notes every std::vector<T>::iterator passed by value with "parameter passing
# ... changed in GCC 7.1" (-Wpsabi). It concerns mixing objects built by GCC < 7 with
# newer ones; everything here is GCC 12, so the notes are noise that buries real warnings.
set(CMAKE_C_FLAGS_INIT "-Wno-psabi")
set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi")
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
