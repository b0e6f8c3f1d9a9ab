#!/usr/bin/python3
"""Binary and installed sizes of the three benchmarked servers, as JSON on stdout.

"Own code" is what the project ships: sbcmon's stripped binary; the tutorial's app.py and
template; the Node server script and template. "Installed" adds everything it needs beyond
a base Debian system: the Depends/Pre-Depends closure of its Debian packages minus apt's own
closure and packages of Priority required/important (present on every Debian install), plus files outside dpkg (the
npm closure of socket.io, a node binary not installed from a .deb).

  usage: sizes.py SBCMON_BINARY
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout


def owning_packages(paths):
    pkgs = set()
    for p in paths:
        out = run("dpkg", "-S", os.path.realpath(p)) or run("dpkg", "-S", p)
        for line in out.splitlines():
            if ": " in line:
                pkgs.update(x.strip().split(":")[0] for x in line.split(": ")[0].split(","))
    return pkgs


def shared_libs(binary):
    libs = []
    for line in run("ldd", binary).splitlines():
        parts = line.split("=>")
        if len(parts) == 2 and parts[1].strip().startswith("/"):
            libs.append(parts[1].split()[0])
    return libs


def closure_names(pkgs):
    out = run("apt-cache", "depends", "--recurse", "--installed", "--no-recommends", "--no-suggests",
              "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *sorted(pkgs))
    names = {line.strip() for line in out.splitlines() if line and not line.startswith(" ")}
    return {n for n in names if not n.startswith("<")} | set(pkgs)


# What every Debian install has: apt's own closure (libc6, libstdc++6, zlib1g, ...).
BASE = None


def closure(pkgs):
    global BASE
    if not pkgs:
        return {}
    if BASE is None:
        BASE = closure_names({"apt"})
    names = closure_names(pkgs) - BASE
    fields = run("dpkg-query", "-W", "-f=${Package}\t${Priority}\t${Installed-Size}\t${db:Status-Status}\n",
                 *sorted(names))
    keep = {}
    for line in fields.splitlines():
        name, prio, size, status = (line.split("\t") + ["", "", "", ""])[:4]
        if status == "installed" and prio not in ("required", "important") and size.isdigit():
            keep[name] = int(size) * 1024
    return keep


def npm_closure(start):
    base = os.path.join(ROOT, "tests", "node_modules")
    seen, todo, total = set(), [start], 0
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        pdir = os.path.join(base, name)
        try:
            with open(os.path.join(pdir, "package.json"), encoding="utf-8") as f:
                todo.extend(json.load(f).get("dependencies", {}))
        except OSError:
            continue
        for dirpath, _, files in os.walk(pdir):
            total += sum(os.path.getsize(os.path.join(dirpath, x)) for x in files)
    return total, len(seen)


def main():
    sbcmon = sys.argv[1]
    template = os.path.join(ROOT, "tests", "browser", "seed", "cpumem.html")  # what bench/flask/app.py renders
    with tempfile.TemporaryDirectory() as tmp:
        stripped = os.path.join(tmp, "sbcmon")
        shutil.copy(sbcmon, stripped)
        subprocess.run(["strip", stripped], check=True)
        sb_bin = os.path.getsize(stripped)
    sb_pkgs = closure(owning_packages(shared_libs(sbcmon)))
    sb_inst = sb_bin + sum(sb_pkgs.values())

    fl_own = os.path.getsize(os.path.join(HERE, "flask", "app.py")) + os.path.getsize(template)
    fl_pkgs = closure({"python3-flask-socketio", "python3-psutil", "python3-eventlet"})
    fl_inst = fl_own + sum(fl_pkgs.values())

    node_bin = os.path.realpath(shutil.which("node") or "/usr/bin/node")
    nd_own = os.path.getsize(os.path.join(HERE, "node_server.mjs")) + os.path.getsize(template)
    node_deb = owning_packages([node_bin])
    nd_pkgs = closure(node_deb if node_deb else owning_packages(shared_libs(node_bin)))
    npm_bytes, npm_count = npm_closure("socket.io")
    nd_inst = nd_own + sum(nd_pkgs.values()) + npm_bytes + (0 if node_deb else os.path.getsize(node_bin))

    mb = lambda b: f"{b / 2**20:.1f} MB"
    print(json.dumps({
        "sbcmon": {"binaryBytes": sb_bin, "installedBytes": sb_inst,
                   "note": f"stripped binary {sb_bin // 1024} KB; installed {mb(sb_inst)} = binary + "
                           f"{len(sb_pkgs)} non-base Debian packages ({', '.join(sorted(sb_pkgs))})"},
        "flask": {"binaryBytes": fl_own, "installedBytes": fl_inst,
                  "note": f"app.py + template {fl_own // 1024} KB; installed {mb(fl_inst)} = "
                          f"{len(fl_pkgs)} non-base Debian packages (python3, flask-socketio, psutil, eventlet and their closure)"},
        "node": {"binaryBytes": nd_own, "installedBytes": nd_inst,
                 "note": f"server script + template {nd_own // 1024} KB; installed {mb(nd_inst)} = node "
                         f"({'Debian ' + ', '.join(sorted(node_deb)) if node_deb else 'binary not from a .deb, ' + mb(os.path.getsize(node_bin))}) "
                         f"+ {len(nd_pkgs)} non-base Debian packages + socket.io's npm closure ({npm_count} packages, {mb(npm_bytes)})"},
    }, indent=1))


if __name__ == "__main__":
    main()
