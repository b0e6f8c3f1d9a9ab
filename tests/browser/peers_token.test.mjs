// The fleet token in real Chromium: two boards share one --token-file token, a
// third has its own. The Boards view on the first uses the token the page holds
// for every peer; only the board that refuses it asks, once, in its own card.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { TOKEN, tempDir } from "../security/lib.mjs";
import { skipReason, startSbcmon, launchBrowser, openPage, waitFor, freePort } from "./lib.mjs";

const skip = skipReason() ?? false;
const OTHER = "other-board-token-4c2e9d";

const cards = (page) => page.evaluate(() => Object.fromEntries([...document.querySelectorAll("#board-cards .bcard")].map((a) => [
  a.dataset.origin, { state: a.dataset.state, seq: Number(a.dataset.seq || -1), forms: a.querySelectorAll("form").length },
])));

describe("Boards view: one fleet token, one question for the board that refuses it", { skip }, () => {
  let tmp, browser;
  const sbcs = {};
  before(async () => {
    tmp = tempDir("peer-token");
    const file = (name, token) => { const f = path.join(tmp.dir, name); fs.writeFileSync(f, token + "\n", { mode: 0o600 }); return f; };
    const fleet = file("fleet", TOKEN);
    const own = file("own", OTHER);
    const ports = { a: await freePort(), b: await freePort(), c: await freePort() };
    const url = (n) => `http://127.0.0.1:${ports[n]}`;
    const peers = (me) => Object.keys(ports).filter((n) => n !== me).flatMap((n) => ["--peer", url(n)]);
    sbcs.a = await startSbcmon({ port: ports.a, args: ["--token-file", fleet, ...peers("a")] });
    sbcs.b = await startSbcmon({ port: ports.b, args: ["--token-file", fleet, ...peers("b")] });
    sbcs.c = await startSbcmon({ port: ports.c, args: ["--token-file", own, ...peers("c")] });
    for (const n of Object.keys(sbcs)) sbcs[n].origin = url(n);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    for (const s of Object.values(sbcs)) await s.stop();
    tmp?.remove();
  });

  it("the page's token opens the peers that share it and the other board asks once", async () => {
    const page = await openPage(browser, sbcs.a.url, { viewport: { width: 1280, height: 800 } });
    await page.locator("#auth").waitFor({ state: "visible", timeout: 10000 });
    await page.fill("#auth-token", TOKEN);
    await page.click("#auth button[type=submit]");
    const first = await waitFor(async () => {
      const c = await cards(page);
      return c[sbcs.b.origin]?.state === "live" && c[sbcs.c.origin]?.state === "locked" ? c : null;
    }, 15000, "the sharing peer live and the other one asking");
    assert.equal(first[sbcs.b.origin].forms, 0, "the board that shares the token never asks");
    assert.equal(first[sbcs.c.origin].forms, 1);
    const form = page.locator(`.bcard[data-origin="${sbcs.c.origin}"] form`);
    await form.locator("input").fill(OTHER);
    await form.locator("button").click();
    const after = await waitFor(async () => {
      const c = await cards(page);
      return Object.values(c).length === 3 && Object.values(c).every((x) => x.state === "live" && x.seq >= 0) ? c : null;
    }, 15000, "every card live");
    assert.ok(Object.values(after).every((x) => x.forms === 0), JSON.stringify(after));
    // The token is kept per board, so a reload asks nothing of either.
    await page.reload();
    await waitFor(async () => {
      const c = await cards(page);
      return Object.values(c).length === 3 && Object.values(c).every((x) => x.state === "live" && x.forms === 0);
    }, 15000, "every card live again without a question");
    assert.ok(await page.locator("#auth").isHidden());
  });
});
