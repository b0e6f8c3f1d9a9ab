// DNS rebinding in real Chromium: a name the attacker controls, re-pointed at the
// board (here with --host-resolver-rules), reaches sbcmon with that name as its
// Host, so the page's Origin equals its Host and the origin check alone lets it
// in. sbcmon answers 403 naming --allow-host; the board's own names (IP literals,
// localhost, its hostname and <hostname>.local) and names added with
// --allow-host work, live data included.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import { launchBrowser, openPage, skipReason as browserSkip, waitFor } from "./lib.mjs";
import { HOST, startSbcmon } from "../security/lib.mjs";

const skip = browserSkip() ?? false;
const HOSTNAME = os.hostname();
const REBOUND = "rebind.attacker.test";
const RULES = `--host-resolver-rules=MAP ${REBOUND} ${HOST}, MAP ${HOSTNAME} ${HOST}, ` +
  `MAP ${HOSTNAME}.local ${HOST}, MAP monitor.example.com ${HOST}`;

async function liveAt(browser, url) {
  const page = await openPage(browser, null);
  const res = await page.goto(url);
  assert.equal(res.status(), 200, `${url}: ${res.status()}`);
  await waitFor(async () => page.evaluate(() => window.sbcmon?.log.some((e) => e.ev === "sample")), 8000, `live data at ${url}`);
  assert.deepEqual(page.errors, [], url);
  await page.context().close();
}

async function refusedAt(browser, url) {
  const page = await openPage(browser, null);
  const res = await page.goto(url);
  const status = res.status();
  const text = await res.text();
  // The socket.io handshake under that name is refused too (a navigation, so
  // through Chromium's own resolver like the page).
  const hs = await page.goto(`${new URL(url).origin}/socket.io/?EIO=4&transport=polling`);
  const result = { status, text, hsStatus: hs.status(), hsText: await hs.text() };
  await page.context().close();
  return result;
}

describe("DNS rebinding: the Host allow-list", { skip }, () => {
  let sbc, browser;
  before(async () => {
    sbc = await startSbcmon({});
    browser = await launchBrowser([RULES]);
  });
  after(async () => {
    await browser?.close();
    await sbc?.stop();
  });

  it("a rebound name gets 403 naming --allow-host, for the page and the socket.io handshake", async () => {
    const r = await refusedAt(browser, `http://${REBOUND}:${sbc.port}/`);
    assert.equal(r.status, 403, r.text);
    assert.match(r.text, /--allow-host/);
    assert.equal(r.hsStatus, 403, r.hsText);
    assert.ok(!r.hsText.includes('"sid"'), "no session under the rebound name");
  });

  for (const name of [HOST, "localhost", HOSTNAME, `${HOSTNAME}.local`]) {
    it(`the board's own name ${name} serves the page with live data`, async () => {
      await liveAt(browser, `http://${name}:${sbc.port}/`);
    });
  }
});

describe("--allow-host .example.com", { skip }, () => {
  let sbc, browser;
  before(async () => {
    sbc = await startSbcmon({ args: ["--allow-host", ".example.com"] });
    browser = await launchBrowser([RULES]);
  });
  after(async () => {
    await browser?.close();
    await sbc?.stop();
  });

  it("a name in that domain serves the page with live data", async () => {
    await liveAt(browser, `http://monitor.example.com:${sbc.port}/`);
  });

  it("other names are still refused", async () => {
    const r = await refusedAt(browser, `http://${REBOUND}:${sbc.port}/`);
    assert.equal(r.status, 403, r.text);
  });
});
