// Hostile and slow clients against one sbcmon (monitor mode, --interval 100ms,
// heartbeat 1 s + 1 s): a client that never reads, slowloris headers, an event
// flood, oversized frames and bodies, garbage bytes, half-open connections. After
// each, a fresh normal client must still connect and get a sample, and a watcher
// connected throughout must have seen every seq. Loopback only; bounded.
// Prints a closing "N passed, M failed".
import net from "node:net";
import fs from "node:fs";
import http from "node:http";
import { io } from "socket.io-client";
import WebSocket from "ws";
import { HOST, Recorder, get, sleep, startMonitor, withTimeout } from "../integration/lib/fixture_tree.mjs";
import { check, exitIfSkipped, finish } from "./report.mjs";

const MAX_PAYLOAD = 100000;

// The server end of a loopback connection in /proc/net/tcp: "01" ESTABLISHED, other, or "gone".
function serverSideState(serverPort, clientPort) {
  const hex = (p) => p.toString(16).toUpperCase().padStart(4, "0");
  for (const line of fs.readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 3 && f[1].endsWith(`:${hex(serverPort)}`) && f[2].endsWith(`:${hex(clientPort)}`)) return f[3];
  }
  return "gone";
}

async function normalClient(server, what) {
  const s = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: 5000 });
  const rec = new Recorder(s);
  try {
    await rec.until(() => rec.named("sample").length >= 1, 5000, "a sample");
    const t0 = Date.now();
    await s.timeout(3000).emitWithAck("history", { since: Date.now() * 10 });
    check(true, `${what}: a new normal client connects and gets a sample`, `ack in ${Date.now() - t0} ms`);
  } catch (e) {
    check(false, `${what}: a new normal client connects and gets a sample`, e.message);
  } finally {
    s.close();
  }
}

// Median round trip of a tiny "history" ack (since in the future: empty answer).
async function ackLatency(sock, n = 15) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await sock.timeout(5000).emitWithAck("history", { since: Date.now() * 10 });
    times.push(performance.now() - t0);
    await sleep(20);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)];
}

// A raw Engine.IO v4 websocket that has done the Socket.IO CONNECT on "/".
function rawSio(server, { answerPings = true } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.wsUrl}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
    ws.closed = null;
    ws.on("close", (code) => (ws.closed = { code, at: Date.now() }));
    ws.on("error", () => {});
    ws.on("message", (d) => {
      const m = d.toString();
      if (m.startsWith("0")) ws.send("40");
      else if (m.startsWith("40")) resolve(ws);
      else if (m === "2" && answerPings) ws.send("3");
    });
    setTimeout(() => reject(new Error("raw client did not connect")), 5000);
  });
}

async function neverReads(server, watcher) {
  const before = await ackLatency(watcher);
  const ws = await rawSio(server);
  const clientPort = ws._socket.localPort;
  ws._socket.pause(); // stops reading: the kernel buffers fill, then the server's queue
  const spam = setInterval(() => ws.send('42["history",{"since":0}]'), 10);
  let during = Infinity;
  let state = "01";
  const t0 = Date.now();
  try {
    await sleep(3000);
    during = await ackLatency(watcher);
    while (Date.now() - t0 < 30000) {
      state = serverSideState(server.port, clientPort);
      if (state !== "01") break;
      await sleep(250);
    }
  } finally {
    clearInterval(spam);
  }
  check(during <= Math.max(3 * before, before + 50), "never-reader: the others' ack latency unchanged",
    `median ${before.toFixed(1)} ms before, ${during.toFixed(1)} ms while it stalls`);
  check(state !== "01", "never-reader: its queue hits the cap and the server drops the connection within 30 s",
    state === "01" ? `server side still ESTABLISHED after ${((Date.now() - t0) / 1000).toFixed(0)} s (rss ${procRss(server)} kB)` : `state ${state} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  ws._socket.destroy();
}
const procRss = (server) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.child.pid}/status`, "utf8"))[1]);

async function slowloris(server) {
  const socks = [];
  const closedByServer = { n: 0 };
  for (let i = 0; i < 40; i++) {
    const s = net.connect({ host: HOST, port: server.port });
    s.on("error", () => {});
    s.on("close", () => closedByServer.n++);
    socks.push(s);
  }
  const header = `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-Slow: ${"a".repeat(200)}`;
  let pos = 0;
  const drip = setInterval(() => {
    for (const s of socks) if (!s.destroyed) s.write(header[pos % header.length]);
    pos++;
  }, 250);
  await sleep(2000);
  await normalClient(server, "slowloris (40 connections dripping headers)");
  const h = await get(server.port, "/healthz").catch((e) => ({ status: e.message }));
  check(h.status === 200, "slowloris: /healthz answers during it", String(h.status));
  await sleep(8000);
  clearInterval(drip);
  console.log(`    slowloris: ${closedByServer.n}/40 dripping connections closed by the server within 10 s`);
  for (const s of socks) s.destroy();
}

async function eventFlood(server) {
  const s = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: 5000 });
  const rec = new Recorder(s);
  await rec.until(() => rec.named("sample").length >= 1, 5000, "a sample");
  for (let i = 0; i < 20000; i++) s.emit("flood", i, "x".repeat(100));
  for (let i = 0; i < 2000; i++) s.emit("history", { since: 0 });
  await sleep(3000);
  await normalClient(server, "event flood (22000 events from one client)");
  s.close();
}

async function oversized(server) {
  // A websocket message over maxPayload: that client alone is closed.
  const ws = await rawSio(server);
  ws.send(`42["big","${"x".repeat(MAX_PAYLOAD + 10)}"]`);
  await withTimeout(new Promise((r) => (ws.closed ? r() : ws.once("close", r))), 5000, "close").catch(() => {});
  check(ws.closed !== null, "oversized ws message: that client is closed", JSON.stringify(ws.closed));
  // A 10 MB binary frame announced and sent.
  const ws2 = await rawSio(server);
  ws2.send(Buffer.alloc(10 * 1024 * 1024, 1));
  await withTimeout(new Promise((r) => (ws2.closed ? r() : ws2.once("close", r))), 5000, "close").catch(() => {});
  check(ws2.closed !== null, "10 MB binary frame: that client is closed", JSON.stringify(ws2.closed));
  // A polling POST body over maxPayload.
  const hs = await get(server.port, "/socket.io/?EIO=4&transport=polling");
  const sid = JSON.parse(hs.text.slice(1)).sid;
  const status = await new Promise((resolve) => {
    const req = http.request({ host: HOST, port: server.port, method: "POST", agent: false,
      path: `/socket.io/?EIO=4&transport=polling&sid=${sid}` }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on("error", (e) => resolve(e.code || e.message));
    req.end("4" + "y".repeat(MAX_PAYLOAD * 3));
  });
  check(status !== 200, "polling POST over maxPayload is refused", String(status));
  // A 64 kB request header.
  const hdr = await get(server.port, "/", { "x-huge": "h".repeat(64 * 1024) }).then((r) => r.status, (e) => e.code || e.message);
  check(hdr !== 200, "a 64 kB request header is refused", String(hdr));
  await normalClient(server, "oversized frames and bodies");
}

async function garbage(server) {
  const payloads = [
    Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), // a TLS ClientHello start
    Buffer.from("\x00\xff\xfe\r\n\r\n\r\n"),
    Buffer.from("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\nSec-WebSocket-Version: 99\r\n\r\n"),
    Buffer.from("POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nContent-Length: -5\r\n\r\n"),
    Buffer.from("GET " + "/".repeat(10000) + " HTTP/1.1\r\n\r\n"),
  ];
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8) & 0xff;
  for (let i = 0; i < 45; i++) payloads.push(Buffer.from(Array.from({ length: 1 + (i * 97) % 4000 }, rnd)));
  await Promise.all(payloads.map((p) => new Promise((resolve) => {
    const s = net.connect({ host: HOST, port: server.port }, () => s.end(p));
    s.on("error", resolve);
    s.on("close", resolve);
    s.resume();
    setTimeout(() => { s.destroy(); resolve(); }, 5000);
  })));
  await normalClient(server, `garbage bytes (${payloads.length} connections)`);
}

async function halfOpen(server) {
  // A websocket session that stops answering pings but keeps its TCP connection.
  const ws = await rawSio(server, { answerPings: false });
  const t0 = Date.now();
  await withTimeout(new Promise((r) => (ws.closed ? r() : ws.once("close", r))), 8000, "close").catch(() => {});
  check(ws.closed !== null, "half-open websocket (no pongs) is reaped by the heartbeat",
    ws.closed ? `closed after ${ws.closed.at - t0} ms` : "still open after 8 s");
  // A polling session that never polls again.
  const hs = await get(server.port, "/socket.io/?EIO=4&transport=polling");
  const sid = JSON.parse(hs.text.slice(1)).sid;
  await sleep(4000);
  const r = await get(server.port, `/socket.io/?EIO=4&transport=polling&sid=${sid}`).catch((e) => ({ status: e.message }));
  check(r.status === 400, "an abandoned polling session is reaped by the heartbeat", `${r.status} ${r.text ?? ""}`);
  // A TCP connection opened and left silent.
  const s = net.connect({ host: HOST, port: server.port });
  s.on("error", () => {});
  const closed = await withTimeout(new Promise((r) => s.once("close", () => r(true))), 30000, "close").catch(() => false);
  check(true, "a silent TCP connection", closed ? "closed by the server within 30 s" : "still open after 30 s (not required)");
  s.destroy();
  await normalClient(server, "half-open connections");
}

async function main() {
  exitIfSkipped("hostile");
  const server = await startMonitor(["--interval", "100ms", "--handshakes-per-s", "0", "--ping-interval", "1s",
    "--ping-timeout", "1s", "--max-payload", String(MAX_PAYLOAD)]);
  const watcher = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: 5000 });
  const wrec = new Recorder(watcher);
  const seqs = [];
  watcher.on("sample", (s) => seqs.push(s.seq));
  try {
    await wrec.until(() => seqs.length >= 2, 5000, "watcher samples");
    for (const [name, fn] of [["never-reader", () => neverReads(server, watcher)], ["slowloris", () => slowloris(server)],
      ["event flood", () => eventFlood(server)], ["oversized", () => oversized(server)], ["garbage", () => garbage(server)],
      ["half-open", () => halfOpen(server)]]) {
      console.log(`--- ${name}`);
      try {
        await fn();
      } catch (e) {
        check(false, `${name} ran to the end`, e.stack || String(e));
      }
      if (server.child.exitCode !== null || server.child.signalCode !== null) {
        check(false, `sbcmon alive after ${name}`, `exited ${server.child.exitCode ?? server.child.signalCode}; output:\n${server.output()}`);
        break;
      }
    }
    let lost = 0;
    for (let i = 1; i < seqs.length; i++) lost += seqs[i] - seqs[i - 1] - 1;
    check(watcher.connected, "the watcher stayed connected throughout");
    check(lost === 0, "the watcher lost no sample", `${seqs.length} samples, ${lost} missing`);
  } finally {
    watcher.close();
    await server.stop().then(() => check(true, "SIGTERM at the end: exit 0"), (e) => check(false, "SIGTERM at the end: exit 0", e.message));
  }
  finish();
}

main();
