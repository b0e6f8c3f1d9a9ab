#!/usr/bin/python3
"""Kconfig front end for sbcmon: kconfiglib with warnings turned into errors.

kconfiglib only warns when a value is out of its range or names an unknown
symbol; a firmware build must not silently fall back to a default, so any
warning while loading a configuration fails here.

  kconfig.py defconfig <defconfig> <out .config>
  kconfig.py check     <.config>
  kconfig.py header    <.config> <out header>
  kconfig.py savedefconfig <.config> <out defconfig>
"""
import os
import sys

import kconfiglib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(config_path):
    kconf = kconfiglib.Kconfig(os.path.join(ROOT, "Kconfig"), warn_to_stderr=False)
    kconf.load_config(config_path)
    problems = list(kconf.warnings)
    # kconfiglib clamps an out-of-range int to its default without always
    # warning; check every user value against the active range ourselves.
    for sym in kconf.unique_defined_syms:
        if sym.type not in (kconfiglib.INT, kconfiglib.HEX) or sym.user_value is None:
            continue
        base = 16 if sym.type == kconfiglib.HEX else 10
        try:
            value = int(sym.user_value, base)
        except ValueError:
            problems.append(f"{sym.name}: '{sym.user_value}' is not a number")
            continue
        for low, high, cond in sym.ranges:
            if kconfiglib.expr_value(cond):
                lo, hi = int(low.str_value, base), int(high.str_value, base)
                if not lo <= value <= hi:
                    problems.append(f"{config_path}: CONFIG_{sym.name}={value} is outside its range {lo}..{hi}")
                break
    if problems:
        for p in problems:
            print(f"kconfig: error: {p}", file=sys.stderr)
        sys.exit(1)
    return kconf


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    verb, src = argv[1], argv[2]
    if not os.path.exists(src):
        print(f"kconfig: error: {src}: no such file", file=sys.stderr)
        return 1
    kconf = load(src)
    if verb == "check":
        return 0
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[3]
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    if verb == "defconfig":
        kconf.write_config(out, header="# sbcmon configuration, made from %s\n" % os.path.relpath(src, ROOT))
    elif verb == "header":
        tmp = out + ".tmp"
        kconf.write_autoconf(tmp, header="/* Generated from the sbcmon Kconfig. DO NOT EDIT. */\n")
        # Only touch the header when it changed, so a re-run rebuilds nothing.
        new = open(tmp).read()
        if os.path.exists(out) and open(out).read() == new:
            os.remove(tmp)
        else:
            os.replace(tmp, out)
    elif verb == "savedefconfig":
        kconf.write_min_config(out)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
