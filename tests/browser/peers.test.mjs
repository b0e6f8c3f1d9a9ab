// Many boards, no hub: three sbcmon instances (the Pi 4 fixture, the BeagleBone
// fixture, the live host), each naming the other two with --peer, and a fourth
// that names them but that none of them names. In real Chromium the Boards view
// on one shows the three as live cards; a killed board turns "unreachable" while
// the others go on; restarted, it comes back with its history; the stranger is
// refused (403) and never gets a card. As root, each instance runs in its own
// network namespace with its own address (origins differ by host); otherwise on
// 127.0.0.1..4 with different ports.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { syntheticLoad } from "../../scripts/synthetic-load.mjs";
import {
  skipReason, startSbcmon, launchBrowser, openPage, waitFor, fixtureCopy, freePort, get, screenshotDir,
} from "./lib.mjs";

const skip = skipReason() ?? false;
const kBoards = ["pi4", "bbb", "live", "stranger"];

// One namespace and veth pair per board, or null when namespaces are not usable here.
function makeNamespaces() {
  if (process.getuid?.() !== 0) return null;
  const tag = String(process.pid % 100000);
  const subnet = 10 + (process.pid % 200);
  const made = [];
  const ip = (...a) => execFileSync("ip", a, { stdio: ["ignore", "ignore", "pipe"] });
  try {
    kBoards.forEach((_, i) => {
      const ns = `sbcpeer-${tag}-${i}`;
      const host = `sbp${tag}h${i}`;
      const peer = `sbp${tag}n${i}`;
      ip("netns", "add", ns);
      made.push({ ns, host, addr: `10.213.${subnet + i}.2` });
      ip("link", "add", host, "type", "veth", "peer", "name", peer);
      ip("link", "set", peer, "netns", ns);
      ip("addr", "add", `10.213.${subnet + i}.1/24`, "dev", host);
      ip("link", "set", host, "up");
      ip("netns", "exec", ns, "ip", "addr", "add", `10.213.${subnet + i}.2/24`, "dev", peer);
      ip("netns", "exec", ns, "ip", "link", "set", peer, "up");
      ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
      ip("netns", "exec", ns, "ip", "route", "add", "default", "via", `10.213.${subnet + i}.1`);
    });
    return made;
  } catch (e) {
    removeNamespaces(made);
    if (process.env.CI === "true") throw new Error(`CI=true and network namespaces failed: ${e.stderr || e.message}`);
    return null;
  }
}

function removeNamespaces(list) {
  for (const n of list || []) {
    try { execFileSync("ip", ["link", "del", n.host], { stdio: "ignore" }); } catch { /* gone with the namespace */ }
    try { execFileSync("ip", ["netns", "del", n.ns], { stdio: "ignore" }); } catch { /* never made */ }
  }
}

// A board that is down or refuses us makes Chromium log its failed requests; nothing else may.
const realErrors = (page) => page.errors.filter((e) =>
  !/Failed to load resource|ERR_CONNECTION_REFUSED|WebSocket connection to|blocked by CORS policy/.test(e));

const cardsOf = (page) => page.evaluate(() => [...document.querySelectorAll("#board-cards .bcard")].map((a) => ({
  origin: a.dataset.origin, state: a.dataset.state, seq: Number(a.dataset.seq || -1),
  history: Number(a.dataset.history || 0), name: a.querySelector("h3").textContent,
  model: a.querySelector(".sub").textContent, cpu: a.querySelector(".bbig").textContent,
  status: a.querySelector(".bstate").textContent, cores: a.querySelectorAll(".bcores i").length,
  facts: [...a.querySelectorAll(".bfacts div")].map((d) => `${d.firstChild.textContent} ${d.lastChild.textContent}`).join(" · "), href: a.getAttribute("href"),
  spark: (a.querySelector("polyline").getAttribute("points") || "").split(" ").filter(Boolean).length,
  visible: a.getBoundingClientRect().height > 0,
})));

describe("Boards view: three boards watched from one page, no hub", { skip }, () => {
  let nets, browser, page;
  const boards = {};
  const loads = [];
  let feeder;
  const dirs = [];

  const origin = (b) => `http://${b.host}:${b.port}`;
  async function start(name, peers) {
    const b = boards[name];
    const args = [...b.args, ...peers.map((p) => `--peer=${origin(boards[p])}/`)];
    b.sbc = await startSbcmon({ host: b.host, port: b.port, args, wrap: b.wrap });
  }

  before(async () => {
    nets = makeNamespaces();
    for (const [i, name] of kBoards.entries()) {
      const n = nets && nets[i];
      const b = { host: n ? n.addr : `127.0.0.${i + 1}`, wrap: n ? ["ip", "netns", "exec", n.ns] : [], args: [] };
      b.port = await freePort();
      if (name === "pi4" || name === "bbb") {
        const dir = fixtureCopy(name);
        dirs.push(dir);
        loads.push(syntheticLoad(dir));
        b.args = ["--proc-root", dir, "--sys-root", path.join(dir, "sys")];
      }
      boards[name] = b;
    }
    for (const l of loads) l.step(0.1);
    feeder = setInterval(() => { for (const l of loads) l.step(0.2); }, 200);
    await start("pi4", ["bbb", "live"]);
    await start("bbb", ["pi4", "live"]);
    await start("live", ["pi4", "bbb"]);
    await start("stranger", ["pi4", "bbb", "live"]);
    browser = await launchBrowser();
  });
  after(async () => {
    clearInterval(feeder);
    await browser?.close();
    for (const b of Object.values(boards)) await b.sbc?.stop();
    removeNamespaces(nets);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("shows three live cards with the right models and moving figures", async () => {
    page = await openPage(browser, boards.pi4.sbc.url, { viewport: { width: 1280, height: 800 } });
    // Peers configured and a wide window: the Boards view is the default.
    await waitFor(() => page.evaluate(() => document.body.classList.contains("boards")), 10000, "the Boards view");
    const live = await waitFor(async () => {
      const c = await cardsOf(page);
      return c.length === 3 && c.every((x) => x.state === "live" && x.seq >= 0) ? c : null;
    }, 15000, "three live cards");
    const byOrigin = Object.fromEntries(live.map((c) => [c.origin, c]));
    assert.deepEqual(Object.keys(byOrigin).sort(), ["pi4", "bbb", "live"].map((n) => origin(boards[n])).sort());
    const pi4 = byOrigin[origin(boards.pi4)];
    const bbb = byOrigin[origin(boards.bbb)];
    const host = byOrigin[origin(boards.live)];
    assert.match(pi4.model, /Raspberry Pi 4 Model B/);
    assert.equal(pi4.name, "pi4");
    assert.equal(pi4.cores, 4);
    assert.match(pi4.facts, /Temp\s*\d+\.\d\s*°C/);
    assert.match(pi4.facts, /Power\s*OK/);
    assert.match(pi4.facts, /Fullest\s*\/\S*\s*\d+%/);
    assert.match(bbb.model, /BeagleBone Black/);
    assert.equal(bbb.name, "beaglebone");
    assert.equal(bbb.cores, 1);
    assert.doesNotMatch(host.model, /Raspberry|BeagleBone/);
    assert.ok(host.model.length > 0, JSON.stringify(host));
    // Clicking a peer's card opens that board's own page.
    assert.equal(bbb.href, origin(boards.bbb) + "/");
    // Moving figures: every card keeps receiving samples, and the loaded fixture's CPU changes.
    const cpuSeen = new Set();
    await waitFor(async () => {
      const now = Object.fromEntries((await cardsOf(page)).map((c) => [c.origin, c]));
      cpuSeen.add(now[origin(boards.pi4)].cpu);
      return live.every((c) => now[c.origin].seq >= c.seq + 3) && cpuSeen.size >= 2;
    }, 10000, "samples moving on every card");
    assert.deepEqual(realErrors(page), []);
    await page.screenshot({ path: path.join(screenshotDir(), "boards.png") });
  });

  it("refuses the stranger (403) and never shows its card", async () => {
    const stranger = origin(boards.stranger);
    for (const name of ["pi4", "bbb", "live"]) {
      const b = boards[name];
      const path = "/socket.io/?EIO=4&transport=polling";
      assert.equal((await get(b.port, path, { Origin: stranger }, b.host)).status, 403, name);
      const peer = origin(boards[name === "pi4" ? "bbb" : "pi4"]);
      assert.equal((await get(b.port, path, { Origin: peer }, b.host)).status, 200, name);
    }
    // The stranger's own page finds every board it names refusing it.
    const sp = await openPage(browser, boards.stranger.sbc.url, { viewport: { width: 1280, height: 800 } });
    const seen = await waitFor(async () => {
      const c = await cardsOf(sp);
      return c.length === 4 && c.filter((x) => x.origin !== stranger).every((x) => x.state === "down") ? c : null;
    }, 15000, "the stranger's page to find the boards refusing it");
    assert.ok(seen.filter((x) => x.origin !== stranger).every((x) => x.seq < 0 && /unreachable since \d\d:\d\d/.test(x.status)));
    await sp.context().close();
    const cards = await cardsOf(page);
    assert.equal(cards.length, 3);
    assert.ok(!cards.some((c) => c.origin === stranger));
  });

  it("a killed board turns unreachable while the others go on; restarted, it is back with its history", async () => {
    const bbbOrigin = origin(boards.bbb);
    boards.bbb.sbc.proc.kill("SIGKILL");
    const down = await waitFor(async () => {
      const c = (await cardsOf(page)).find((x) => x.origin === bbbOrigin);
      return c.state === "down" ? c : null;
    }, 5000, "the killed board's card to turn unreachable");
    assert.match(down.status, /^unreachable since \d\d:\d\d$/);
    const others = (await cardsOf(page)).filter((c) => c.origin !== bbbOrigin);
    await waitFor(async () => {
      const now = await cardsOf(page);
      return others.every((o) => { const n = now.find((x) => x.origin === o.origin); return n.state === "live" && n.seq >= o.seq + 5; });
    }, 10000, "the other cards to keep updating");
    assert.equal((await cardsOf(page)).find((x) => x.origin === bbbOrigin).state, "down");

    await start("bbb", ["pi4", "live"]);
    // The retries back off (1 s doubling to 30 s, each ±50 %), and an attempt that meets
    // the board still starting can wait out the page's 10 s per-attempt timeout before the
    // next one: on a loaded machine the card can take 30 + 10 s and more to come back.
    // A retry can also land in the board's first tick after the restart, while its history
    // is still empty: the card is then back with what the board had, and fills from samples.
    const card = async () => (await cardsOf(page)).find((x) => x.origin === bbbOrigin);
    let seen = null;  // the card as last seen, for the message when it never comes back
    const why = async (e) => {
      const log = await page.evaluate(() => window.sbcmon.log.filter((x) => /^peer-/.test(x.ev)).slice(-12));
      return new Error(`${e.message}; the card: ${JSON.stringify(seen)}; page log: ${JSON.stringify(log)}`);
    };
    const back = await waitFor(async () => {
      seen = await card();
      return seen.state === "live" && seen.seq >= 0 ? seen : null;
    }, 90000, "the restarted board's card to come back").catch(async (e) => { throw await why(e); });
    assert.equal(back.status, "live");
    assert.match(back.model, /BeagleBone Black/);
    await waitFor(async () => {
      seen = await card();
      return seen.state === "live" && seen.seq >= back.seq + 3 && seen.spark >= Math.min(back.spark + 3, 120);
    }, 10000, "the restarted board's card to keep filling").catch(async (e) => { throw await why(e); });
    // Its history: once the board has recorded a few samples, a page opened now draws them.
    await waitFor(async () => {
      const h = await get(boards.bbb.port, "/healthz", {}, boards.bbb.host);
      return JSON.parse(h.text).samples >= 5;
    }, 10000, "the restarted board to record 5 samples");
    await page.reload();
    const drawn = await waitFor(async () => {
      const c = (await cardsOf(page)).find((x) => x.origin === bbbOrigin);
      return c && c.state === "live" && c.history >= 5 ? c : null;
    }, 15000, "a new page to draw the restarted board's history");
    assert.ok(drawn.spark >= drawn.history, JSON.stringify(drawn));
    assert.match(drawn.model, /BeagleBone Black/);
    assert.deepEqual(realErrors(page), []);
  });
});
