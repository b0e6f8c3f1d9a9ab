// Cross-site WebSocket hijacking in real Chromium: a page from another origin
// (a second local HTTP server on another port) tries to open Engine.IO sessions
// on sbcmon with the visitor's browser. It is refused (websocket fails, the
// polling handshake gets 403 {code 4}); sbcmon's own page works; with
// --allow-origin naming that origin, the other page gets in.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { launchBrowser, openPage, skipReason as browserSkip, waitFor } from "./lib.mjs";
import { HOST, startSbcmon } from "../security/lib.mjs";

const skip = browserSkip() ?? false;

// What the other site's page runs: a websocket and an XHR polling handshake to
// sbcmon, results in window.results.
const ATTACK_JS = `
window.results = { wsFrames: [] };
const target = new URLSearchParams(location.search).get('target');
const ws = new WebSocket('ws://' + target + '/socket.io/?EIO=4&transport=websocket');
ws.onopen = () => { results.wsOpen = true; };
ws.onmessage = (e) => {
  results.wsFrames.push(String(e.data));
  if (String(e.data).startsWith('0{')) ws.send('40');
};
ws.onerror = () => { results.wsError = true; };
ws.onclose = (e) => { results.wsClosed = e.code; };
const x = new XMLHttpRequest();
x.open('GET', 'http://' + target + '/socket.io/?EIO=4&transport=polling');
x.onload = () => { results.xhrStatus = x.status; results.xhrText = x.responseText; };
x.onerror = () => { results.xhrError = true; };
x.send();
`;

/** The other site: serves / (a page loading /attack.js) and /attack.js on its own port. */
function startOtherSite() {
  const srv = http.createServer((req, res) => {
    if (req.url.startsWith("/attack.js")) {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(ATTACK_JS);
    } else {
      res.writeHead(200, { "content-type": "text/html" });
      res.end('<!doctype html><title>other site</title><script src="/attack.js"></script>');
    }
  });
  return new Promise((resolve) => srv.listen(0, HOST, () => resolve({ srv, port: srv.address().port })));
}

/** Opens the other site's page aimed at sbcmon; resolves {results, polling} once both attempts settled. */
async function attack(browser, other, sbc) {
  const page = await openPage(browser, null);
  // What the server answered, as Chromium's network layer saw it: a response
  // blocked by CORS never reaches the page or playwright's "response" event.
  // CDP does not order an ExtraInfo event after its requestWillBeSent (on a
  // busy machine the status often comes first), so both are kept by request id
  // and joined when the test looks.
  const consoleText = [];
  page.on("console", (m) => consoleText.push(m.text()));
  const cdp = await page.context().newCDPSession(page);
  const urls = new Map();
  const statuses = new Map();
  cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
  cdp.on("Network.responseReceivedExtraInfo", (e) => statuses.set(e.requestId, e.statusCode));
  const pollingSeen = () => [...statuses]
    .map(([id, status]) => ({ status, url: urls.get(id) ?? "" }))
    .filter((r) => r.url.includes("/socket.io/") && r.url.includes("transport=polling"));
  await cdp.send("Network.enable");
  await page.goto(`http://${HOST}:${other.port}/?target=${HOST}:${sbc.port}`);
  let seen = { results: null, polling: [] };
  const results = await waitFor(async () => {
    const r = await page.evaluate(() => window.results);
    seen = { results: r, polling: pollingSeen() };
    const wsDone = r && (r.wsClosed !== undefined || r.wsFrames.length >= 2);
    const xhrDone = r && (r.xhrStatus !== undefined || r.xhrError);
    return wsDone && xhrDone && seen.polling.length > 0 ? r : null;
  }, 20000, () => `both cross-site attempts to settle (page: ${JSON.stringify(seen.results)}, polling seen: ${JSON.stringify(seen.polling)}, requests: ${JSON.stringify([...urls.values()])})`);
  const polling = pollingSeen();
  await page.context().close();
  return { results, polling, consoleText };
}

describe("cross-site page against sbcmon (default: same-origin only)", { skip }, () => {
  let sbc, other, browser;
  before(async () => {
    other = await startOtherSite();
    sbc = await startSbcmon();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await sbc?.stop();
    other?.srv.close();
  });

  it("the other site's websocket fails and its polling handshake gets 403 {code 4}", async () => {
    const { results, polling, consoleText } = await attack(browser, other, sbc);
    assert.notEqual(results.wsOpen, true, `the cross-site websocket opened: ${JSON.stringify(results)}`);
    assert.deepEqual(results.wsFrames, [], "no Engine.IO packet reached the other site");
    assert.ok(consoleText.some((t) => /WebSocket.*403/.test(t)), `websocket refused with 403: ${consoleText}`);
    // The body ({"code":4,"message":"Forbidden"}) is checked with raw requests in
    // tests/integration/security_headers.test.mjs; here, what the browser met.
    assert.equal(polling[0].status, 403, `polling: ${JSON.stringify(polling)}`);
    assert.notEqual(results.xhrStatus, 200, "the other site read no handshake");
    assert.ok(!String(results.xhrText ?? "").includes('"sid"'), "no session id leaked");
  });

  it("sbcmon's own page, same-origin, works: live data and an open websocket", async () => {
    const page = await openPage(browser, `${sbc.url}/`);
    await waitFor(async () => (await page.evaluate(() => window.sbcmon.log.some((e) => e.ev === "sample"))), 8000, "live data");
    const frames = await page.evaluate(() => new Promise((resolve) => {
      const got = [];
      const ws = new WebSocket(`ws://${location.host}/socket.io/?EIO=4&transport=websocket`);
      ws.onmessage = (e) => {
        got.push(String(e.data));
        if (got.length === 1) ws.send("40");
        if (got.some((f) => f.startsWith('42["sample"'))) { ws.close(); resolve(got); }
      };
      ws.onclose = () => resolve(got);
      setTimeout(() => { ws.close(); resolve(got); }, 5000);
    }));
    assert.match(frames[0] ?? "", /^0\{"sid"/);
    assert.ok(frames.some((f) => f.startsWith('42["board"')), `same-origin websocket got data: ${frames.slice(0, 3)}`);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe("--allow-origin names the other site", { skip }, () => {
  let sbc, other, browser;
  before(async () => {
    other = await startOtherSite();
    sbc = await startSbcmon({ args: ["--allow-origin", `http://${HOST}:${other.port}`] });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await sbc?.stop();
    other?.srv.close();
  });

  it("lets its websocket in: open packet and data", async () => {
    const { results, polling } = await attack(browser, other, sbc);
    assert.equal(results.wsOpen, true, JSON.stringify(results));
    assert.match(results.wsFrames[0], /^0\{"sid"/);
    assert.ok(results.wsFrames.some((f) => f.startsWith("40")), `CONNECT answered: ${results.wsFrames.slice(0, 3)}`);
    assert.equal(polling[0].status, 200, "the polling handshake is accepted by the server");
  });

  // A page on an allowed origin using socket.io-client's default transports
  // starts with XHR polling, which the browser lets it read only with CORS headers.
  it("lets its XHR polling handshake be read (Access-Control-Allow-Origin)", async () => {
    const { results } = await attack(browser, other, sbc);
    assert.equal(results.xhrStatus, 200, `the allowed origin could not read the handshake (xhrError: ${results.xhrError}; no Access-Control-Allow-Origin on the polling response)`);
    assert.match(results.xhrText, /"sid"/);
  });
});
