#!/usr/bin/python3
"""Checks board/yocto/meta-sbcmon for what BitBake needs of a layer and of the sbcmon
recipe, and the license checksum against the real LICENSE. Prints "ok ..." / "FAIL ..."
lines; exit status = number of failures.   tests/packaging/check_yocto.py <sbcmon root>"""
import glob
import hashlib
import os
import re
import sys

root = sys.argv[1]
layer = os.path.join(root, "board", "yocto", "meta-sbcmon")
failures = 0


def check(cond, what):
    global failures
    print(("  ok   " if cond else "  FAIL ") + "yocto: " + what)
    failures += 0 if cond else 1


def assignments(path):
    """VAR[:override] (=|?=|+=|.=) "value" with backslash continuations joined."""
    text = re.sub(r"\\\n", " ", open(path).read())
    out = {}
    for m in re.finditer(r'^([A-Za-z0-9_${}:\-\[\]\.]+)\s*(\?\?=|\?=|\+=|\.=|=)\s*"(.*)"\s*$', text, re.M):
        out.setdefault(m.group(1), []).append(m.group(3))
    return out, text


conf, _ = assignments(os.path.join(layer, "conf", "layer.conf"))
coll = (conf.get("BBFILE_COLLECTIONS") or [""])[0].strip()
layerdeps = set((conf.get("LAYERDEPENDS_" + coll) or [""])[0].split())
check({"core", "openembedded-layer", "networking-layer", "meta-python"} <= layerdeps,
      "LAYERDEPENDS: %s (mbedtls is in meta-networking, kconfiglib in meta-python)" % " ".join(sorted(layerdeps)))
check(bool(coll), "layer.conf: BBFILE_COLLECTIONS = %s" % coll)
for v in ("BBFILES", "BBFILE_PATTERN_" + coll, "BBFILE_PRIORITY_" + coll, "LAYERSERIES_COMPAT_" + coll):
    check(v in conf, "layer.conf sets %s" % v)

recipes = glob.glob(os.path.join(layer, "recipes-*", "sbcmon", "sbcmon_git.bb"))
check(len(recipes) == 1, "one recipes-*/sbcmon/sbcmon_git.bb")
if recipes:
    r, text = assignments(recipes[0])
    for v in ("SUMMARY", "LICENSE", "LIC_FILES_CHKSUM", "SRC_URI", "S", "PV"):
        check(v in r, "recipe sets %s" % v)
    # Parsing must not need the network: a pinned commit, never AUTOREV.
    srcrev = (r.get("SBCMON_SRCREV") or [""])[0]
    check("AUTOREV" not in text and r.get("SRCREV_sbcmon") == ["${SBCMON_SRCREV}"]
          and re.fullmatch(r"[0-9a-f]{40}", srcrev) is not None,
          "SRCREV pinned through SBCMON_SRCREV (%s), no AUTOREV" % srcrev)
    # The page: downloaded in do_fetch and checked by SHA-256.
    src = (r.get("SRC_URI") or [""])[0]
    www_sha = (r.get("SBCMON_WWW_SHA256") or [""])[0]
    check("${SBCMON_WWW_URI};name=www;subdir=www-dist" in src
          and r.get("SRC_URI[www.sha256sum]") == ["${SBCMON_WWW_SHA256}"]
          and re.fullmatch(r"[0-9a-f]{64}", www_sha) is not None
          and "sbcmon-www-${SBCMON_VERSION}.tar.gz" in (r.get("SBCMON_WWW_URI") or [""])[0],
          "the page tarball is a SRC_URI entry with a sha256sum (%s)" % www_sha[:12])
    check("python3-kconfiglib-native" in (r.get("DEPENDS") or [""])[0] and "/usr/bin/python3" not in text
          and "-DSBCMON_PYTHON=${PYTHON}" in text,
          "kconfig.py runs under the native python3 with python3-kconfiglib-native")
    lic = (r.get("LIC_FILES_CHKSUM") or [""])[0]
    m = re.search(r"file://([^;]+);md5=([0-9a-f]{32})", lic)
    real = hashlib.md5(open(os.path.join(root, m.group(1)), "rb").read()).hexdigest() if m else None
    check(m is not None and m.group(2) == real, "LIC_FILES_CHKSUM md5 %s is LICENSE's (%s)" % (m.group(2) if m else "?", real))
    check((r.get("LICENSE") or [""])[0] == "MIT" and "MIT License" in open(os.path.join(root, "LICENSE")).read(),
          "LICENSE = MIT matches the LICENSE file")
    inherits = set()
    for m in re.finditer(r"^inherit\s+(.+)$", text, re.M):
        inherits |= set(m.group(1).split())
    check({"cmake", "pkgconfig", "python3native", "systemd", "useradd"} <= inherits,
          "inherits cmake pkgconfig python3native systemd useradd")
    check("git://" in (r.get("SBCMON_GIT_URI") or [""])[0] and "${SBCMON_GIT_URI}" in (r.get("SRC_URI") or [""])[0],
          "SRC_URI fetches the git tree")
    check((r.get("S") or [""])[0] == "${WORKDIR}/git", "S = ${WORKDIR}/git")
    deps = set((r.get("DEPENDS") or [""])[0].split())
    deps.discard("python3-kconfiglib-native")
    tls_dep = (r.get("SBCMON_TLS_DEP") or [""])[0]
    check({"libwebsockets", "cjson", "zlib", "${SBCMON_TLS_DEP}"} <= deps and not deps & {"openssl", "mbedtls"},
          "DEPENDS: %s" % " ".join(sorted(deps)))
    check(re.fullmatch(r"\$\{@'openssl' if d\.getVar\('SBCMON_LWS_TLS'\) == 'ssl' else 'mbedtls'\}", tls_dep) is not None
          and (r.get("SBCMON_LWS_TLS") or [""])[0] == "mbedtls",
          "the TLS library sbcmon links follows SBCMON_LWS_TLS (mbedtls by default): %s" % tls_dep)
    check(r.get("SYSTEMD_SERVICE:${PN}") == ["sbcmon.service"], "SYSTEMD_SERVICE:${PN} = sbcmon.service")
    check("USERADD_PACKAGES" in r and "USERADD_PARAM:${PN}" in r, "USERADD_PACKAGES and USERADD_PARAM:${PN} set")
    for rel in ("board/common/sbcmon.service", "board/common/sbcmon.conf", "board/common/sbcmon.init"):
        check(rel in text and os.path.isfile(os.path.join(root, rel)), "recipe installs %s, which exists" % rel)
    check("-DBUILD_TESTING=OFF" in text and "-DSBCMON_CONFIG=" in text and "-DSBCMON_WWW_DIR=" in text,
          "EXTRA_OECMAKE: BUILD_TESTING=OFF, SBCMON_CONFIG, SBCMON_WWW_DIR")
    board = re.search(r'^SBCMON_BOARD \?= "([^"]+)"', text, re.M)
    check(board is not None and os.path.isfile(os.path.join(root, "board", board.group(1), "defconfig")),
          "SBCMON_BOARD names an sbcmon board that exists")

appends = glob.glob(os.path.join(layer, "recipes-*", "libwebsockets", "libwebsockets_*.bbappend"))
check(len(appends) == 1, "a libwebsockets bbappend")
if appends:
    a, _ = assignments(appends[0])
    pc = (a.get("PACKAGECONFIG[mbedtls]") or [""])[0].split(",")
    check(len(pc) == 3 and "-DLWS_WITH_MBEDTLS=ON" in pc[0] and pc[2].strip() == "mbedtls",
          "PACKAGECONFIG[mbedtls] = enable,disable,mbedtls with -DLWS_WITH_MBEDTLS=ON")
    # BitBake splits a PACKAGECONFIG flag at every comma before expanding it: a comma
    # inside ${@...} there breaks the parse (meta-oe's libwebsockets with it).
    flags = {k: v[0] for k, v in a.items() if k.startswith("PACKAGECONFIG[")}
    bad = [k for k, v in flags.items() if any("${@" in f and "}" not in f for f in v.split(","))]
    check(flags and not bad, "no comma inside ${@...} in a PACKAGECONFIG flag %s" % " ".join(bad))
    check(a.get("SBCMON_LWS_TLS") == ["mbedtls"] and "SBCMON_LWS_TLS" in " ".join(a.get("PACKAGECONFIG:remove", []))
          and "mbedtls" in " ".join(a.get("PACKAGECONFIG:append", [])),
          "PACKAGECONFIG swaps ssl (OpenSSL) for mbedtls unless SBCMON_LWS_TLS says otherwise")
sys.exit(failures)
