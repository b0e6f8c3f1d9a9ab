// Engine.IO behaviours socket.io's official conformance suites found wrong, each
// pinned at the wire with raw TCP / HTTP / WebSocket against the conformance
// server: honest HTTP/1.1 connections (keep-alive, Connection: close,
// HTTP/1.0), the forced-close noop, the v3 XHR2 binary payload, the exact ping
// timeout, chunked POSTs, an oversized sid, the upgrade timeout and a bad
// packet on the probe. Run against the reference server with
// SBCMON_TEST_TARGET=reference.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import {
  startServer, sleep, withTimeout, HOST, IS_REFERENCE, PING_INTERVAL, PING_TIMEOUT,
} from "./lib/server.mjs";
import { request, decodeV3Payload, errorJson, WsClient } from "./lib/raw.mjs";

const P = "/engine.io/";
let server;
let port;

before(async () => {
  server = await startServer();
  port = server.port;
});
after(async () => {
  await server.stop();
});

const get = (q, opts) => request(port, "GET", `${P}?${q}`, opts);
const post = (q, body, opts) => request(port, "POST", `${P}?${q}`, { ...opts, body });

async function openV4() {
  const res = await get("EIO=4&transport=polling");
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text.slice(1)).sid;
}

async function openV3(extra = "") {
  const res = await get(`EIO=3&transport=polling${extra}`);
  assert.equal(res.status, 200, res.text);
  return JSON.parse(decodeV3Payload(res.text)[0].slice(1)).sid;
}

// One raw TCP connection: write requests, read whole responses (framed by
// Content-Length), see whether and when the server hangs up.
class RawConn {
  constructor() {
    this.buf = Buffer.alloc(0);
    this.waiter = null;
    this.sock = net.connect(port, HOST);
    this.open = new Promise((resolve, reject) => {
      this.sock.once("connect", resolve);
      this.sock.once("error", reject);
    });
    this.ended = false;
    this.closed = new Promise((resolve) => this.sock.on("close", () => {
      this.ended = true;
      resolve();
      this.wake();
    }));
    this.sock.on("error", () => {});
    this.sock.on("data", (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
  }

  wake() {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w();
    }
  }

  async send(text) {
    await this.open;
    this.sock.write(text.replace(/\n/g, "\r\n"));
  }

  // The next complete response, or null when the server hung up first.
  async response(ms = 3000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const head = this.buf.indexOf("\r\n\r\n");
      if (head >= 0) {
        const lines = this.buf.subarray(0, head).toString("latin1").split("\r\n");
        const headers = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(":");
          headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        if (headers["transfer-encoding"]?.toLowerCase() === "chunked") {
          const body = [];
          let at = head + 4;
          let done = false;
          for (;;) {
            const eol = this.buf.indexOf("\r\n", at);
            if (eol < 0) break;
            const size = parseInt(this.buf.subarray(at, eol).toString(), 16);
            if (this.buf.length < eol + 2 + size + 2) break;
            if (size === 0) {
              at = eol + 4;
              done = true;
              break;
            }
            body.push(this.buf.subarray(eol + 2, eol + 2 + size));
            at = eol + 2 + size + 2;
          }
          if (done) {
            const all = Buffer.concat(body);
            this.buf = this.buf.subarray(at);
            return { statusLine: lines[0], status: Number(lines[0].split(" ")[1]), headers, body: all, text: all.toString() };
          }
        }
        const len = Number(headers["content-length"] ?? 0);
        if (headers["transfer-encoding"] === undefined && this.buf.length >= head + 4 + len) {
          const body = this.buf.subarray(head + 4, head + 4 + len);
          this.buf = this.buf.subarray(head + 4 + len);
          return { statusLine: lines[0], status: Number(lines[0].split(" ")[1]), headers, body, text: body.toString() };
        }
      }
      if (this.ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no complete response within ${ms} ms: ${JSON.stringify(this.buf.toString())}`);
      await withTimeout(new Promise((r) => (this.waiter = r)), left, "response bytes").catch(() => {});
    }
  }

  // True when the server closes the connection within `ms`.
  async hangsUp(ms = 2000) {
    return withTimeout(this.closed.then(() => true), ms, "close").catch(() => false);
  }

  destroy() {
    this.sock.destroy();
  }
}

const handshakeReq = (version = "1.1", extra = "") =>
  `GET ${P}?EIO=4&transport=polling HTTP/${version}\nHost: ${HOST}:${port}\n${extra}\n`;
const badReq = (version = "1.1", extra = "") =>
  `GET ${P}?EIO=4&transport=abc HTTP/${version}\nHost: ${HOST}:${port}\n${extra}\n`;

describe("HTTP/1.1 connections", () => {
  it("keep-alive: an error answer and the next request share one connection", async () => {
    const c = new RawConn();
    try {
      await c.send(badReq());
      const first = await c.response();
      assert.equal(first.status, 400);
      assert.notEqual(first.headers.connection?.toLowerCase(), "close");
      await c.send(handshakeReq());
      const second = await c.response();
      assert.ok(second, "the server hung up on a keep-alive connection it did not announce closing");
      assert.equal(second.status, 200);
      assert.ok(second.text.startsWith("0{"), second.text);
    } finally {
      c.destroy();
    }
  });

  it("a client's Connection: close is announced back and honoured", async () => {
    const c = new RawConn();
    try {
      await c.send(handshakeReq("1.1", "Connection: close\n"));
      const res = await c.response();
      assert.equal(res.status, 200);
      assert.equal(res.headers.connection?.toLowerCase(), "close");
      assert.ok(await c.hangsUp(), "connection left open after Connection: close");
    } finally {
      c.destroy();
    }
  });

  it("whenever the server hangs up after a response, that response said Connection: close", async () => {
    const cases = [
      badReq(),
      `POST ${P}?EIO=4&transport=polling&sid=nosuchsid HTTP/1.1\nHost: ${HOST}:${port}\nContent-Type: text/plain\nContent-Length: 6\n\n4hello`,
      `POST ${P}?EIO=4&transport=polling HTTP/1.1\nHost: ${HOST}:${port}\nContent-Type: text/plain\nContent-Length: 6\n\n4hello`,
      `PUT ${P}?EIO=4&transport=polling HTTP/1.1\nHost: ${HOST}:${port}\nContent-Length: 0\n\n`,
      `GET ${P}?EIO=4&transport=websocket HTTP/1.1\nHost: ${HOST}:${port}\n\n`,
    ];
    for (const req of cases) {
      const c = new RawConn();
      try {
        await c.send(req);
        const res = await c.response();
        assert.ok(res, `no response to ${JSON.stringify(req)}`);
        assert.ok(res.status >= 400, `${res.status} for ${JSON.stringify(req)}`);
        const announced = res.headers.connection?.toLowerCase() === "close";
        if (!announced) {
          // Not announced: the connection must carry the next request.
          await c.send(handshakeReq());
          const next = await c.response();
          assert.ok(next, `hung up without Connection: close after ${JSON.stringify(req)}`);
          assert.equal(next.status, 200);
        } else {
          assert.ok(await c.hangsUp(), `announced close but kept ${JSON.stringify(req)} open`);
        }
      } finally {
        c.destroy();
      }
    }
  });

  it("HTTP/1.0 closes after the response unless it asked for keep-alive", async () => {
    const c = new RawConn();
    try {
      await c.send(handshakeReq("1.0"));
      const res = await c.response();
      assert.match(res.statusLine, /^HTTP\/1\.[01] 200/);
      assert.equal(res.headers["transfer-encoding"], undefined, "HTTP/1.0 knows no chunked encoding");
      assert.ok(await c.hangsUp(), "HTTP/1.0 connection left open");
    } finally {
      c.destroy();
    }
    const k = new RawConn();
    try {
      await k.send(badReq("1.0", "Connection: keep-alive\n"));
      const first = await k.response();
      assert.equal(first.status, 400);
      // Kept (and said so, as HTTP/1.0 needs) or announced closed.
      if (first.headers.connection?.toLowerCase() === "keep-alive") {
        await k.send(handshakeReq("1.0", "Connection: keep-alive\n"));
        const second = await k.response();
        assert.ok(second, "HTTP/1.0 keep-alive connection hung up");
        assert.equal(second.status, 200);
      } else {
        assert.equal(first.headers.connection?.toLowerCase(), "close");
        assert.ok(await k.hangsUp(), "announced close but kept the connection");
      }
    } finally {
      k.destroy();
    }
  });

  it("a POST without Content-Length (chunked) is answered at once, never left hanging", async () => {
    const sid = await openV4();
    const c = new RawConn();
    try {
      await c.send(`POST ${P}?EIO=4&transport=polling&sid=${sid} HTTP/1.1\nHost: ${HOST}:${port}\nContent-Type: text/plain\nTransfer-Encoding: chunked\n\n6\n4hello\n0\n\n`);
      const res = await c.response(2000);
      assert.ok(res, "hung up without an answer");
      // Read (the reference) or refused with 411 and an announced close.
      if (res.status === 411) {
        assert.equal(res.headers.connection?.toLowerCase(), "close");
      } else {
        assert.equal(res.status, 200, res.text);
        assert.equal((await get(`EIO=4&transport=polling&sid=${sid}`)).text, "4hello");
      }
    } finally {
      c.destroy();
    }
  });
});

describe("sessions", () => {
  it("forced close: a POSTed close packet answers the pending GET with a noop (v4 '6', v3 '1:6')", async () => {
    for (const [open, q, closeBody, noop] of [
      [openV4, "EIO=4", "1", "6"],
      [openV3, "EIO=3", "1:1", "1:6"],
    ]) {
      const sid = await open();
      const pending = get(`${q}&transport=polling&sid=${sid}`);
      await sleep(50);  // let the GET be held
      const res = await post(`${q}&transport=polling&sid=${sid}`, closeBody);
      assert.equal(res.status, 200);
      const held = await pending;
      assert.equal(held.status, 200);
      assert.equal(held.text, noop);
      const after = await get(`${q}&transport=polling&sid=${sid}`);
      assert.equal(after.status, 400);
      assert.equal(errorJson(after).code, 1);
    }
  });

  it("EIO=3 without b64=1: binary goes in the XHR2 binary payload", async () => {
    const sid = await openV3();
    // A binary message echoed back (sent base64, which every v3 client may do).
    const res = await post(`EIO=3&transport=polling&sid=${sid}`, "6:b4AQID");
    assert.equal(res.status, 200);
    const poll = await get(`EIO=3&transport=polling&sid=${sid}`);
    assert.equal(poll.status, 200);
    assert.match(String(poll.headers["content-type"]), /^application\/octet-stream/);
    // 0x01 (binary), length 4 as digit bytes, 0xFF, type 4, the bytes 1 2 3.
    assert.deepEqual([...poll.body], [1, 4, 0xff, 4, 1, 2, 3]);
    // With b64=1 the same message comes as text.
    const sid64 = await openV3("&b64=1");
    await post(`EIO=3&transport=polling&b64=1&sid=${sid64}`, "6:b4AQID");
    const poll64 = await get(`EIO=3&transport=polling&b64=1&sid=${sid64}`);
    assert.match(String(poll64.headers["content-type"]), /^text\/plain/);
    assert.equal(poll64.text, "6:b4AQID");
  });

  it("ping timeout: the session is gone at exactly pingInterval + pingTimeout", async () => {
    // As socket.io's suite probes it: no pong, then a poll right at the deadline.
    for (let i = 0; i < 3; i++) {
      const sid = await openV4();
      await sleep(PING_INTERVAL + PING_TIMEOUT);
      const res = await get(`EIO=4&transport=polling&sid=${sid}`);
      assert.equal(res.status, 400, `round ${i}: still alive: ${res.text}`);
      assert.equal(errorJson(res).code, 1);
    }
  });

  it("a query argument too long to keep (a 600-byte sid) is an unknown sid, never a new session", async () => {
    const res = await get(`EIO=4&transport=polling&sid=${"a".repeat(600)}`);
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(errorJson(res), { code: 1, message: "Session ID unknown" });
  });
});

describe("upgrade", () => {
  // Keeps a polling session alive by answering its pings until `stop` is set.
  function keepPolling(sid, state) {
    return (async () => {
      while (!state.stop) {
        const res = await get(`EIO=4&transport=polling&sid=${sid}`, { timeout: 3000 });
        if (res.status !== 200) {
          state.gone = res.text;
          return;
        }
        if (res.text.includes("2")) await post(`EIO=4&transport=polling&sid=${sid}`, "3");
      }
    })();
  }

  it("a bad packet on the probe closes only the probe; the session carries on polling", async () => {
    const sid = await openV4();
    const probe = new WsClient(`${server.wsUrl}${P}?EIO=4&transport=websocket&sid=${sid}`);
    await withTimeout(new Promise((r) => probe.ws.once("open", r)), 2000, "probe open");
    probe.send("garbage");
    await probe.waitClose(2000);
    await post(`EIO=4&transport=polling&sid=${sid}`, "4still here");
    const res = await get(`EIO=4&transport=polling&sid=${sid}`);
    assert.equal(res.status, 200, res.text);
    assert.ok(res.text.split("\x1e").includes("4still here"), res.text);
  });

  it("a probe that never completes the upgrade is closed after the upgrade timeout", async () => {
    const sid = await openV4();
    const state = { stop: false };
    const poller = keepPolling(sid, state);
    const probe = new WsClient(`${server.wsUrl}${P}?EIO=4&transport=websocket&sid=${sid}`);
    try {
      const t0 = Date.now();
      await probe.waitClose(20000);
      const waited = Date.now() - t0;
      assert.ok(waited >= 5000, `probe closed after only ${waited} ms`);
      assert.equal(state.gone, undefined, `the session died with the probe: ${state.gone}`);
    } finally {
      state.stop = true;
      probe.close();
      await poller;
    }
    assert.equal(state.gone, undefined);
  });
});
