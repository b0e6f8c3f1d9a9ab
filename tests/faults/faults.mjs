// Injected faults: sbcmon reads a private copy of tests/fixtures/pi4 whose /proc and
// /sys files are missing, empty, truncated or garbage; a CPU goes offline and comes
// back between ticks; a thermal zone vanishes; SIGTERM under load; the port taken.
// sbcmon must keep sampling and report a figure it cannot read as null (absent),
// never as 0. (Wall-clock jumps are not injected: that needs root to set the clock.)
// Prints a closing "N passed, M failed".
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { io } from "socket.io-client";
import { HOST, Recorder, fixtureCopy, freePort, get, runToExit, sleep, startMonitor, withTimeout } from "../integration/lib/fixture_tree.mjs";
import { check, exitIfSkipped, finish } from "./report.mjs";

const j = (v) => JSON.stringify(v);
// Absent: null/undefined, or a container of nothing but absent values (an empty list too).
const absent = (v) => v === null || v === undefined ||
  (Array.isArray(v) && v.every(absent)) || (typeof v === "object" && Object.values(v).every(absent));

// Each damaged file, and the sample figure(s) that come from it.
const TARGETS = [
  { file: "meminfo", figures: (s) => ({ mem: s.mem, swap: s.swap }) },
  { file: "loadavg", figures: (s) => ({ load: s.load }) },
  { file: "uptime", figures: (s) => ({ uptime: s.uptime }) },
  { file: "net/dev", figures: (s) => ({ net: (s.net || []).map((n) => ({ rx: n.rx, tx: n.tx })) }) },
  { file: "sys/class/thermal/thermal_zone0/temp", figures: (s) => ({ temp: (s.temp || []).map((t) => t.c) }) },
  { file: "sys/devices/platform/soc/soc:firmware/get_throttled", figures: (s) => ({ throttled: s.throttled && s.throttled.raw }) },
  { file: "sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", figures: (s) => ({ freq1: s.freq_mhz && s.freq_mhz[1] }) },
  { file: "stat", figures: (s) => ({ total: s.total, cpu: s.cpu }) },
];

function damage(dir, rel, mode) {
  const p = path.join(dir, rel);
  const text = fs.readFileSync(p);
  if (mode === "missing") fs.rmSync(p);
  else if (mode === "empty") fs.writeFileSync(p, "");
  else if (mode === "truncated") fs.writeFileSync(p, text.subarray(0, Math.floor(text.length / 2)));
  else if (mode === "garbage") fs.writeFileSync(p, Buffer.from("\x00\xff garbage \x7f\x80 -- NaN inf 99999999999999999999999999 x:y\n\x00"));
}

async function collect(server, n, what) {
  const sock = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: 5000 });
  const rec = new Recorder(sock);
  try {
    await rec.until(() => rec.named("sample").length >= n, 10000, what);
    return { sock, rec, samples: rec.named("sample") };
  } catch (e) {
    sock.close();
    throw e;
  }
}

async function damagedTree(mode) {
  const tree = fixtureCopy("pi4");
  for (const t of TARGETS) damage(tree.dir, t.file, mode);
  let server;
  try {
    server = await startMonitor(["--interval", "200ms", "--proc-root", tree.dir, "--sys-root", tree.sys]);
    const { sock, samples } = await collect(server, 4, `samples from a tree with ${mode} files`);
    sock.close();
    check(true, `${mode} files: sbcmon keeps running and sampling`, `${samples.length} samples`);
    const last = samples.at(-1);
    for (const t of TARGETS) {
      const f = t.figures(last);
      if (mode === "truncated") {
        // Half a file may still hold a valid figure (the fixture's "0\n" halves to "0"):
        // only that sampling goes on is required; the figures are printed.
        check(true, `truncated ${t.file}`, j(f));
      } else {
        check(absent(f), `${mode} ${t.file} is reported null (absent), never 0`, j(f));
      }
    }
  } catch (e) {
    check(false, `${mode} files: sbcmon keeps running and sampling`, `${e.message}${server ? `\n${server.output()}` : ""}`);
  } finally {
    if (server) await server.stop().catch((e) => check(false, `${mode}: SIGTERM exit 0`, e.message));
    tree.remove();
  }
}

async function cpuAndThermalChurn() {
  const tree = fixtureCopy("pi4");
  const fixtures = path.join(process.env.SBCMON_FIXTURES, "pi4");
  let server;
  let sock;
  try {
    server = await startMonitor(["--interval", "200ms", "--proc-root", tree.dir, "--sys-root", tree.sys]);
    const c = await collect(server, 2, "first samples");
    sock = c.sock;
    const samples = () => c.rec.named("sample");
    const waitMore = async (k, what) => {
      const n = samples().length;
      await c.rec.until(() => samples().length >= n + k, 10000, what);
      return samples().at(-1);
    };
    // cpu2 goes offline: the online list says so and its /proc/stat line disappears.
    fs.copyFileSync(path.join(fixtures, "sys/devices/system/cpu/online.cpu2_offline"), path.join(tree.sys, "devices/system/cpu/online"));
    const stat = fs.readFileSync(path.join(fixtures, "stat.t1"), "utf8");
    fs.writeFileSync(path.join(tree.dir, "stat.tmp"), stat.split("\n").filter((l) => !l.startsWith("cpu2 ")).join("\n"));
    fs.renameSync(path.join(tree.dir, "stat.tmp"), path.join(tree.dir, "stat"));
    const off = await waitMore(3, "samples with cpu2 offline");
    check(off.cpu.length === 4 && off.cpu[2] === null, "cpu2 offline: its figure is null, the others stay", j(off.cpu));
    // ... and back, with later counters.
    fs.copyFileSync(path.join(fixtures, "sys/devices/system/cpu/online"), path.join(tree.sys, "devices/system/cpu/online"));
    const later = stat.replace(/^(cpu\d*\s+)(\d+)/gm, (_, a, b) => a + String(Number(b) + 100));
    fs.writeFileSync(path.join(tree.dir, "stat.tmp"), later);
    fs.renameSync(path.join(tree.dir, "stat.tmp"), path.join(tree.dir, "stat"));
    await waitMore(2, "samples with cpu2 back");
    const later2 = stat.replace(/^(cpu\d*\s+)(\d+)/gm, (_, a, b) => a + String(Number(b) + 200));
    fs.writeFileSync(path.join(tree.dir, "stat.tmp"), later2);
    fs.renameSync(path.join(tree.dir, "stat.tmp"), path.join(tree.dir, "stat"));
    const back = await waitMore(2, "samples after two readings with cpu2");
    check(back.cpu.length === 4, "cpu2 back online: four cpu entries again", j(back.cpu));
    check(samples().some((s) => s.seq > off.seq && typeof s.cpu[2] === "number"), "cpu2 back online: it gets a figure again",
      j(samples().slice(-4).map((s) => s.cpu)));
    // A thermal zone vanishes (driver unbound), then returns. On a fixture tree the
    // files are unlinked (sysfs would fail reads with ENODEV instead).
    const zone = path.join(tree.sys, "class/thermal/thermal_zone0");
    fs.rmSync(zone, { recursive: true });
    const noZone = await waitMore(3, "samples with the thermal zone gone");
    check(absent((noZone.temp || []).map((t) => t.c)), "thermal zone gone: temperature null, never 0", j(noZone.temp));
    fs.cpSync(path.join(fixtures, "sys/class/thermal/thermal_zone0"), zone, { recursive: true });
    const n0 = samples().length;
    await c.rec.until(() => samples().length > n0 && typeof samples().at(-1).temp?.[0]?.c === "number", 15000, "a temperature after the zone returns")
      .catch(() => {});
    const zoneBack = samples().at(-1);
    check(typeof (zoneBack.temp || [])[0]?.c === "number" && zoneBack.temp[0].c !== 0, "thermal zone back: a temperature again", j(zoneBack.temp));
    const seqs = samples().map((s) => s.seq);
    check(seqs.every((q, i) => i === 0 || q === seqs[i - 1] + 1), "no sample lost through the changes", `${seqs.length} samples`);
  } catch (e) {
    check(false, "cpu offline/online and thermal zone churn", `${e.message}${server ? `\n${server.output()}` : ""}`);
  } finally {
    if (sock) sock.close();
    if (server) await server.stop().catch((e) => check(false, "churn: SIGTERM exit 0", e.message));
    tree.remove();
  }
}

async function sigtermUnderLoad() {
  const server = await startMonitor(["--interval", "100ms", "--handshakes-per-s", "0"]);
  const socks = [];
  for (let i = 0; i < 30; i++) socks.push(io(server.url, { forceNew: true, reconnection: false, transports: [i % 2 ? "websocket" : "polling"] }));
  let stop = false;
  const hammer = (async () => {
    while (!stop) await get(server.port, "/healthz", {}, 1000).catch(() => {});
  })();
  await sleep(1500);
  for (const s of socks) for (let k = 0; k < 200; k++) s.emit("history", { since: 0 });
  const t0 = Date.now();
  server.child.kill("SIGTERM");
  const e = await withTimeout(server.exited, 5000, "exit after SIGTERM").catch((err) => ({ code: err.message }));
  const ms = Date.now() - t0;
  stop = true;
  await hammer;
  for (const s of socks) s.close();
  check(e.code === 0 && ms < 2000, "SIGTERM with 30 clients and requests in flight: exit 0 within 2 s", `${j(e)} after ${ms} ms`);
  if (e.code !== 0) server.child.kill("SIGKILL");
}

async function portTaken() {
  const port = await freePort();
  const blocker = net.createServer();
  await new Promise((r) => blocker.listen(port, HOST, r));
  try {
    const r = await runToExit(["--port", String(port), "--bind", HOST], 5000);
    check(r.code !== 0 && r.code !== null, "port taken: non-zero exit", `exit ${r.code}`);
    check(/in use|port|bind|listen/i.test(r.output) && r.output.includes(String(port)), "port taken: a clear message naming the port",
      r.output.trim().split("\n").slice(-2).join(" | "));
  } catch (e) {
    check(false, "port taken: exits by itself", e.message);
  } finally {
    blocker.close();
  }
}

async function main() {
  exitIfSkipped("faults");
  for (const mode of ["missing", "empty", "garbage", "truncated"]) {
    console.log(`--- ${mode} /proc and /sys files`);
    await damagedTree(mode);
  }
  console.log("--- cpu offline and back, thermal zone vanishing");
  await cpuAndThermalChurn();
  console.log("--- SIGTERM under load");
  await sigtermUnderLoad().catch((e) => check(false, "SIGTERM under load", e.message));
  console.log("--- port taken");
  await portTaken();
  console.log("(not injected: wall-clock jumps; setting the clock needs root and would disturb every other process)");
  finish();
}

main();
