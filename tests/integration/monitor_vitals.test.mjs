// Storage, disk I/O, link state and alerts over the wire: a real Socket.IO client and
// /metrics against sbcmon on a private copy of the pi4 fixture, with the figures of
// tests/fixtures/README.txt. Filesystem sizes are statvfs of the fixture's own
// folders (<proc root>/self/root/...), so they are compared with Node's statfs.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { io } from "socket.io-client";
import { Recorder, fixtureCopy, get, skipReason, startMonitor, withTimeout } from "./lib/fixture_tree.mjs";
import { deadline } from "../lib/deadline.mjs";

const PERIOD = 1000;
const TEMP = "sys/class/thermal/thermal_zone0/temp";
const FW = "sys/devices/platform/soc/soc:firmware/get_throttled";
const PROMTOOL = process.env.PROMTOOL_BIN || "promtool";
const skip = skipReason();

// A rate over the real time between two reads: allow the tick's jitter.
function about(actual, expected, what, rel = 0.1) {
  assert.equal(typeof actual, "number", `${what}: ${JSON.stringify(actual)}`);
  assert.ok(Math.abs(actual - expected) <= expected * rel, `${what}: expected about ${expected}, got ${actual}`);
}

function promtool(text) {
  const child = spawn(PROMTOOL, ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  child.stdin.end(text);
  const done = new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, out }));
  });
  return withTimeout(done, 10000, "promtool check metrics");
}

describe("monitor: storage, disks, links and alerts on the pi4 fixture", { skip }, () => {
  let server, tree, socket, rec;
  let first; // before any swap
  let hot; // after diskstats.t1, temp.hot, get_throttled.undervoltage
  const samples = () => rec.named("sample");

  before(async () => {
    tree = fixtureCopy("pi4");
    server = await startMonitor(["--interval", `${PERIOD}ms`, "--proc-root", tree.dir, "--sys-root", tree.sys]);
    socket = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: 5000 });
    rec = new Recorder(socket);
    first = await rec.until(() => samples()[0], PERIOD * 3 + 5000, "a sample");
    tree.swap(TEMP, `${TEMP}.hot`);
    tree.swap(FW, `${FW}.undervoltage`);
    tree.swap("diskstats", "diskstats.t1");
    // The first sample after the swap that has disk rates is the stat -> stat.t1 interval.
    const n = samples().length;
    hot = await rec.until(() => samples().slice(n).find((s) => s.disks[0].wr !== 0 && s.disks[0].wr !== null),
      PERIOD * 4 + 5000, "a sample with the new disk counters");
  });

  after(async () => {
    socket?.disconnect();
    try {
      if (server) await server.stop();
    } finally {
      tree?.remove();
    }
  });

  it("board lists the storage mounts (one per device, no tmpfs/proc) and the whole disks", () => {
    const b = rec.named("board")[0];
    assert.deepEqual(b.filesystems, [
      { mount: "/", device: "/dev/mmcblk0p2", type: "ext4" },
      { mount: "/boot/firmware", device: "/dev/mmcblk0p1", type: "vfat" },
      { mount: "/media/pi/USB STICK", device: "/dev/sda1", type: "exfat" },
    ]);
    assert.deepEqual(b.disks, ["mmcblk0", "sda", "zram0"]);
  });

  it("filesystem figures are statvfs of the mount point, read-only from the mount table", () => {
    const boot = hot.fs.find((f) => f.mount === "/boot/firmware");
    const st = fs.statfsSync(path.join(tree.dir, "self/root/boot/firmware"));
    assert.equal(boot.size, st.blocks * st.bsize);
    assert.ok(boot.used > 0 && boot.used + boot.avail <= boot.size, JSON.stringify(boot));
    assert.equal(boot.ro, false);
    assert.equal(hot.fs.find((f) => f.mount === "/media/pi/USB STICK").ro, true);
  });

  it("an unchanged diskstats is a measured 0 B/s (the start-up reading is the baseline); written since boot is there", () => {
    const m = first.disks.find((d) => d.dev === "mmcblk0");
    assert.deepEqual(m, { dev: "mmcblk0", rd: 0, wr: 0, busy: 0, written: 2405928 * 512 });
  });

  it("diskstats -> diskstats.t1: mmcblk0 reads 1 MiB/s, writes 2 MiB/s, 25 % busy; 1233932288 B written", () => {
    const m = hot.disks.find((d) => d.dev === "mmcblk0");
    about(m.rd, 1048576, "mmcblk0 read B/s");
    about(m.wr, 2097152, "mmcblk0 write B/s");
    about(m.busy, 25, "mmcblk0 busy %", 0.15);
    assert.equal(m.written, 1233932288);
    assert.equal(hot.disks.find((d) => d.dev === "sda").wr, 0);
    about(hot.disks.find((d) => d.dev === "zram0").wr, 4096, "zram0 write B/s");
  });

  it("every interface carries its link state and speed (absent when the kernel gives none)", () => {
    const eth0 = hot.net.find((n) => n.if === "eth0");
    const wlan0 = hot.net.find((n) => n.if === "wlan0");
    assert.equal(eth0.state, "up");
    assert.equal(eth0.speed, 1000);
    assert.equal(wlan0.state, "down");
    assert.equal(wlan0.speed, null);
  });

  it("the hot zone fires the temperature alert at the Pi's 80 °C, under-voltage fires power", () => {
    const byName = Object.fromEntries(hot.alerts.map((a) => [a.name, a]));
    assert.deepEqual(Object.keys(byName), ["temperature", "power", "filesystem", "memory", "load"]);
    assert.equal(byName.temperature.state, "firing");
    assert.equal(byName.temperature.value, 80.8);
    assert.equal(byName.temperature.limit, 80);
    assert.equal(byName.temperature.what, "cpu-thermal");
    assert.ok(byName.temperature.since > first.t && byName.temperature.since <= hot.t, JSON.stringify(byName.temperature));
    assert.equal(byName.power.state, "firing");
    assert.equal(byName.memory.state, "ok");
    assert.equal(byName.load.state, "ok");
    const before = Object.fromEntries(first.alerts.map((a) => [a.name, a.state]));
    assert.equal(before.temperature, "ok");
    assert.equal(before.power, "ok");
  });

  it("the history carries per-disk and per-interface rates in board order", async () => {
    const h = await socket.timeout(deadline(3000)).emitWithAck("history", { since: first.t - 1 });
    const i = h.seq.indexOf(hot.seq);
    assert.ok(i >= 0, `seq ${hot.seq} not in ${JSON.stringify(h.seq)}`);
    assert.equal(h.disk_wr.length, 3);
    assert.equal(h.disk_wr[0][i], hot.disks[0].wr);
    assert.equal(h.disk_rd[0][h.seq.indexOf(first.seq)], 0);
    assert.equal(h.net_if_rx.length, 2);
  });

  it("/metrics: node_exporter filesystem and disk series, sbcmon_alert_firing, and promtool accepts it", async () => {
    const r = await get(server.port, "/metrics");
    assert.equal(r.status, 200);
    const st = fs.statfsSync(path.join(tree.dir, "self/root/boot/firmware"));
    const boot = '{device="/dev/mmcblk0p1",fstype="vfat",mountpoint="/boot/firmware"}';
    assert.ok(r.text.includes(`\nnode_filesystem_size_bytes${boot} ${st.blocks * st.bsize}\n`), r.text);
    assert.match(r.text, /^node_filesystem_avail_bytes\{device="\/dev\/mmcblk0p1",fstype="vfat",mountpoint="\/boot\/firmware"\} \d+$/m);
    assert.match(r.text, /^node_filesystem_readonly\{device="\/dev\/sda1",fstype="exfat",mountpoint="\/media\/pi\/USB STICK"\} 1$/m);
    assert.match(r.text, /^node_disk_written_bytes_total\{device="mmcblk0"\} 1233932288$/m);
    assert.match(r.text, /^node_disk_read_bytes_total\{device="mmcblk0"\} 522990592$/m);
    assert.match(r.text, /^node_disk_io_time_seconds_total\{device="mmcblk0"\} 118\.77$/m);
    assert.doesNotMatch(r.text, /device="mmcblk0p1"\}/, "no partitions in the disk series");
    assert.doesNotMatch(r.text, /device="(loop|ram)\d/);
    assert.match(r.text, /^sbcmon_alert_firing\{alert="temperature"\} 1$/m);
    assert.match(r.text, /^sbcmon_alert_firing\{alert="power"\} 1$/m);
    assert.match(r.text, /^sbcmon_alert_firing\{alert="memory"\} 0$/m);
    assert.match(r.text, /^node_network_up\{device="eth0"\} 1$/m);
    let res;
    try {
      res = await promtool(r.body);
    } catch (e) {
      if (e.code === "ENOENT" && process.env.CI !== "true") return;  // promtool: Debian package prometheus
      throw e;
    }
    // node_exporter's camelCase memory names are the only lint notes.
    const problems = res.out.split("\n").filter((l) => l.trim() && !/^node_memory_\w+_bytes metric names should be written in 'snake_case'/.test(l.trim()));
    assert.deepEqual(problems, [], `promtool check metrics (exit ${res.code}):\n${res.out}`);
  });

  it("a USB disk plugged in later is announced in a new board event, then has figures", async () => {
    const nBoards = rec.named("board").length;
    const text = fs.readFileSync(path.join(tree.dir, "diskstats"), "utf8");
    const tmp = path.join(tree.dir, "diskstats.new");
    fs.writeFileSync(tmp, text + "   8      16 sdb 10 0 80 1 0 0 0 0 0 2 1 0 0 0 0 0 0\n");
    fs.renameSync(tmp, path.join(tree.dir, "diskstats"));
    const b = await rec.until(() => rec.named("board")[nBoards], PERIOD * 4 + 5000, "a board event naming sdb");
    assert.deepEqual(b.disks, ["mmcblk0", "sda", "zram0", "sdb"]);
    // The tick that found sdb sends the board event, then its sample.
    const s = await rec.until(() => samples().find((x) => x.disks.length === 4), PERIOD * 4 + 5000, "a sample with sdb");
    assert.equal(s.disks[3].dev, "sdb");
    assert.equal(s.disks[3].written, 0);
    assert.equal(s.disks[3].wr, null, "a device's first sighting is a baseline: absent, not 0");
  });
});

describe("monitor: alert flags", { skip }, () => {
  let server, tree;
  before(async () => {
    tree = fixtureCopy("pi4");
    tree.swap(TEMP, `${TEMP}.hot`);
    tree.swap(FW, `${FW}.undervoltage`);
    server = await startMonitor(["--interval", "200ms", "--proc-root", tree.dir, "--sys-root", tree.sys,
      "--alert-temp", "90", "--alert-power", "off", "--alert-mem", "0"]);
  });
  after(async () => {
    try {
      if (server) await server.stop();
    } finally {
      tree?.remove();
    }
  });

  it("--alert-temp 90 keeps 80.8 °C ok; --alert-power off and --alert-mem 0 leave those alerts out", async () => {
    let text = "";
    const deadline = Date.now() + 10000;
    while (!/sbcmon_alert_firing\{alert="temperature"\}/.test(text)) {
      assert.ok(Date.now() < deadline, `no alert series in /metrics:\n${text}`);
      text = (await get(server.port, "/metrics")).text;
    }
    assert.match(text, /^sbcmon_alert_firing\{alert="temperature"\} 0$/m);
    assert.doesNotMatch(text, /alert="power"/);
    assert.doesNotMatch(text, /alert="memory"/);
  });
});
