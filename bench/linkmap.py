#!/usr/bin/python3
"""Per-part size table of a static sbcmon from its GNU ld link map (scripts/firmware.sh).

Counts the bytes each part puts into the file's loaded sections (code, read-only data,
data; not .bss, not debug info); unwind tables (.eh_frame, .gcc_except_table) are their
own row whatever library they come from, since they are what -fno-unwind-tables trades.

  usage: linkmap.py MAP [STRIPPED_BINARY]
"""
import os
import re
import struct
import sys

PARTS = [  # (row, pattern on the input file)
    ("glibc", re.compile(r"/libc\.a\(|/libc_nonshared\.a\(|/crt[1in]\.o$|/crt[a-z]*\.o$|/libm\.a\(|/libpthread\.a\(")),
    ("libstdc++", re.compile(r"/libstdc\+\+\.a\(|/libsupc\+\+\.a\(")),
    ("libgcc", re.compile(r"/libgcc(_eh)?\.a\(|/crtbegin|/crtend")),
    ("mbedTLS", re.compile(r"/libmbed(tls|x509|crypto)\.a\(")),
    ("libwebsockets", re.compile(r"/libwebsockets\.a\(")),
    ("zlib", re.compile(r"/libz\.a\(")),
    ("cJSON", re.compile(r"/libcjson\.a\(")),
    ("page (gzipped www)", re.compile(r"assets|www")),
]
NOT_IN_FILE = re.compile(r"^\.(bss|tbss)|^\.debug|^\.comment|^\.note\.GNU-stack|^\.gnu\.lto|^/DISCARD/")
UNWIND = re.compile(r"^\.(eh_frame|eh_frame_hdr|gcc_except_table)")
LINE = re.compile(r"^ (\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")


def part_of(path):
    for name, pat in PARTS:
        if pat.search(path):
            return name
    return "sbcmon (+ page under LTO)"


def segment_slack(path):
    """(slack, align): the file padding between the code segment and the data segment.

    The data segment starts on a fresh page and its read-only-after-start part (RELRO)
    must end on a page boundary, so the file grows a whole page at a time: code and
    RELRO can grow by `slack` bytes before the file jumps by `align`."""
    with open(path, "rb") as f:
        ident = f.read(16)
        if ident[:4] != b"\x7fELF":
            return None
        wide, end = ident[4] == 2, "<" if ident[5] == 1 else ">"
        f.seek(0x20 if wide else 0x1C)
        phoff = struct.unpack(end + ("Q" if wide else "I"), f.read(8 if wide else 4))[0]
        f.seek(0x36 if wide else 0x2A)
        phentsize, phnum = struct.unpack(end + "HH", f.read(4))
        loads = []
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            if wide:
                ptype, _, off, _, _, filesz, _, align = struct.unpack(end + "IIQQQQQQ", f.read(56))
            else:
                ptype, off, _, _, filesz, _, _, align = struct.unpack(end + "IIIIIIII", f.read(32))
            if ptype == 1:  # PT_LOAD
                loads.append((off, filesz, align))
    if len(loads) < 2:
        return None
    (off0, size0, _), (off1, _, align1) = sorted(loads)[:2]
    return off1 - (off0 + size0), align1


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    sizes = {}
    out_sec = None
    pending = None
    in_map = False
    with open(sys.argv[1], errors="replace") as f:
        for line in f:
            if not in_map:
                in_map = line.startswith("Linker script and memory map")
                continue
            if line and not line[0].isspace():
                out_sec = line.split()[0]
                continue
            m = LINE.match(line.rstrip("\n"))
            if not m:
                s = line.split()
                pending = s[0] if len(s) == 1 and line.startswith(" .") else None
                continue
            sec = m.group(1) or pending
            pending = None
            size, path = int(m.group(3), 16), m.group(4).strip()
            if size == 0 or sec is None or out_sec is None or NOT_IN_FILE.search(out_sec):
                continue
            if path.startswith("*") or "load address" in path:
                continue
            row = "unwind tables (all parts)" if UNWIND.search(out_sec) else part_of(path)
            sizes[row] = sizes.get(row, 0) + size
    total = sum(sizes.values())
    print(f"{'part':<28}{'bytes':>10}{'share':>8}")
    for row, n in sorted(sizes.items(), key=lambda kv: -kv[1]):
        print(f"{row:<28}{n:>10}{100 * n / total:>7.1f}%")
    print(f"{'sum of loaded sections':<28}{total:>10}")
    if len(sys.argv) == 3:
        print(f"{'stripped file':<28}{os.path.getsize(sys.argv[2]):>10}  ({1048576 - os.path.getsize(sys.argv[2]):+d} to 1 MiB)")
        slack = segment_slack(sys.argv[2])
        if slack:
            print(f"{'page padding':<28}{slack[0]:>10}  (code can grow this much before the file grows {slack[1] // 1024} KiB)")


if __name__ == "__main__":
    main()
