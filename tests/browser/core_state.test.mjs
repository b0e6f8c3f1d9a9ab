// A per-core figure the server has none for: "off" only for a core that is really
// offline (absent from /proc/stat), a dimmed dash for "no data yet" (the board fixture
// never changes, so there is no delta).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { skipReason, startSbcmon, launchBrowser, openPage, waitFor, fixtureCopy } from "./lib.mjs";

const skip = skipReason() ?? false;

// What each core row shows: its value text and whether it is styled off / no data.
const cores = (page) => page.$$eval("#cores .core", (els) => els.map((e) => ({
  text: e.querySelector(".cv").textContent, off: e.classList.contains("off"),
  nodata: e.classList.contains("nodata") })));

describe("per-core state on the Pi 4 fixture", { skip }, () => {
  let sbc, browser, root;
  before(async () => {
    root = fixtureCopy("pi4");
    sbc = await startSbcmon({ args: ["--proc-root", root, "--sys-root", path.join(root, "sys")] });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await sbc?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("shows no data yet, not off, while the counters do not move; off only for a hotplugged core", async () => {
    const page = await openPage(browser, sbc.url, { viewport: { width: 1280, height: 900 } });
    const still = await waitFor(async () => {
      const c = await cores(page);
      return c.length === 4 && c.every((x) => x.text !== "") ? c : null;
    }, 20000, "four core rows with a value");
    for (const c of still) {
      assert.equal(c.off, false, `an unchanged online core is not off: ${JSON.stringify(still)}`);
      assert.equal(c.nodata, true, `an unchanged online core reads as no data yet: ${JSON.stringify(still)}`);
      assert.notEqual(c.text, "off");
    }
    // cpu2 hotplugged out: /proc/stat loses its line (the others are online, moving or not).
    fs.writeFileSync(path.join(root, "stat"), fs.readFileSync(path.join(root, "stat.t2_cpu2_offline")));
    const after = await waitFor(async () => {
      const c = await cores(page);
      return c[2].off ? c : null;
    }, 20000, "cpu2 shown as off");
    assert.equal(after[2].text, "off");
    assert.equal(after[2].nodata, false);
    for (const i of [0, 1, 3]) assert.equal(after[i].off, false, `cpu${i} is online: ${JSON.stringify(after)}`);
    assert.deepEqual(page.errors, []);
  });
});
