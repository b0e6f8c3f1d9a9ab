#!/usr/bin/python3
"""Checks board/buildroot against what Buildroot requires of a BR2_EXTERNAL tree and a
cmake-package. Prints "ok ..." / "FAIL ..." lines; exit status = number of failures.
   tests/packaging/check_buildroot.py <sbcmon root>"""
import hashlib
import os
import re
import subprocess
import sys
import tempfile

import kconfiglib

root = sys.argv[1]
ext = os.path.join(root, "board", "buildroot")
failures = 0


def check(cond, what):
    global failures
    print(("  ok   " if cond else "  FAIL ") + "buildroot: " + what)
    failures += 0 if cond else 1


# external.desc: "name:" is [A-Za-z0-9_]+ (it becomes BR2_EXTERNAL_<name>_PATH), "desc:" free text.
desc = open(os.path.join(ext, "external.desc")).read()
m = re.search(r"^name: ([A-Za-z0-9_]+)$", desc, re.M)
check(m is not None and re.search(r"^desc: \S", desc, re.M) is not None,
      "external.desc has 'name: <[A-Za-z0-9_]+>' and 'desc: ...'")
name = m.group(1) if m else "SBCMON"
var = "BR2_EXTERNAL_%s_PATH" % name
for f in ("Config.in", "external.mk"):
    check(var in open(os.path.join(ext, f)).read(), "%s refers to $%s" % (f, var))

# Config.in through kconfiglib, with the Buildroot symbols it uses declared in a stub.
stub_syms = ["BR2_INSTALL_LIBSTDCPP", "BR2_TOOLCHAIN_GCC_AT_LEAST_7", "BR2_TOOLCHAIN_GCC_AT_LEAST_8", "BR2_STATIC_LIBS",
             "BR2_PACKAGE_LIBWEBSOCKETS", "BR2_PACKAGE_CJSON", "BR2_PACKAGE_MBEDTLS",
             "BR2_PACKAGE_ZLIB", "BR2_PACKAGE_OPENSSL"]
with tempfile.TemporaryDirectory() as tmp:
    top = os.path.join(tmp, "Config.in")
    with open(top, "w") as f:
        for s in stub_syms:
            f.write("config %s\n\tbool \"%s\"\n\n" % (s, s))
        f.write('menu "External options"\nsource "$%s/Config.in"\nendmenu\n' % var)
    os.environ[var] = ext
    try:
        kconf = kconfiglib.Kconfig(top, warn_to_stderr=False)
        check(not kconf.warnings, "Config.in parses with kconfiglib, no warnings %s" % kconf.warnings)
        pkg = kconf.syms.get("BR2_PACKAGE_SBCMON")
        # <filesystem> needs gcc 8: with C++ and gcc 7 only, sbcmon must stay unselectable.
        for s in ("BR2_INSTALL_LIBSTDCPP", "BR2_TOOLCHAIN_GCC_AT_LEAST_7"):
            kconf.syms[s].set_value(2)
        check(pkg is not None and not (pkg.set_value(2) and pkg.tri_value == 2),
              "BR2_PACKAGE_SBCMON cannot be set with gcc 7")
        kconf.syms["BR2_TOOLCHAIN_GCC_AT_LEAST_8"].set_value(2)
        check(pkg is not None and pkg.set_value(2) and pkg.tri_value == 2,
              "BR2_PACKAGE_SBCMON can be set with C++ and gcc >= 8")
        selected = {s for s in stub_syms if kconf.syms[s].tri_value == 2}
        need = {"BR2_PACKAGE_LIBWEBSOCKETS", "BR2_PACKAGE_CJSON", "BR2_PACKAGE_MBEDTLS", "BR2_PACKAGE_ZLIB"}
        check(need <= selected and "BR2_PACKAGE_OPENSSL" not in selected,
              "sbcmon selects libwebsockets, cjson, mbedtls, zlib and not openssl")
        check(kconf.syms["BR2_PACKAGE_SBCMON_BOARD"].str_value == "rpi4", "BR2_PACKAGE_SBCMON_BOARD defaults to rpi4")
    except kconfiglib.KconfigError as e:
        check(False, "Config.in parses with kconfiglib: %s" % e)

    # sbcmon.mk through GNU make, with cmake-package and qstrip stubbed, as Buildroot includes it.
    mk = os.path.join(tmp, "probe.mk")
    with open(mk, "w") as f:
        f.write("%s := %s\nBR2_PACKAGE_SBCMON_BOARD := \"rpi4\"\n" % (var, ext))
        f.write("qstrip = $(strip $(subst \",,$(1)))\ncmake-package = $(eval SBCMON_EVALED := yes)\n")
        f.write("host-python-package = $(eval KCONFIGLIB_EVALED := yes)\nHOST_DIR := /host\n")
        f.write("include %s/external.mk\n" % ext)
        f.write("print-%:\n\t@echo '$($*)'\n")
    def mkvar(v):
        r = subprocess.run(["make", "-s", "-f", mk, "print-" + v], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else None
    check(mkvar("SBCMON_EVALED") == "yes", "external.mk includes sbcmon.mk and it ends in $(eval $(cmake-package))")
    for v in ("SBCMON_VERSION", "SBCMON_SITE", "SBCMON_LICENSE", "SBCMON_LICENSE_FILES"):
        check(bool(mkvar(v)), "%s is set (%s)" % (v, mkvar(v)))
    site = mkvar("SBCMON_SITE") or ""
    check(os.path.isfile(os.path.join(site, "CMakeLists.txt")) and mkvar("SBCMON_SITE_METHOD") == "local",
          "SBCMON_SITE (local) is the sbcmon tree")
    lic = os.path.join(site, mkvar("SBCMON_LICENSE_FILES") or "-")
    check(os.path.isfile(lic), "SBCMON_LICENSE_FILES exists in the tree")
    deps = (mkvar("SBCMON_DEPENDENCIES") or "").split()
    check({"libwebsockets", "cjson", "mbedtls", "zlib", "host-python3", "host-python-kconfiglib"} <= set(deps)
          and "openssl" not in deps, "SBCMON_DEPENDENCIES: %s" % " ".join(deps))
    opts = mkvar("SBCMON_CONF_OPTS") or ""
    check("-DBUILD_TESTING=OFF" in opts and "-DSBCMON_CONFIG=" in opts, "SBCMON_CONF_OPTS sets BUILD_TESTING=OFF and SBCMON_CONFIG")
    # No build-host python or npm: Buildroot's host python3 with host-python-kconfiglib,
    # and the page as a download checked against sbcmon.hash.
    mkfile = open(os.path.join(ext, "package", "sbcmon", "sbcmon.mk")).read()
    check("/usr/bin/python3" not in mkfile and "-DSBCMON_PYTHON=/host/bin/python3" in opts
          and "$(HOST_DIR)/bin/python3 scripts/kconfig.py" in mkfile,
          "kconfig.py runs under $(HOST_DIR)/bin/python3, never the build host's")
    extra = (mkvar("SBCMON_EXTRA_DOWNLOADS") or "").split()
    hashes = {}
    for line in open(os.path.join(ext, "package", "sbcmon", "sbcmon.hash")):
        f = line.split()
        if len(f) == 3 and not line.startswith("#"):
            hashes.setdefault(f[2], {})[f[0]] = f[1]
    www = os.path.basename(extra[0]) if len(extra) == 1 else ""
    check(re.fullmatch(r"sbcmon-www-[0-9.]+\.tar\.gz", www) is not None and "://" in extra[0]
          and re.fullmatch(r"[0-9a-f]{64}", hashes.get(www, {}).get("sha256", "")) is not None
          and "-DSBCMON_WWW_DIR=" in opts,
          "the page is SBCMON_EXTRA_DOWNLOADS %s with a sha256 in sbcmon.hash" % www)
    lic_sha = hashlib.sha256(open(os.path.join(root, "LICENSE"), "rb").read()).hexdigest()
    check(hashes.get("LICENSE", {}).get("sha256") == lic_sha, "sbcmon.hash has LICENSE's sha256")
    excl = mkvar("SBCMON_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS") or ""
    check(all("--exclude " + x in excl for x in ("/build", "node_modules", "/.config")),
          "the local site rsync leaves out build/, node_modules and .config: %s" % excl)
    for v in ("PYTHON_KCONFIGLIB_VERSION", "PYTHON_KCONFIGLIB_SITE", "PYTHON_KCONFIGLIB_SOURCE"):
        check(bool(mkvar(v)), "host-python-kconfiglib: %s = %s" % (v, mkvar(v)))
    kh = open(os.path.join(ext, "package", "python-kconfiglib", "python-kconfiglib.hash")).read()
    check(re.search(r"^sha256  [0-9a-f]{64}  %s$" % re.escape(mkvar("PYTHON_KCONFIGLIB_SOURCE") or "-"), kh, re.M)
          is not None, "python-kconfiglib.hash has the sdist's sha256")
    for v in ("SBCMON_INSTALL_INIT_SYSV", "SBCMON_INSTALL_INIT_SYSTEMD", "SBCMON_USERS"):
        check(bool(mkvar(v)), "%s is defined" % v)
    users = (mkvar("SBCMON_USERS") or "").split()
    check(len(users) >= 9 and users[0] == "sbcmon" and users[1] == "-1", "SBCMON_USERS is a makeusers line for user sbcmon")

# The init script is the shared one, and the configs keep OpenSSL out.
s50 = os.path.join(ext, "package", "sbcmon", "S50sbcmon")
check(os.path.isfile(s50) and open(s50).read() == open(os.path.join(root, "board/common/sbcmon.init")).read(),
      "package/sbcmon/S50sbcmon is board/common/sbcmon.init")
for cfg, arch in (("sbcmon_rpi4_defconfig", "BR2_aarch64=y"), ("sbcmon_beaglebone_black_defconfig", "BR2_arm=y")):
    text = open(os.path.join(ext, "configs", cfg)).read()
    lines = set(text.splitlines())
    # A toolchain with C++ and gcc >= 8: Buildroot's own with C++, or a Bootlin glibc one.
    cxx = "BR2_TOOLCHAIN_BUILDROOT_CXX=y" in lines or any(
        re.fullmatch(r"BR2_TOOLCHAIN_EXTERNAL_BOOTLIN_\w+_GLIBC_STABLE=y", l) for l in lines)
    check({arch, "BR2_PACKAGE_SBCMON=y", "# BR2_PACKAGE_OPENSSL is not set", "BR2_DOWNLOAD_FORCE_CHECK_HASHES=y"} <= lines
          and cxx and "BR2_PACKAGE_OPENSSL=y" not in lines and "BR2_PACKAGE_SBCMON_BOARD=" in text,
          "configs/%s: %s, C++ toolchain, sbcmon, OpenSSL off, hashes forced" % (cfg, arch))
    # Board files at their current Buildroot places (board/beagleboard/beaglebone since
    # 2024); the Pi's firmware config file named, no obsolete post-image arguments.
    paths = re.findall(r'"(board/[^"]+)"', text) + re.findall(r"-c (board/[^\s\"]+)", text)
    stale = [p for p in paths if p.startswith("board/beaglebone/")]
    check(paths and not stale, "configs/%s: board paths %s" % (cfg, " ".join(sorted(set(paths)))))
    if "rpi4" in cfg:
        check('BR2_PACKAGE_RPI_FIRMWARE_CONFIG_FILE="board/raspberrypi4-64/config_4_64bit.txt"' in lines
              and "BR2_ROOTFS_POST_SCRIPT_ARGS" not in text,
              "configs/%s: RPI_FIRMWARE_CONFIG_FILE set, no post-image arguments" % cfg)
    board = re.search(r'^BR2_PACKAGE_SBCMON_BOARD="([^"]+)"', text, re.M)
    check(board is not None and os.path.isfile(os.path.join(root, "board", board.group(1), "defconfig")),
          "configs/%s names an sbcmon board that exists" % cfg)
sys.exit(failures)
