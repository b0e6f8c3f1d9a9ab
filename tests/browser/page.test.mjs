// The embedded page in a real headless Chromium against the real sbcmon: what a
// person opening http://<board>:8080/ would see, on a desktop and on a phone.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { io } from "socket.io-client";
import {
  skipReason, startSbcmon, launchBrowser, openPage, waitFor, sleep, fixtureCopy, screenshotDir,
} from "./lib.mjs";

const skip = skipReason() ?? false;

// The page's own event log (window.sbcmon.log): board, history, draw, sample, ...
const events = (page) => page.evaluate(() => window.sbcmon.log.map((e) => ({ ...e })));
const status = (page) => page.getAttribute("#status", "data-state");

/** The history sbcmon holds right now, as a fresh official client gets it. */
async function serverHistory(port) {
  const sock = io(`http://127.0.0.1:${port}/`, { transports: ["websocket"], reconnection: false });
  try {
    return await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("no history event")), 5000);
      sock.on("history", (h) => { clearTimeout(t); resolve(h); });
      sock.on("connect_error", reject);
    });
  } finally {
    sock.close();
  }
}

describe("page on the host's own /proc and /sys", { skip }, () => {
  let sbc, browser;
  before(async () => {
    sbc = await startSbcmon();
    browser = await launchBrowser();
    await sleep(1200);  // a few samples of history before the page opens
  });
  after(async () => {
    await browser?.close();
    await sbc?.stop();
  });

  it("loads with no console errors, draws history before the first live sample, then moves", async () => {
    const page = await openPage(browser, sbc.url, { viewport: { width: 1280, height: 900 } });
    await waitFor(async () => (await events(page)).filter((e) => e.ev === "sample").length >= 3, 10000, "three live samples");
    const log = await events(page);
    const firstSample = log.findIndex((e) => e.ev === "sample");
    const hist = log.find((e) => e.ev === "history");
    assert.ok(hist, "the page got a history event");
    assert.ok(hist.n >= 3, `history held samples (got ${hist.n})`);
    // The first frame with data already holds the whole history: the chart never
    // starts empty and fills from live samples. (A sample that arrives in the same
    // polling payload as the history may share that frame. The store's rows may be
    // more than the samples: a stall on a loaded machine is drawn as a gap row.)
    const histAt = log.indexOf(hist);
    assert.ok(histAt < firstSample, "history came before the first live sample");
    const firstDraw = log.find((e) => e.ev === "draw" && e.chart === "cpu" && e.n > 0);
    const samplesBefore = log.slice(0, log.indexOf(firstDraw)).filter((e) => e.ev === "sample").length;
    assert.ok(firstDraw.n >= hist.rows && firstDraw.n <= hist.rows + 2 * samplesBefore,
      `the first CPU frame drew the history: ${JSON.stringify(log.slice(0, firstSample + 2))}`);
    assert.equal(await status(page), "live");

    // One series per core plus the total; every core online on the host.
    const shape = await page.evaluate(() => {
      const u = window.sbcmon.state.charts.cpu.u;
      const s = window.sbcmon.store.latest;
      return { labels: u.series.slice(1).map((x) => x.label), cores: window.sbcmon.state.board.cores,
        online: s.cpu.filter((v) => v !== null).length };
    });
    assert.equal(shape.online, shape.cores, "every host core is online");
    assert.deepEqual(shape.labels, ["total", ...Array.from({ length: shape.cores }, (_, i) => `cpu${i}`)]);
    assert.equal(await page.locator("#cpu-chart .u-legend .u-series").count(), shape.cores + 2, "legend: x + total + cores");

    // A live sample moves the chart: newer data and a later x window.
    const before = await page.evaluate(() => {
      const u = window.sbcmon.state.charts.cpu.u;
      return { last: u.data[0].at(-1), n: u.data[0].length, max: u.scales.x.max };
    });
    await sleep(700);
    const later = await page.evaluate(() => {
      const u = window.sbcmon.state.charts.cpu.u;
      return { last: u.data[0].at(-1), n: u.data[0].length, max: u.scales.x.max };
    });
    assert.ok(later.last > before.last, `newest point moved on (${before.last} -> ${later.last})`);
    assert.ok(later.n > before.n, "points were added");
    assert.ok(later.max > before.max, "the x window scrolled");

    // The tab title carries the current total CPU %.
    assert.match(await page.title(), /^\d+% · .+ — sbcmon$/);
    assert.match(await page.textContent("#cpu-total"), /^\d+(\.\d)?%$/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it("toggles a core from the legend and shows values on hover", async () => {
    const page = await openPage(browser, sbc.url, { viewport: { width: 1280, height: 900 } });
    await waitFor(() => page.evaluate(() => window.sbcmon?.state.charts.cpu?.u.data[0].length > 2), 10000, "the chart");
    await page.locator("#cpu-chart .u-legend .u-series").nth(2).click();  // cpu0
    assert.equal(await page.evaluate(() => window.sbcmon.state.charts.cpu.u.series[2].show), false);
    const box = await page.locator("#cpu-chart .u-over").boundingBox();
    await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2);
    await waitFor(() => page.evaluate(() => window.sbcmon.state.charts.cpu.u.cursor.idx != null), 3000, "a hovered point");
    const cell = await page.locator("#cpu-chart .u-legend .u-series").nth(1).locator(".u-value").textContent();
    assert.match(cell, /^\d+(\.\d)?%$/, "the legend shows the hovered total");
    await page.mouse.move(0, 0);

    // Window choice: 1 min shows 60 s of time, and is remembered.
    await page.click('[data-win="60"]');
    // (Until a minute of history exists the window shows what there is.)
    const w = await page.evaluate(() => {
      const x = window.sbcmon.state.charts.cpu.u.scales.x, ts = window.sbcmon.store.ts;
      return { span: x.max - x.min, held: ts.at(-1) - ts[0] };
    });
    assert.ok(w.span <= 60.001 && w.span >= Math.min(60, w.held) - 0.5, `1 min window spans ${w.span} s (${w.held} s held)`);
    assert.equal(await page.evaluate(() => localStorage.getItem("sbcmon.window")), "60");

    // Pause freezes the chart while samples keep coming; resume catches up.
    await page.click("#pause");
    assert.equal(await status(page), "paused");
    const frozen = await page.evaluate(() => window.sbcmon.state.charts.cpu.u.data[0].length);
    const seen = (await events(page)).filter((e) => e.ev === "sample").length;
    await waitFor(async () => (await events(page)).filter((e) => e.ev === "sample").length >= seen + 2, 5000, "samples while paused");
    assert.equal(await page.evaluate(() => window.sbcmon.state.charts.cpu.u.data[0].length), frozen, "paused chart did not move");
    await page.click("#pause");
    assert.equal(await status(page), "live");
    assert.ok(await page.evaluate(() => window.sbcmon.state.charts.cpu.u.data[0].length) > frozen, "resumed chart caught up");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it("fits a 360 px phone and renders light and dark (screenshots)", async () => {
    const dir = screenshotDir();
    const shots = [
      ["desktop-light", { width: 1280, height: 900 }, "light", 1],
      ["desktop-dark", { width: 1280, height: 900 }, "dark", 1],
      ["phone-light", { width: 360, height: 780 }, "light", 2],
      ["phone-dark", { width: 360, height: 780 }, "dark", 2],
    ];
    for (const [name, viewport, colorScheme, deviceScaleFactor] of shots) {
      const page = await openPage(browser, sbc.url, { viewport, colorScheme, deviceScaleFactor });
      await waitFor(async () => (await events(page)).filter((e) => e.ev === "sample").length >= 2, 10000, "live samples");
      await sleep(300);
      const m = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
        bg: getComputedStyle(document.body).backgroundColor,
        fg: getComputedStyle(document.body).color,
      }));
      assert.ok(m.scroll <= m.inner, `${name}: no horizontal scroll (${m.scroll} > ${m.inner})`);
      const lum = (c) => c.match(/\d+/g).slice(0, 3).reduce((a, v) => a + Number(v), 0) / 3;
      if (colorScheme === "dark") assert.ok(lum(m.bg) < 50 && lum(m.fg) > 180, `${name}: dark theme (${m.bg} on ${m.fg})`);
      else assert.ok(lum(m.bg) > 200 && lum(m.fg) < 80, `${name}: light theme (${m.bg} on ${m.fg})`);
      await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
      assert.deepEqual(page.errors, [], name);
      await page.context().close();
    }
  });
});

describe("reconnect after sbcmon restarts", { skip }, () => {
  let sbc, browser;
  before(async () => {
    sbc = await startSbcmon();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await sbc?.stop();
  });

  it("shows reconnecting, comes back live and backfills without a hole", async () => {
    const page = await openPage(browser, sbc.url);
    await waitFor(async () => (await events(page)).filter((e) => e.ev === "sample").length >= 3, 10000, "live samples");
    const port = sbc.port;
    await sbc.stop();
    await waitFor(async () => (await status(page)) === "reconnecting", 10000, "the reconnecting status");
    const lastBefore = await page.evaluate(() => window.sbcmon.store.lastT);
    assert.match(await page.title(), /^⟳/);
    await sleep(500);
    sbc = await startSbcmon({ port });
    await waitFor(async () => (await status(page)) === "live", 15000, "live again");
    const back = await waitFor(async () => (await events(page)).find((e) => e.ev === "backfill"), 10000, "the backfill ack");
    assert.equal(back.since, lastBefore, "asked for what came after the last sample it had");
    assert.ok(back.first === null || back.first > back.since, `the ack held only newer samples (${back.first} > ${back.since})`);
    await waitFor(async () => (await events(page)).filter((e) => e.ev === "sample" && e.at > back.at).length >= 2, 10000, "new live samples");

    // Everything the restarted server holds up to our newest point is in the chart.
    const h = await serverHistory(port);
    const got = await page.evaluate(() => ({ ts: window.sbcmon.store.ts.slice(), lastT: window.sbcmon.store.lastT }));
    const have = new Set(got.ts.map((s) => Math.round(s * 1000)));
    const missing = h.t.filter((t) => t <= got.lastT && !have.has(t));
    assert.deepEqual(missing, [], "no samples missing after the reconnect");
    for (let i = 1; i < got.ts.length; i++) assert.ok(got.ts[i] > got.ts[i - 1], "time only moves forward");
    assert.ok(got.lastT > lastBefore);
    assert.deepEqual(page.errors.filter((e) => !/ERR_CONNECTION_REFUSED|WebSocket connection/.test(e)), []);
    await page.context().close();
  });
});

describe("page on a Raspberry Pi 4 fixture", { skip }, () => {
  let sbc, browser, root;
  before(async () => {
    root = fixtureCopy("pi4");
    const fw = path.join(root, "sys/devices/platform/soc/soc:firmware");
    fs.copyFileSync(path.join(fw, "get_throttled.undervoltage"), path.join(fw, "get_throttled"));
    sbc = await startSbcmon({ args: ["--proc-root", root, "--sys-root", path.join(root, "sys")] });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await sbc?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("shows the board, its temperature against limits, the power badge, and remembers °F", async () => {
    const page = await openPage(browser, sbc.url, { viewport: { width: 1280, height: 900 } });
    await waitFor(async () => (await events(page)).some((e) => e.ev === "sample"), 10000, "a live sample");
    assert.equal(await page.textContent("#model"), "Raspberry Pi 4 Model B Rev 1.4");
    assert.equal(await page.textContent("#temp-val"), "47.7 °C");
    assert.equal(await page.isVisible("#power"), true);
    assert.equal(await page.getAttribute("#power", "data-level"), "crit");
    assert.match(await page.textContent("#power"), /Under-voltage/);
    await page.click("#unit");
    assert.equal(await page.textContent("#temp-val"), "117.9 °F");
    await page.reload();
    await waitFor(async () => (await page.textContent("#temp-val")) === "117.9 °F", 10000, "°F after a reload");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe("page on a BeagleBone Black fixture", { skip }, () => {
  let sbc, browser;
  before(async () => {
    const root = path.join(process.env.SBCMON_FIXTURES, "bbb");
    sbc = await startSbcmon({ args: ["--proc-root", root, "--sys-root", path.join(root, "sys")] });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await sbc?.stop();
  });

  it("says the temperature sensor is absent and shows no power badge", async () => {
    const page = await openPage(browser, sbc.url);
    await waitFor(async () => (await events(page)).some((e) => e.ev === "sample"), 10000, "a live sample");
    assert.equal(await page.textContent("#temp-val"), "absent");
    assert.equal(await page.isVisible("#power"), false);
    assert.equal(await page.locator("#cpu-chart .u-legend .u-series").count(), 3, "x + total + the one core");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
