################################################################################
#
# sbcmon
#
################################################################################

# The BR2_EXTERNAL tree lives in the sbcmon source tree (board/buildroot), so the
# package builds the checkout it sits in.
SBCMON_VERSION = 0.1.0
SBCMON_SITE = $(BR2_EXTERNAL_SBCMON_PATH)/../..
SBCMON_SITE_METHOD = local
# Only the sources: not the build trees, npm's node_modules or a local .config.
SBCMON_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = \
	--exclude /build --exclude node_modules --exclude /.config \
	--exclude /defconfig
SBCMON_LICENSE = MIT
SBCMON_LICENSE_FILES = LICENSE
SBCMON_DEPENDENCIES = host-pkgconf host-python3 host-python-kconfiglib \
	libwebsockets cjson mbedtls zlib
SBCMON_SUPPORTS_IN_SOURCE_BUILD = NO

# The page is built with npm, which needs the network: the release's page bundle
# (`make www-dist` in the sbcmon tree, reproducible) comes as a download checked
# against sbcmon.hash. The local site method skips Buildroot's source step, so the
# rsync step downloads it (into $(SBCMON_DL_DIR), or takes it from there offline).
SBCMON_WWW_SOURCE = sbcmon-www-$(SBCMON_VERSION).tar.gz
SBCMON_EXTRA_DOWNLOADS = \
	https://github.com/sbcmon/sbcmon/releases/download/v$(SBCMON_VERSION)/$(SBCMON_WWW_SOURCE)

SBCMON_BOARD = $(call qstrip,$(BR2_PACKAGE_SBCMON_BOARD))

SBCMON_CONF_OPTS = \
	-DBUILD_TESTING=OFF \
	-DSBCMON_CONFIG=$(@D)/sbcmon.config \
	-DSBCMON_PYTHON=$(HOST_DIR)/bin/python3 \
	-DSBCMON_WWW_DIR=$(@D)/www-dist

# gcc 8 has <filesystem> in a library of its own.
ifeq ($(BR2_TOOLCHAIN_GCC_AT_LEAST_9),)
SBCMON_CONF_OPTS += -DCMAKE_CXX_STANDARD_LIBRARIES=-lstdc++fs
endif

define SBCMON_DOWNLOAD_WWW
	$(call DOWNLOAD,$(SBCMON_EXTRA_DOWNLOADS))
endef
SBCMON_PRE_RSYNC_HOOKS += SBCMON_DOWNLOAD_WWW

define SBCMON_EXTRACT_WWW
	mkdir -p $(@D)/www-dist
	$(call suitable-extractor,$(SBCMON_WWW_SOURCE)) \
		$(SBCMON_DL_DIR)/$(SBCMON_WWW_SOURCE) | \
		$(TAR) -C $(@D)/www-dist $(TAR_OPTIONS) -
endef
SBCMON_POST_RSYNC_HOOKS += SBCMON_EXTRACT_WWW

# sbcmon's build settings come from its own Kconfig: turn the board's defconfig into
# the .config that CMake reads (scripts/kconfig.py, with host-python-kconfiglib).
define SBCMON_KCONFIG
	@test -f $(@D)/board/$(SBCMON_BOARD)/defconfig || { \
		echo "sbcmon: no board '$(SBCMON_BOARD)' (BR2_PACKAGE_SBCMON_BOARD)"; exit 1; }
	cd $(@D) && $(HOST_DIR)/bin/python3 scripts/kconfig.py defconfig \
		board/$(SBCMON_BOARD)/defconfig $(@D)/sbcmon.config
endef
SBCMON_PRE_CONFIGURE_HOOKS += SBCMON_KCONFIG

define SBCMON_INSTALL_CONF
	$(INSTALL) -D -m 0644 $(@D)/board/common/sbcmon.conf $(TARGET_DIR)/etc/sbcmon.conf
endef
SBCMON_POST_INSTALL_TARGET_HOOKS += SBCMON_INSTALL_CONF

# BusyBox/SysV init: starts as root, binds, drops to the sbcmon user (--user).
define SBCMON_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(SBCMON_PKGDIR)/S50sbcmon $(TARGET_DIR)/etc/init.d/S50sbcmon
endef

# systemd: DynamicUser; enabled by Buildroot's preset-all.
define SBCMON_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(@D)/board/common/sbcmon.service \
		$(TARGET_DIR)/usr/lib/systemd/system/sbcmon.service
endef

# makeusers table: the user the SysV script drops to.
define SBCMON_USERS
	sbcmon -1 sbcmon -1 * - - - sbcmon live system monitor
endef

$(eval $(cmake-package))
