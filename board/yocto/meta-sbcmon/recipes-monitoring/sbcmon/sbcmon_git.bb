SUMMARY = "Live system monitor with a web page, for single-board computers"
DESCRIPTION = "sbcmon samples /proc and /sys and serves a page plotting per-core CPU, \
memory, temperature and network on port 8080, with Socket.IO and Prometheus /metrics."
HOMEPAGE = "https://github.com/sbcmon/sbcmon"
SECTION = "console/utils"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=afaa96946fd58580b18ad4266c6bebce"

# Point SBCMON_GIT_URI and SRCREV at your copy of the sbcmon repository (local.conf or a
# bbappend), e.g. SBCMON_GIT_URI = "git:///srv/git/sbcmon.git;protocol=file".
SBCMON_GIT_URI ?= "git://github.com/sbcmon/sbcmon.git;protocol=https"
SBCMON_BRANCH ?= "main"
SRCREV ?= "${AUTOREV}"
PV = "0.1.0+git${SRCPV}"

# The page is built with npm, which a BitBake task may not reach: ship the bundle that
# `make www-dist` writes (build/sbcmon-www-0.1.0.tar.gz) in files/ beside this recipe.
SRC_URI = "${SBCMON_GIT_URI};branch=${SBCMON_BRANCH} \
           file://sbcmon-www-0.1.0.tar.gz;subdir=www-dist \
           "
S = "${WORKDIR}/git"

# Build-time settings: a board folder of the sbcmon tree (rpi3, rpi4, rpi5, rpizero2w,
# beaglebone-black); override per MACHINE.
SBCMON_BOARD ?= "rpi4"
SBCMON_BOARD:beaglebone-yocto ?= "beaglebone-black"

DEPENDS = "libwebsockets cjson mbedtls zlib"

inherit cmake pkgconfig systemd useradd

EXTRA_OECMAKE = "-DBUILD_TESTING=OFF \
                 -DSBCMON_CONFIG=${B}/sbcmon.config \
                 -DSBCMON_WWW_DIR=${WORKDIR}/www-dist \
                 -DSBCMON_PYTHON=${SBCMON_PYTHON} \
                 "

# sbcmon's CMake turns a Kconfig .config into a header with scripts/kconfig.py, which
# imports kconfiglib: there is no -native recipe for it, so the build host's python3 with
# python3-kconfiglib runs it (the same interpreter for this step and for CMake).
SBCMON_PYTHON ?= "/usr/bin/python3"
do_configure:prepend() {
    ${SBCMON_PYTHON} ${S}/scripts/kconfig.py defconfig ${S}/board/${SBCMON_BOARD}/defconfig ${B}/sbcmon.config
}

do_install:append() {
    install -d ${D}${sysconfdir}
    install -m 0644 ${S}/board/common/sbcmon.conf ${D}${sysconfdir}/sbcmon.conf
    if ${@bb.utils.contains('DISTRO_FEATURES', 'systemd', 'true', 'false', d)}; then
        install -d ${D}${systemd_system_unitdir}
        install -m 0644 ${S}/board/common/sbcmon.service ${D}${systemd_system_unitdir}/sbcmon.service
    fi
    if ${@bb.utils.contains('DISTRO_FEATURES', 'sysvinit', 'true', 'false', d)}; then
        install -d ${D}${sysconfdir}/init.d
        install -m 0755 ${S}/board/common/sbcmon.init ${D}${sysconfdir}/init.d/sbcmon
    fi
}

SYSTEMD_SERVICE:${PN} = "sbcmon.service"
SYSTEMD_AUTO_ENABLE:${PN} = "enable"

inherit update-rc.d
INITSCRIPT_NAME = "sbcmon"
INITSCRIPT_PARAMS = "defaults 90 10"

# The user the SysV script drops to (systemd uses DynamicUser instead).
USERADD_PACKAGES = "${PN}"
USERADD_PARAM:${PN} = "--system --no-create-home --home-dir /nonexistent --shell /bin/false --user-group sbcmon"

CONFFILES:${PN} = "${sysconfdir}/sbcmon.conf"
