// Makes docs/screenshots/boards.png for the README: the Boards view of three real
// sbcmon instances (the Pi 4 and BeagleBone fixtures under scripts/synthetic-load.mjs,
// and this host), each naming the others with --peer. Not a test; run it by hand:
//   SBCMON_BIN=build/host/sbcmon SBCMON_FIXTURES=tests/fixtures node tests/browser/readme-shot-boards.mjs [out.png]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { syntheticLoad } from "../../scripts/synthetic-load.mjs";
import { startSbcmon, launchBrowser, openPage, fixtureCopy, freePort, sleep, waitFor } from "./lib.mjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const out = path.resolve(process.argv[2] || path.join(REPO, "docs/screenshots/boards.png"));
const kSeconds = Number(process.env.SHOT_SECONDS || 40);
const roots = { pi4: fixtureCopy("pi4"), bbb: fixtureCopy("bbb") };
const loads = Object.values(roots).map((r) => syntheticLoad(r));
for (const l of loads) l.step(0.1);
const feeder = setInterval(() => { for (const l of loads) l.step(0.25); }, 250);
const ports = { pi4: await freePort(), bbb: await freePort(), live: await freePort() };
const peersOf = (me) => Object.keys(ports).filter((n) => n !== me).map((n) => `--peer=http://127.0.0.1:${ports[n]}`);
const tree = (n) => (roots[n] ? ["--proc-root", roots[n], "--sys-root", path.join(roots[n], "sys")] : []);
const sbcs = [];
let browser;
try {
  for (const n of Object.keys(ports)) {
    sbcs.push(await startSbcmon({ port: ports[n], args: ["--interval", "500", ...tree(n), ...peersOf(n)] }));
  }
  console.log(`readme-shot-boards: ${kSeconds} s of samples`);
  await sleep(kSeconds * 1000);
  browser = await launchBrowser();
  const page = await openPage(browser, sbcs[0].url, { viewport: { width: 1000, height: 330 }, colorScheme: "light" });
  await waitFor(() => page.evaluate(() => [...document.querySelectorAll(".bcard")].filter((c) => c.dataset.state === "live").length === 3), 10000, "three live cards");
  await sleep(1500);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log(`readme-shot-boards: wrote ${out}`);
} finally {
  clearInterval(feeder);
  await browser?.close();
  for (const s of sbcs) await s.stop();
  for (const r of Object.values(roots)) fs.rmSync(r, { recursive: true, force: true });
}
