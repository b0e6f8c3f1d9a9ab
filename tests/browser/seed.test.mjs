// The tutorial sbcmon grew from still works: its own page (seed/cpumem.html,
// verbatim, jQuery + ECharts + socket.io-client) plots sbcmon's `/test`
// namespace `server_response` events. The page connects to its own origin, so a
// tiny server here serves it and its ../static/js/ files and reverse-proxies
// /socket.io/ (HTTP polling and the WebSocket upgrade) to sbcmon.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { skipReason, startSbcmon, launchBrowser, openPage, waitFor, HOST } from "./lib.mjs";

const skip = skipReason() ?? false;
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const pkgDir = (name) => path.dirname(require.resolve(`${name}/package.json`));

// The seed names its scripts by the files the tutorial shipped.
const STATIC = {
  "/static/js/jquery-3.5.1.min.js": () => path.join(pkgDir("jquery"), "dist/jquery.min.js"),
  "/static/js/socket.io.min.js": () => path.join(pkgDir("socket.io-client"), "dist/socket.io.min.js"),
  "/static/js/echarts.min.js": () => path.join(pkgDir("echarts"), "dist/echarts.min.js"),
};

function startSeedServer(upstreamPort) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (url.pathname.startsWith("/socket.io/")) {
      const up = http.request({ host: HOST, port: upstreamPort, method: req.method, path: req.url,
        headers: req.headers, agent: false }, (ur) => {
        res.writeHead(ur.statusCode, ur.headers);
        ur.pipe(res);
      });
      up.on("error", () => { res.writeHead(502); res.end(); });
      req.pipe(up);
      return;
    }
    if (url.pathname === "/favicon.ico") { res.writeHead(204); res.end(); return; }
    const file = url.pathname === "/" || url.pathname === "/cpumem.html"
      ? path.join(here, "seed/cpumem.html") : STATIC[url.pathname]?.();
    if (!file) { res.writeHead(404); res.end(); return; }
    const type = file.endsWith(".html") ? "text/html; charset=utf-8" : "text/javascript";
    res.writeHead(200, { "content-type": type });
    res.end(fs.readFileSync(file));
  });
  // WebSocket upgrade: replay the request head to sbcmon, then splice the sockets.
  server.upgrades = 0;
  server.on("upgrade", (req, client, head) => {
    server.upgrades++;
    const up = net.connect(upstreamPort, HOST, () => {
      let h = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) h += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      up.write(h + "\r\n");
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    const end = () => { up.destroy(); client.destroy(); };
    up.on("error", end);
    client.on("error", end);
    up.on("close", end);
    client.on("close", end);
  });
  return new Promise((resolve) => server.listen(0, HOST, () => resolve(server)));
}

describe("the tutorial's cpumem.html against sbcmon's /test namespace", { skip }, () => {
  let sbc, seed, browser;
  before(async () => {
    sbc = await startSbcmon();
    seed = await startSeedServer(sbc.port);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    seed?.closeAllConnections?.();
    await new Promise((r) => (seed ? seed.close(r) : r()));
    await sbc?.stop();
  });

  it("plots server_response points in its ECharts chart", async () => {
    const url = `http://${HOST}:${seed.address().port}/cpumem.html`;
    const page = await openPage(browser, url);
    // The seed keeps a 10-slot window that starts as ten blanks; real points
    // replace them as `server_response` events arrive.
    const got = await waitFor(() => page.evaluate(() => {
      const opt = echarts.getInstanceByDom(document.getElementById("main")).getOption();
      const times = opt.xAxis[0].data.filter((t) => /^\d\d:\d\d$/.test(t));
      const cpu = opt.series[0].data;
      return times.length >= 3 ? { times, cpu } : null;
    }), 15000, "three points in the seed's chart");
    assert.ok(got.cpu.slice(-3).every((v) => typeof v === "number" && v >= 0 && v <= 100), `cpu values: ${got.cpu}`);
    // The client upgraded from polling to a WebSocket through the proxy, as it does live.
    assert.ok(seed.upgrades >= 1, "a WebSocket upgrade went through to sbcmon");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
