# Thin front end over CMake + Kconfig, with the habits of Buildroot and Linux:
#   make run                 set up, build for this machine, serve on :8080 (ARGS="--port 9000")
#   make check               build + unit + integration tests (a few minutes)
#   make test                set up, build, run every test (cross builds too)
#   make demo BOARD=pi4      serve a moving synthetic Pi 4 (or BOARD=bbb) without the board
#   make rpi4_defconfig      .config from board/rpi4/defconfig
#   make menuconfig          edit .config;  make savedefconfig  writes defconfig
#   make                     build what .config says (cross when it names an ARM arch)
#   make BOARD=rpi4          build board/rpi4/defconfig into build/rpi4, leaving .config alone
#   make bench               benchmarks (prints figures)
#   make firmware BOARD=rpi4 static firmware binary (DEPS=trixie: libwebsockets 4.3 + mbedTLS 3.6)

KCONFIG := /usr/bin/python3 $(CURDIR)/scripts/kconfig.py
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
# Tests, benchmarks and fuzzers are configured only when asked (make check/test do).
BUILD_TESTING ?= OFF

ifdef BOARD
  CONFIG := $(CURDIR)/build/$(BOARD)/.config
  BUILD  := $(CURDIR)/build/$(BOARD)
  BOARD_DEFCONFIG := $(CURDIR)/board/$(BOARD)/defconfig
else
  CONFIG := $(CURDIR)/.config
  BUILD  := $(CURDIR)/build/$(if $(wildcard .config),$(shell sed -n 's/^CONFIG_SBCMON_BOARD="\(.*\)"/\1/p' .config),host)
endif

# The target architecture decides the toolchain file and sysroot.
ARCH = $(shell $(CURDIR)/scripts/board-arch.sh $(CONFIG) 2>/dev/null)
TOOLCHAIN_AARCH64 := $(CURDIR)/toolchains/aarch64-linux-gnu.cmake
TOOLCHAIN_ARMHF   := $(CURDIR)/toolchains/arm-linux-gnueabihf.cmake
SYSROOT_AARCH64   ?= $(CURDIR)/build/sysroot-arm64
SYSROOT_ARMHF     ?= $(CURDIR)/build/sysroot-armhf

.PHONY: all build run check demo test fuzz bench deps deps-run deps-test menuconfig savedefconfig clean distclean www-dist deb help firmware test-firmware

all: build

help:
	@sed -n '2,/^$$/p' Makefile | sed -n 's/^# \{0,1\}//p'

%_defconfig:
	@test -f board/$*/defconfig || { echo "no such board: $* (see board/)"; exit 2; }
	$(KCONFIG) defconfig board/$*/defconfig .config

$(CONFIG):
	@if [ -n "$(BOARD_DEFCONFIG)" ]; then \
	  test -f "$(BOARD_DEFCONFIG)" || { echo "no such board: $(BOARD) (see board/)"; exit 2; }; \
	  $(KCONFIG) defconfig $(BOARD_DEFCONFIG) $(CONFIG); \
	else \
	  $(KCONFIG) defconfig board/host/defconfig $(CONFIG); \
	fi

menuconfig: $(CONFIG)
	cd $(dir $(CONFIG)) && KCONFIG_CONFIG=$(CONFIG) /usr/bin/python3 -m menuconfig $(CURDIR)/Kconfig

savedefconfig: $(CONFIG)
	$(KCONFIG) savedefconfig $(CONFIG) $(CURDIR)/defconfig
	@echo "wrote defconfig (copy it to board/<name>/defconfig to keep it)"

build: $(CONFIG)
	$(KCONFIG) check $(CONFIG)
	@case "$(ARCH)" in \
	  aarch64) scripts/sysroot.sh arm64 $(SYSROOT_AARCH64) && \
	           extra="-DCMAKE_TOOLCHAIN_FILE=$(TOOLCHAIN_AARCH64) -DSBCMON_SYSROOT=$(SYSROOT_AARCH64) -DBUILD_TESTING=OFF";; \
	  armhf)   scripts/sysroot.sh armhf $(SYSROOT_ARMHF) && \
	           extra="-DCMAKE_TOOLCHAIN_FILE=$(TOOLCHAIN_ARMHF) -DSBCMON_SYSROOT=$(SYSROOT_ARMHF) -DBUILD_TESTING=OFF";; \
	  *)       extra="-DBUILD_TESTING=$(BUILD_TESTING)";; \
	esac; \
	cmake -S . -B $(BUILD) -DSBCMON_CONFIG=$(CONFIG) $$extra $(CMAKE_FLAGS) >/dev/null && \
	cmake --build $(BUILD) -j $(JOBS)

deps-run:
	scripts/deps.sh run

deps-test:
	scripts/deps.sh test

deps: deps-test

run: deps-run
	$(MAKE) --no-print-directory BOARD=host build
	@echo "sbcmon: starting (Ctrl-C stops it)"
	build/host/sbcmon $(ARGS)

test: deps-test
	scripts/test.sh

# The quick loop: host build with tests, then unit + integration tests (no browser,
# cross, packaging, sanitizer or fuzz stages).
check: deps-test
	scripts/check.sh

# A moving synthetic board without the board: make demo BOARD=pi4 (or bbb); ARGS as for run.
demo: deps-run
	@case "$(BOARD)" in pi4|rpi4|bbb|beaglebone-black) ;; \
	  *) echo "usage: make demo BOARD=pi4|bbb [ARGS=...]"; exit 2;; esac
	$(MAKE) --no-print-directory BOARD=host build
	node scripts/demo.mjs $(BOARD) build/host/sbcmon $(ARGS)

bench: deps-test
	scripts/bench.sh

# every libFuzzer target for FUZZ_SECONDS each (default 30): make fuzz FUZZ_SECONDS=600
fuzz:
	FUZZ_SECONDS=$(or $(FUZZ_SECONDS),30) scripts/fuzz.sh

www-dist:
	scripts/deps.sh www
	scripts/www-dist.sh

# .debs for host, rpi4 (arm64) and beaglebone-black (armhf) in build/deb/
deb:
	scripts/deps.sh deb
	packaging/deb/make-debs.sh $(DEB_BOARDS)

# One static, stripped sbcmon (libwebsockets + mbedTLS, pinned sources): build/firmware/sbcmon-$(BOARD);
# DEPS=trixie (or the board's CONFIG_SBCMON_DEPS_TRIXIE) links the trixie set: sbcmon-$(BOARD)-trixie
DEPS_ENV = $(if $(DEPS),SBCMON_DEPS=$(DEPS) )
firmware:
	@test -n "$(BOARD)" || { echo "usage: make firmware BOARD=<board> [DEPS=bookworm|trixie] (see board/)"; exit 2; }
	$(DEPS_ENV)scripts/firmware.sh $(BOARD)

# Both firmware binaries under qemu-user over HTTPS/WSS (run by make test, for both sets)
test-firmware:
	$(DEPS_ENV)bash tests/firmware/run.sh

clean:
	rm -rf build

distclean: clean
	rm -rf .config defconfig www/node_modules tests/node_modules
