SUMMARY = "Live system monitor with a web page, for single-board computers"
DESCRIPTION = "sbcmon samples /proc and /sys and serves a page plotting per-core CPU, \
memory, temperature and network on port 8080, with Socket.IO and Prometheus /metrics."
HOMEPAGE = "https://github.com/sbcmon/sbcmon"
SECTION = "console/utils"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=afaa96946fd58580b18ad4266c6bebce"

# The sbcmon tree to build: point SBCMON_GIT_URI and SBCMON_SRCREV at your copy and the
# commit you release (local.conf or a bbappend), e.g.
#   SBCMON_GIT_URI = "git:///srv/git/sbcmon.git;protocol=file"
# SRCREV is a fixed commit: parsing never needs the network.
SBCMON_GIT_URI ?= "git://github.com/sbcmon/sbcmon.git;protocol=https"
SBCMON_BRANCH ?= "main"
SBCMON_SRCREV ?= "c2b5793824535b6134b44a732d85b158c112e2e5"
SBCMON_VERSION = "0.1.0"
PV = "${SBCMON_VERSION}+git"

# The page is built with npm, which a BitBake task may not reach: the release's page
# bundle (what `make www-dist` writes: build/sbcmon-www-<version>.tar.gz, reproducible)
# is downloaded in do_fetch and checked by SHA-256. For a tree of your own, set both:
#   SBCMON_WWW_URI = "file:///path/to/sbcmon-www-0.1.0.tar.gz"
#   SBCMON_WWW_SHA256 = "<sha256sum of it>"
SBCMON_WWW_URI ?= "https://github.com/sbcmon/sbcmon/releases/download/v${SBCMON_VERSION}/sbcmon-www-${SBCMON_VERSION}.tar.gz"
SBCMON_WWW_SHA256 ?= "110419a27d20cd86d2c4bdb73d55fbb72145bdee27eb3ebd42dd944144ae1071"

SRC_URI = "${SBCMON_GIT_URI};branch=${SBCMON_BRANCH};name=sbcmon \
           ${SBCMON_WWW_URI};name=www;subdir=www-dist \
           "
SRCREV_sbcmon = "${SBCMON_SRCREV}"
SRCREV_FORMAT = "sbcmon"
SRC_URI[www.sha256sum] = "${SBCMON_WWW_SHA256}"
S = "${WORKDIR}/git"

# Build-time settings: a board folder of the sbcmon tree (rpi3, rpi4, rpi5, rpizero2w,
# beaglebone-black); override per MACHINE.
SBCMON_BOARD ?= "rpi4"
SBCMON_BOARD:beaglebone-yocto ?= "beaglebone-black"

# sbcmon makes its self-signed certificate with the TLS library libwebsockets runs on
# (see recipes-connectivity/libwebsockets): mbedTLS by default, OpenSSL with
# SBCMON_LWS_TLS = "ssl" in local.conf.
SBCMON_LWS_TLS ??= "mbedtls"
SBCMON_TLS_DEP = "${@'openssl' if d.getVar('SBCMON_LWS_TLS') == 'ssl' else 'mbedtls'}"
DEPENDS = "libwebsockets cjson zlib ${SBCMON_TLS_DEP} python3-kconfiglib-native"

inherit cmake pkgconfig python3native systemd useradd

# sbcmon's CMake turns the Kconfig .config into a header with scripts/kconfig.py, which
# imports kconfiglib: meta-python's python3-kconfiglib-native, run by the native python3.
EXTRA_OECMAKE = "-DBUILD_TESTING=OFF \
                 -DSBCMON_CONFIG=${B}/sbcmon.config \
                 -DSBCMON_WWW_DIR=${WORKDIR}/www-dist \
                 -DSBCMON_PYTHON=${PYTHON} \
                 "

do_configure:prepend() {
    ${PYTHON} ${S}/scripts/kconfig.py defconfig ${S}/board/${SBCMON_BOARD}/defconfig ${B}/sbcmon.config
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
