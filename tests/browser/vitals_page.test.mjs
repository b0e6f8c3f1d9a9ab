// The page's storage card, disk I/O chart, per-interface network list and alert
// banner on the pi4 fixture, at phone width in both themes: what a Pi owner checks
// first ("is my SD card full / being hammered?", "is it overheating?").
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  skipReason, startSbcmon, launchBrowser, openPage, waitFor, fixtureCopy, screenshotDir, FIXTURES,
} from "./lib.mjs";

const skip = skipReason() ?? false;
const TEMP = "sys/class/thermal/thermal_zone0/temp";

// Replaces `rel` in the tree by the fixture's `variant`, in one rename.
function swap(dir, rel, variant) {
  const tmp = path.join(dir, `${rel}.swap-${process.pid}`);
  fs.copyFileSync(path.join(FIXTURES, "pi4", variant), tmp);
  fs.renameSync(tmp, path.join(dir, rel));
}

const samples = (page) => page.evaluate(() => window.sbcmon.log.filter((e) => e.ev === "sample").length);

describe("page: storage, disks, interfaces and alerts on the pi4 fixture", { skip }, () => {
  let sbc, browser, dir;
  before(async () => {
    dir = fixtureCopy("pi4");
    sbc = await startSbcmon({ args: ["--proc-root", dir, "--sys-root", path.join(dir, "sys")] });
    browser = await launchBrowser();
    // Hot zone and disk traffic from the start: every page below sees them.
    swap(dir, TEMP, `${TEMP}.hot`);
    swap(dir, "diskstats", "diskstats.t1");
  });
  after(async () => {
    await browser?.close();
    await sbc?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const colorScheme of ["light", "dark"]) {
    it(`at 360 px (${colorScheme}): alert banner, storage bars, disks with bytes written, interfaces`, async () => {
      const page = await openPage(browser, sbc.url, { viewport: { width: 360, height: 780 }, colorScheme, deviceScaleFactor: 2 });
      await waitFor(async () => (await samples(page)) >= 2, 10000, "live samples");

      // The banner is on screen without hovering, inside the phone's width.
      const banner = await waitFor(() => page.evaluate(() => {
        const el = document.getElementById("alerts");
        if (el.hidden) return null;
        const r = el.getBoundingClientRect();
        return { text: el.innerText, left: r.left, right: r.right, h: r.height, alerts: [...el.querySelectorAll("li")].map((li) => li.dataset.alert) };
      }), 5000, "the alert banner");
      assert.deepEqual(banner.alerts, ["temperature"], banner.text);
      assert.match(banner.text, /Temperature 80\.8\s*°C at or above 80\.0\s*°C \(cpu-thermal\)/, banner.text);
      assert.match(banner.text, /since \d\d:\d\d/, banner.text);
      assert.ok(banner.left >= 0 && banner.right <= 360 && banner.h > 10, JSON.stringify(banner));

      const fsRows = await page.$$eval("#filesystems li", (lis) => lis.map((li) => ({
        mount: li.dataset.mount, text: li.innerText, bar: li.querySelector(".fb i").style.transform,
      })));
      assert.deepEqual(fsRows.map((r) => r.mount), ["/", "/boot/firmware", "/media/pi/USB STICK"]);
      assert.match(fsRows[1].text, /\/dev\/mmcblk0p1 · vfat/);
      assert.match(fsRows[1].text, /\d+%/);
      assert.match(fsRows[2].text, /read-only/);
      assert.doesNotMatch(fsRows[0].text, /read-only/);
      assert.match(fsRows[0].bar, /^scaleX\(0?\.?\d/, "a bar per filesystem");

      const disks = await page.$$eval("#disks li", (lis) => lis.map((li) => ({ dev: li.dataset.dev, text: li.innerText })));
      assert.deepEqual(disks.map((d) => d.dev), ["mmcblk0", "sda", "zram0"]);
      // 2410024 sectors of 512 bytes = 1233932288 B = 1.1 GiB.
      assert.match(disks[0].text, /written since boot 1\.1\s*GiB/, disks[0].text);
      const disk = await page.evaluate(() => window.sbcmon.state.charts.disk.u.series.slice(1).map((s) => s.label));
      assert.deepEqual(disk, ["mmcblk0 read", "mmcblk0 write", "sda read", "sda write", "zram0 read", "zram0 write"]);

      const ifs = await page.$$eval("#ifaces li", (lis) => lis.map((li) => ({ name: li.dataset.if, text: li.innerText })));
      assert.deepEqual(ifs.map((i) => i.name), ["eth0", "wlan0"]);
      assert.match(ifs[0].text, /link up · 1 Gb\/s/);
      assert.match(ifs[1].text, /link down/);

      // No part of the new cards pushes the page sideways.
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, `horizontal scroll: ${width} px`);
      await page.screenshot({ path: path.join(screenshotDir(), `vitals-phone-${colorScheme}.png`), fullPage: true });
      assert.deepEqual(page.errors, [], "no console errors (a CSP violation would be one)");
      await page.context().close();
    });
  }

  it("the network chart toggles between the sum and one pair of series per interface", async () => {
    const page = await openPage(browser, sbc.url, { viewport: { width: 360, height: 780 } });
    await waitFor(async () => (await samples(page)) >= 1, 10000, "a live sample");
    const labels = () => page.evaluate(() => window.sbcmon.state.charts.net.u.series.slice(1).map((s) => s.label));
    assert.deepEqual(await labels(), ["rx", "tx"]);
    await page.click('[data-net="split"]');
    assert.deepEqual(await labels(), ["eth0 rx", "eth0 tx", "wlan0 rx", "wlan0 tx"]);
    assert.equal(await page.evaluate(() => localStorage.getItem("sbcmon.net")), "split");
    await page.click('[data-net="sum"]');
    assert.deepEqual(await labels(), ["rx", "tx"]);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it("the banner goes away when the zone cools down", async () => {
    const page = await openPage(browser, sbc.url, { viewport: { width: 360, height: 780 } });
    await waitFor(() => page.evaluate(() => !document.getElementById("alerts").hidden), 10000, "the banner");
    swap(dir, TEMP, TEMP);
    await waitFor(() => page.evaluate(() => document.getElementById("alerts").hidden), 10000, "the banner to go");
    swap(dir, TEMP, `${TEMP}.hot`);
    await page.context().close();
  });
});

describe("page: the processes view", { skip }, () => {
  let sbc, browser, dir;
  before(async () => {
    dir = fixtureCopy("pi4");
    sbc = await startSbcmon({ args: ["--proc-root", dir, "--sys-root", path.join(dir, "sys")] });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await sbc?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const colorScheme of ["light", "dark"]) {
    it(`at 360 px (${colorScheme}): Show subscribes and lists processes, Hide stops them`, async () => {
      const page = await openPage(browser, sbc.url, { viewport: { width: 360, height: 780 }, colorScheme });
      await waitFor(async () => (await samples(page)) >= 2, 10000, "live samples");
      const procEvents = () => page.evaluate(() => window.sbcmon.log.filter((e) => e.ev === "processes").length);
      assert.equal(await procEvents(), 0, "no scan until the view is open");
      await page.click("#proc-toggle");
      // Two scans: the second has CPU figures (the fixture's counters do not move: 0.0 %).
      await waitFor(() => page.evaluate(() => document.querySelectorAll("#proc-cpu li").length === 5), 10000, "the CPU list");
      const cpu = await page.$$eval("#proc-cpu li", (lis) => lis.map((li) => li.innerText));
      assert.ok(cpu.some((t) => t.includes("(my app) v2") && /pid 2001 · www-data · sleeping/.test(t)), cpu.join("\n"));
      assert.ok(cpu.some((t) => /zombie/.test(t) && /pid 1234/.test(t)), cpu.join("\n"));
      const rss = await page.$$eval("#proc-rss li", (lis) => lis.map((li) => li.dataset.pid));
      assert.deepEqual(rss, ["812", "2001", "1", "3003", "1234"]);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 360, `horizontal scroll: ${width} px`);
      await page.locator("#proc-card").screenshot({ path: path.join(screenshotDir(), `vitals-processes-${colorScheme}.png`) });
      await page.click("#proc-toggle");
      assert.equal(await page.evaluate(() => localStorage.getItem("sbcmon.procs")), "0");
      const n = await procEvents();
      const s = await samples(page);
      await waitFor(async () => (await samples(page)) >= s + 4, 10000, "four more samples");
      assert.ok((await procEvents()) <= n + 1, "the board stopped sending processes");
      assert.deepEqual(page.errors, []);
      await page.context().close();
    });
  }
});
