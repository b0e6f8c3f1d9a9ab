// The page over HTTPS/WSS (--tls with its self-signed certificate) in real
// Chromium: a user who accepted the certificate sees live data, and the
// websocket runs over TLS on the same port.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { BIN, HOST, skipReason, freePort, launchBrowser, openPage, waitFor } from "./lib.mjs";

const skip = skipReason() ?? false;

function httpsStatus(port) {
  return new Promise((resolve) => {
    const req = https.get({ host: HOST, port, path: "/", rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => { req.destroy(); resolve(0); });
  });
}

describe("page over TLS", { skip }, () => {
  let proc, port, browser, stateDir;
  let output = "";
  before(async () => {
    port = await freePort();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "sbcmon-tls-page-"));
    proc = spawn(BIN, ["--port", String(port), "--bind", HOST, "--interval", "200", "--tls", "--state-dir", stateDir],
      { stdio: ["ignore", "pipe", "pipe"] });
    proc.stderr.on("data", (d) => (output += d));
    await waitFor(async () => (await httpsStatus(port)) === 200, 10000, `sbcmon to serve HTTPS on ${port}`);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    proc?.kill("SIGTERM");
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("goes live over https and wss with no console errors", async () => {
    const page = await openPage(browser, null, { ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    const sockets = [];
    page.on("websocket", (ws) => sockets.push(ws.url()));
    await page.goto(`https://${HOST}:${port}/`);
    await waitFor(async () => (await page.evaluate(() => window.sbcmon.log.filter((e) => e.ev === "sample").length)) >= 3,
      15000, `three live samples over TLS (sbcmon said: ${output})`);
    assert.equal(await page.getAttribute("#status", "data-state"), "live");
    assert.ok(sockets.some((u) => u.startsWith(`wss://${HOST}:${port}/socket.io/`)),
      `the page upgraded to a TLS websocket: ${JSON.stringify(sockets)}`);
    assert.deepEqual(page.errors, []);
  });
});
