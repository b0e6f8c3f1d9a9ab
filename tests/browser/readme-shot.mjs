// Makes docs/screenshots/desktop.png for the README: the real sbcmon and the real
// page, on a copy of the Raspberry Pi 4 fixture whose /proc and /sys files
// scripts/synthetic-load.mjs keeps advancing (the same load as `make demo`), so the picture shows a Pi's
// temperature limits and power badge. Not a test; run it by hand:
//   SBCMON_BIN=build/host/sbcmon SBCMON_FIXTURES=tests/fixtures node tests/browser/readme-shot.mjs [out.png]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { syntheticLoad } from "../../scripts/synthetic-load.mjs";
import { startSbcmon, launchBrowser, openPage, fixtureCopy, sleep, waitFor } from "./lib.mjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const out = path.resolve(process.argv[2] || path.join(REPO, "docs/screenshots/desktop.png"));
const kSeconds = Number(process.env.SHOT_SECONDS || 45);
const root = fixtureCopy("pi4");
const file = (...p) => path.join(root, ...p);
const load = syntheticLoad(root);
const step = (dt) => load.step(dt);

fs.writeFileSync(file("sys/devices/platform/soc/soc:firmware/get_throttled"), "50000\n");
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
