// Makes docs/screenshots/desktop.png for the README: the real sbcmon and the real
// page, on a copy of the Raspberry Pi 4 fixture whose /proc and /sys files this
// script keeps advancing (a synthetic, varying load), so the picture shows a Pi's
// temperature limits and power badge. Not a test; run it by hand:
//   SBCMON_BIN=build/host/sbcmon SBCMON_FIXTURES=tests/fixtures node tests/browser/readme-shot.mjs [out.png]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startSbcmon, launchBrowser, openPage, fixtureCopy, sleep, waitFor } from "./lib.mjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const out = path.resolve(process.argv[2] || path.join(REPO, "docs/screenshots/desktop.png"));
const kSeconds = Number(process.env.SHOT_SECONDS || 45);
const kHz = 100;  // USER_HZ of the fixture

const root = fixtureCopy("pi4");
const file = (...p) => path.join(root, ...p);

const statHead = fs.readFileSync(file("stat"), "utf8").split("\n");
const cores = statHead.filter((l) => /^cpu\d+ /.test(l)).map((l) => l.split(/\s+/).slice(1).map(Number));
const tail = statHead.filter((l) => !/^cpu/.test(l)).join("\n");
let rx = 987654321, tx = 123456789, uptime = 273318.25, load1 = 0.8, t = 0;

// In place, never truncated first: sbcmon keeps its files open and re-reads
// them, and must not catch a file empty halfway through a rewrite.
function put(f, text) {
  const fd = fs.openSync(f, "r+");
  const buf = Buffer.from(text);
  fs.writeSync(fd, buf, 0, buf.length, 0);
  fs.ftruncateSync(fd, buf.length);
  fs.closeSync(fd);
}

function step(dt) {
  t += dt;
  const busy = cores.map((_, i) => {
    const wave = 0.35 + 0.3 * Math.sin(t / (7 + 3 * i) + i * 1.7) + 0.12 * Math.random();
    return Math.min(0.98, Math.max(0.02, i === 3 ? wave + 0.3 : wave));
  });
  busy.forEach((b, i) => {
    const ticks = dt * kHz;
    cores[i][0] += Math.round(ticks * b * 0.7);   // user
    cores[i][2] += Math.round(ticks * b * 0.3);   // system
    cores[i][3] += Math.round(ticks * (1 - b));   // idle
  });
  const sum = cores[0].map((_, k) => cores.reduce((a, c) => a + c[k], 0));
  put(file("stat"), [`cpu  ${sum.join(" ")}`, ...cores.map((c, i) => `cpu${i} ${c.join(" ")}`), tail].join("\n"));
  const avg = busy.reduce((a, b) => a + b, 0) / busy.length;
  put(file("sys/class/thermal/thermal_zone0/temp"), `${Math.round((46 + 22 * avg + Math.random()) * 1000)}\n`);
  for (let i = 0; i < cores.length; i++) {
    put(file(`sys/devices/system/cpu/cpu${i}/cpufreq/scaling_cur_freq`), avg > 0.45 ? "1500000\n" : "600000\n");
  }
  load1 += (avg * 4 - load1) * dt / 60;
  put(file("loadavg"), `${load1.toFixed(2)} ${(load1 * 0.8).toFixed(2)} 0.61 2/213 4242\n`);
  uptime += dt;
  put(file("uptime"), `${uptime.toFixed(2)} ${(uptime * 3.2).toFixed(2)}\n`);
  rx += Math.round(dt * (180000 + 120000 * Math.sin(t / 5) ** 2));
  tx += Math.round(dt * (20000 + 15000 * Math.random()));
  const dev = fs.readFileSync(path.join(process.env.SBCMON_FIXTURES, "pi4/net/dev"), "utf8")
    .replace(/eth0:\s+\d+(\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+)\d+/, `eth0: ${rx}$1${tx}`);
  put(file("net/dev"), dev);
}

put(file("sys/devices/platform/soc/soc:firmware/get_throttled"), "50000\n");
// Past under-voltage only: the badge shows its "since boot" state.
step(0.1);
const sbc = await startSbcmon({ args: ["--interval", "500", "--proc-root", root, "--sys-root", file("sys")] });
const feeder = setInterval(() => step(0.25), 250);
let browser;
try {
  console.log(`readme-shot: ${kSeconds} s of samples on ${sbc.url}`);
  await sleep(kSeconds * 1000);
  browser = await launchBrowser();
  const page = await openPage(browser, sbc.url, { viewport: { width: 1280, height: 900 }, colorScheme: "light" });
  await page.evaluate(() => localStorage.setItem("sbcmon.window", "60"));
  await page.reload();
  await waitFor(async () => page.evaluate(() => window.sbcmon.log.filter((e) => e.ev === "sample").length >= 3), 10000, "samples");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  if (page.errors.length) throw new Error(page.errors.join("\n"));
  console.log(`readme-shot: wrote ${out}`);
} finally {
  clearInterval(feeder);
  await browser?.close();
  await sbc.stop();
  fs.rmSync(root, { recursive: true, force: true });
}
