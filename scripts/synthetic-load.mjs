// A synthetic, varying load written into a copy of a board fixture (tests/fixtures/<board>):
// /proc/stat, loadavg, uptime, net/dev, the first thermal zone and each core's cpufreq move
// as on a working board. Used by `make demo` and the README screenshot (readme-shot.mjs).
// Never point it at the repo's fixtures: it rewrites the files under `root`.
import fs from "node:fs";
import path from "node:path";

// In place, never truncated first: sbcmon keeps its files open and re-reads
// them, and must not catch a file empty halfway through a rewrite.
function put(f, text) {
  const fd = fs.openSync(f, "r+");
  const buf = Buffer.from(text);
  fs.writeSync(fd, buf, 0, buf.length, 0);
  fs.ftruncateSync(fd, buf.length);
  fs.closeSync(fd);
}

const readNum = (f, dflt) => (fs.existsSync(f) ? Number(fs.readFileSync(f, "utf8").trim()) : dflt);

/** syntheticLoad(root) -> { step(dt_seconds) }: advances every moving file by dt. */
export function syntheticLoad(root, { hz = 100 } = {}) {
  const file = (...p) => path.join(root, ...p);
  const statLines = fs.readFileSync(file("stat"), "utf8").split("\n");
  const cores = statLines.filter((l) => /^cpu\d+ /.test(l)).map((l) => l.split(/\s+/).slice(1).map(Number));
  const tail = statLines.filter((l) => !/^cpu/.test(l)).join("\n");
  const devText = fs.readFileSync(file("net/dev"), "utf8");
  const [up0, idle0] = fs.readFileSync(file("uptime"), "utf8").trim().split(/\s+/).map(Number);
  const loadTail = fs.readFileSync(file("loadavg"), "utf8").trim().split(/\s+/).slice(2).join(" ");
  const zone = file("sys/class/thermal/thermal_zone0/temp");
  const freqs = cores.map((_, i) => {
    const d = file(`sys/devices/system/cpu/cpu${i}/cpufreq`);
    return { cur: path.join(d, "scaling_cur_freq"), max: readNum(path.join(d, "cpuinfo_max_freq"), 0),
             min: readNum(path.join(d, "cpuinfo_min_freq"), 0) };
  }).filter((f) => fs.existsSync(f.cur) && f.max > 0);
  let rx = 987654321, tx = 123456789, uptime = up0, idle = idle0 || up0, load1 = 0.8, t = 0;

  function step(dt) {
    t += dt;
    const busy = cores.map((_, i) => {
      const wave = 0.35 + 0.3 * Math.sin(t / (7 + 3 * i) + i * 1.7) + 0.12 * Math.random();
      return Math.min(0.98, Math.max(0.02, i === 3 ? wave + 0.3 : wave));
    });
    busy.forEach((b, i) => {
      const ticks = dt * hz;
      cores[i][0] += Math.round(ticks * b * 0.7);   // user
      cores[i][2] += Math.round(ticks * b * 0.3);   // system
      cores[i][3] += Math.round(ticks * (1 - b));   // idle
    });
    const sum = cores[0].map((_, k) => cores.reduce((a, c) => a + c[k], 0));
    put(file("stat"), [`cpu  ${sum.join(" ")}`, ...cores.map((c, i) => `cpu${i} ${c.join(" ")}`), tail].join("\n"));
    const avg = busy.reduce((a, b) => a + b, 0) / busy.length;
    if (fs.existsSync(zone)) put(zone, `${Math.round((46 + 22 * avg + Math.random()) * 1000)}\n`);
    for (const f of freqs) put(f.cur, `${avg > 0.45 ? f.max : f.min || f.max}\n`);
    load1 += (avg * cores.length - load1) * dt / 60;
    put(file("loadavg"), `${load1.toFixed(2)} ${(load1 * 0.8).toFixed(2)} ${loadTail}\n`);
    uptime += dt;
    idle += dt * cores.length * (1 - avg);
    put(file("uptime"), `${uptime.toFixed(2)} ${idle.toFixed(2)}\n`);
    rx += Math.round(dt * (180000 + 120000 * Math.sin(t / 5) ** 2));
    tx += Math.round(dt * (20000 + 15000 * Math.random()));
    put(file("net/dev"), devText.replace(/eth0:\s+\d+(\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+)\d+/,
                                         `eth0: ${rx}$1${tx}`));
  }
  return { step };
}
