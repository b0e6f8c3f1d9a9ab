// The monitor's HTTP side and its process behaviour, as a user or a service
// manager sees them: /healthz, /api/v1/history, the embedded page (gzip, ETag,
// 304, readable without gzip), 404, flag errors (exit 2 naming the flag), a busy
// port, and a clean exit 0 on SIGTERM.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import zlib from "node:zlib";
import { io } from "socket.io-client";
import {
  HOST,
  Recorder,
  assertContiguous,
  fixtureCopy,
  freePort,
  get,
  runToExit,
  skipReason,
  startMonitor,
  withTimeout,
} from "./lib/fixture_tree.mjs";
import { deadline } from "../lib/deadline.mjs";

const PERIOD = 300;
const skip = skipReason();

describe("monitor: HTTP endpoints", { skip }, () => {
  let server;
  let tree;

  before(async () => {
    tree = fixtureCopy("pi4");
    server = await startMonitor(["--interval", `${PERIOD}ms`, "--proc-root", tree.dir, "--sys-root", tree.sys]);
  });

  after(async () => {
    try {
      if (server) await server.stop();
    } finally {
      tree?.remove();
    }
  });

  it("GET /healthz answers 200 with JSON", async () => {
    const r = await get(server.port, "/healthz");
    assert.equal(r.status, 200);
    assert.match(r.headers["content-type"], /^application\/json/);
    const body = JSON.parse(r.text);
    assert.equal(body.status, "ok");
    assert.equal(typeof body.samples, "number");
  });

  it("GET /api/v1/history?since= is the same columnar JSON as the socket's history ack", async () => {
    const socket = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: deadline(5000) });
    const rec = new Recorder(socket);
    try {
      await rec.until(() => rec.named("sample").length >= 3, 3 * PERIOD + 5000, "three samples");
      const h = rec.named("history")[0];
      const samples = rec.named("sample");
      const since = samples[0].t;
      // A tick may land between the two requests: retry until both saw the same ring.
      let same = false;
      let last;
      for (let i = 0; i < 5 && !same; i++) {
        const r = await get(server.port, `/api/v1/history?since=${since}`);
        assert.equal(r.status, 200);
        assert.match(r.headers["content-type"], /^application\/json/);
        const viaHttp = JSON.parse(r.text);
        const viaAck = await socket.timeout(deadline(3000)).emitWithAck("history", { since });
        last = { viaHttp, viaAck };
        same = JSON.stringify(viaHttp.seq) === JSON.stringify(viaAck.seq);
        if (same) assert.deepEqual(viaHttp, viaAck);
      }
      assert.ok(same, `HTTP and ack never agreed: ${JSON.stringify(last)}`);
      const { viaHttp } = last;
      assert.equal(viaHttp.seq[0], samples[0].seq + 1, "since is exclusive");
      assertContiguous(viaHttp.seq, "HTTP history");
      assert.equal(viaHttp.period_ms, PERIOD);

      // Without since: everything, same as the history on connect (plus newer ticks).
      const full = JSON.parse((await get(server.port, "/api/v1/history")).text);
      assert.equal(full.seq[0], h.seq[0] ?? samples[0].seq);
      assertContiguous(full.seq, "HTTP history without since");
      // Garbage since means everything, not an error or nothing.
      const junk = await get(server.port, "/api/v1/history?since=abc");
      assert.equal(junk.status, 200);
      assert.equal(JSON.parse(junk.text).seq[0], full.seq[0]);
    } finally {
      socket.disconnect();
    }
  });

  it("GET / with Accept-Encoding: gzip is gzipped, has an ETag, and If-None-Match gives 304", async () => {
    const r = await get(server.port, "/", { "Accept-Encoding": "gzip" });
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-encoding"], "gzip");
    assert.match(r.headers["content-type"], /^text\/html/);
    const etag = r.headers.etag;
    assert.ok(etag && /^(W\/)?"[^"]+"$/.test(etag), `ETag ${etag}`);
    const html = zlib.gunzipSync(r.body).toString("utf8");
    assert.match(html, /<html/i);

    const again = await get(server.port, "/", { "Accept-Encoding": "gzip", "If-None-Match": etag });
    assert.equal(again.status, 304, `If-None-Match ${etag} -> ${again.status}`);
    assert.equal(again.body.length, 0, "a 304 has no body");
    assert.equal(again.headers.etag, etag);

    const stale = await get(server.port, "/", { "Accept-Encoding": "gzip", "If-None-Match": '"not-the-tag"' });
    assert.equal(stale.status, 200);
  });

  it("GET / without Accept-Encoding is readable HTML, the same page", async () => {
    const plain = await get(server.port, "/");
    assert.equal(plain.status, 200);
    assert.equal(plain.headers["content-encoding"], undefined);
    assert.match(plain.text, /^\s*<!doctype html>/i);
    assert.match(plain.text, /<\/html>\s*$/i);
    const gz = await get(server.port, "/", { "Accept-Encoding": "gzip" });
    assert.equal(zlib.gunzipSync(gz.body).toString("utf8"), plain.text);
    assert.equal(Number(plain.headers["content-length"]), plain.body.length);
  });

  it("the gzip and the plain page do not share one strong ETag", async () => {
    // RFC 9110 §8.8.3: a strong tag names one representation, and the gzip bytes and
    // the plain bytes are two. A cache in front (nginx, a corporate proxy) that stored
    // the plain page may revalidate it with the gzip tag, get 304, and keep serving
    // the wrong bytes for the wrong Accept-Encoding. Distinct tags, or weak ones, fix it.
    const gz = await get(server.port, "/", { "Accept-Encoding": "gzip" });
    const plain = await get(server.port, "/");
    const weak = (t) => t.startsWith("W/");
    assert.ok(
      gz.headers.etag !== plain.headers.etag || weak(gz.headers.etag),
      `both representations of / carry the strong ETag ${gz.headers.etag} ` +
        `(gzip ${gz.body.length} bytes, plain ${plain.body.length} bytes)`,
    );
  });

  it("an unknown path is 404", async () => {
    for (const p of ["/no-such-page", "/api/v1/nothing", "/healthz/extra"]) {
      const r = await get(server.port, p);
      assert.equal(r.status, 404, `${p} -> ${r.status}`);
    }
  });
});

describe("monitor: process behaviour", { skip }, () => {
  it("--port 0 exits 2 with a message naming --port", async () => {
    const r = await runToExit(["--port", "0"]);
    assert.equal(r.code, 2, r.output);
    assert.match(r.output, /--port/);
  });

  it("--interval 5 exits 2 with a message naming --interval", async () => {
    const r = await runToExit(["--interval", "5"]);
    assert.equal(r.code, 2, r.output);
    assert.match(r.output, /--interval/);
  });

  it("an unknown flag exits 2 naming it", async () => {
    const r = await runToExit(["--frobnicate"]);
    assert.equal(r.code, 2, r.output);
    assert.match(r.output, /--frobnicate/);
  });

  it("a busy port exits non-zero with 'already in use'", async () => {
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise((resolve, reject) => {
      blocker.once("error", reject);
      blocker.listen(port, HOST, resolve);
    });
    try {
      const r = await runToExit(["--port", String(port), "--bind", HOST, "--interval", "1s"]);
      assert.notEqual(r.code, 0, r.output);
      assert.equal(r.signal, null, r.output);
      assert.match(r.output, /already in use/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("SIGTERM exits 0, also with a client connected", async () => {
    const server = await startMonitor(["--interval", "200ms"]);
    const socket = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: deadline(5000) });
    const rec = new Recorder(socket);
    try {
      await rec.until(() => rec.named("sample").length >= 1, 5000, "a sample");
    } finally {
      await server.stop(); // rejects unless exit status 0 within 5 s
      socket.disconnect();
    }
    const e = await withTimeout(server.exited, 1000, "exit");
    assert.deepEqual(e, { code: 0, signal: null });
  });
});
