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
SBCMON_LICENSE = MIT
SBCMON_LICENSE_FILES = LICENSE
SBCMON_DEPENDENCIES = host-pkgconf libwebsockets cjson mbedtls zlib
SBCMON_SUPPORTS_IN_SOURCE_BUILD = NO

SBCMON_BOARD = $(call qstrip,$(BR2_PACKAGE_SBCMON_BOARD))
SBCMON_WWW_TARBALL = $(call qstrip,$(BR2_PACKAGE_SBCMON_WWW_TARBALL))

SBCMON_CONF_OPTS = \
	-DBUILD_TESTING=OFF \
	-DSBCMON_CONFIG=$(@D)/sbcmon.config

# sbcmon's build settings come from its own Kconfig: turn the board's defconfig into
# the .config that CMake reads (scripts/kconfig.py, which imports kconfiglib).
define SBCMON_KCONFIG
	@/usr/bin/python3 -c 'import kconfiglib' 2>/dev/null || { \
		echo "sbcmon: the build host needs python3-kconfiglib"; exit 1; }
	@test -f $(@D)/board/$(SBCMON_BOARD)/defconfig || { \
		echo "sbcmon: no board '$(SBCMON_BOARD)' (BR2_PACKAGE_SBCMON_BOARD)"; exit 1; }
	cd $(@D) && /usr/bin/python3 scripts/kconfig.py defconfig \
		board/$(SBCMON_BOARD)/defconfig $(@D)/sbcmon.config
endef
SBCMON_PRE_CONFIGURE_HOOKS += SBCMON_KCONFIG

ifneq ($(SBCMON_WWW_TARBALL),)
define SBCMON_UNPACK_WWW
	mkdir -p $(@D)/www-dist
	tar -xzf $(SBCMON_WWW_TARBALL) -C $(@D)/www-dist
endef
SBCMON_PRE_CONFIGURE_HOOKS += SBCMON_UNPACK_WWW
SBCMON_CONF_OPTS += -DSBCMON_WWW_DIR=$(@D)/www-dist
endif

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
