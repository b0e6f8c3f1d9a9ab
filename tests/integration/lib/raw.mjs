// Byte-exact HTTP and WebSocket helpers for the raw Engine.IO / Socket.IO
// protocol suites. Every wait is bounded.
import http from "node:http";
import WebSocket from "ws";
import { HOST, withTimeout } from "./server.mjs";

// One HTTP request on its own connection. Resolves with
// { status, headers, body: Buffer, text } once the response has ended.
export function request(port, method, path, { body, headers = {}, timeout = 3000 } = {}) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
      const h = { ...headers };
      if (payload !== undefined) {
        h["Content-Length"] = payload.length;
        if (!h["Content-Type"]) h["Content-Type"] = "text/plain;charset=UTF-8";
      }
      const req = http.request({ host: HOST, port, method, path, headers: h, agent: false });
      let answered = false;
      req.on("response", (res) => {
        answered = true;
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const buf = Buffer.concat(chunks);
          resolve({ status: res.statusCode, headers: res.headers, body: buf, text: buf.toString("utf8") });
        });
        res.on("error", reject);
      });
      // The server may answer (413) and close before the body is written.
      req.on("error", (e) => {
        if (!answered) reject(e);
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    }),
    timeout,
    `${method} ${path}`,
  );
}

// Splits an EIO=3 text payload "<len>:<packet>..." where len counts UTF-16 code units.
export function decodeV3Payload(text) {
  const packets = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(":", i);
    if (colon < 0) throw new Error(`bad v3 payload: ${JSON.stringify(text)}`);
    const len = Number(text.slice(i, colon));
    if (!Number.isInteger(len) || String(len) !== text.slice(i, colon)) {
      throw new Error(`bad v3 length in ${JSON.stringify(text)}`);
    }
    packets.push(text.slice(colon + 1, colon + 1 + len));
    i = colon + 1 + len;
  }
  return packets;
}

export function encodeV3Payload(packets) {
  return packets.map((p) => `${p.length}:${p}`).join("");
}

// Parses an HTTP error answer: asserts nothing, returns the JSON or null.
export function errorJson(res) {
  try {
    return JSON.parse(res.text);
  } catch {
    return null;
  }
}

// A WebSocket with a message queue. Text frames arrive as strings, binary
// frames as Buffers.
export class WsClient {
  constructor(url, options = {}, { autoPong = false } = {}) {
    this.url = url;
    this.autoPong = autoPong;
    this.ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    this.queue = [];
    this.waiters = [];
    this.log = [];
    this.ws.on("message", (data, isBinary) => {
      const msg = isBinary ? Buffer.from(data) : data.toString("utf8");
      this.log.push(msg);
      // Engine.IO v4 server pings, answered without reaching the queue.
      if (this.autoPong && msg === "2") {
        this.ws.send("3");
        return;
      }
      const w = this.waiters.findIndex((x) => x.filter(msg));
      if (w >= 0) {
        const [waiter] = this.waiters.splice(w, 1);
        waiter.resolve(msg);
      } else {
        this.queue.push(msg);
      }
    });
    this.ws.on("error", (e) => (this.error = e));
    this.closed = new Promise((resolve) =>
      this.ws.on("close", (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
    );
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve(Date.now()));
      this.ws.once("error", reject);
      this.ws.once("close", () => reject(new Error("closed before open")));
    });
    this.opened.catch(() => {});
  }

  // Next message accepted by `filter` (default: any), within `ms`.
  next(ms = 2000, filter = () => true) {
    const i = this.queue.findIndex((m) => filter(m));
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    let waiter;
    const p = new Promise((resolve) => {
      waiter = { filter, resolve };
      this.waiters.push(waiter);
    });
    return withTimeout(p, ms, `ws message on ${this.url} (log so far: ${trace(this.log)})`).finally(() => {
      const j = this.waiters.indexOf(waiter);
      if (j >= 0) this.waiters.splice(j, 1);
    });
  }

  // Next message that is not an Engine.IO v4 server ping ("2"); pings are answered.
  nextNonPing(ms = 2000) {
    return this.next(ms, (m) => {
      if (m === "2") {
        this.send("3");
        return false;
      }
      return true;
    });
  }

  send(data) {
    this.ws.send(data);
  }

  waitClose(ms = 2000) {
    return withTimeout(this.closed, ms, `ws close of ${this.url} (log: ${trace(this.log)})`);
  }

  isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  close() {
    try {
      this.ws.terminate();
    } catch {}
  }
}

// A short printable trace of received packets for failure messages.
export function trace(log) {
  return JSON.stringify(
    log.slice(-12).map((m) => (Buffer.isBuffer(m) ? `<bin ${m.toString("hex").slice(0, 40)}>` : m.slice(0, 120))),
  );
}

// Attempts a WebSocket handshake that the server should refuse. Resolves with
// { status, body } when it answered with an HTTP response, or
// { status: null, error } when the connection ended without one.
export function refusedUpgrade(url, ms = 3000) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.on("unexpected-response", (req, res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on("error", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      });
      ws.on("open", () => {
        ws.terminate();
        reject(new Error("websocket upgrade was accepted"));
      });
      ws.on("error", (error) => resolve({ status: null, error }));
    }),
    ms,
    `refused upgrade ${url}`,
  );
}
