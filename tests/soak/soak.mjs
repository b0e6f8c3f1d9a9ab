// Soak: SOAK_SESSIONS (default 10000) Engine.IO sessions opened and closed against
// one sbcmon (polling and websocket mixed; half of them dropped abruptly mid-handshake
// or mid-upgrade) while 20 clients watch "/" at --interval 100ms. Afterwards RSS must
// be within the stated margin of the post-warm-up figure, the open fds back to the
// baseline, and every watcher must have seen every seq with no stall. Loopback only.
// Prints its figures and a closing "N passed, M failed".
import net from "node:net";
import http from "node:http";
import fs from "node:fs";
import { io } from "socket.io-client";
import WebSocket from "ws";
import { HOST, Recorder, get, sleep, startMonitor, skipReason } from "../integration/lib/fixture_tree.mjs";

const SESSIONS = Number(process.env.SOAK_SESSIONS || 10000);
const WATCHERS = Number(process.env.SOAK_WATCHERS || 20);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY || 24); // churn in flight; 20 + 24 + reaping < 64
const WARMUP = Math.min(500, Math.ceil(SESSIONS / 10));
const RSS_MARGIN_PCT = 10; // after <= before * 1.10 + 1 MiB
const RSS_MARGIN_KB = 1024;
const MAX_STALL_MS = 2000; // a watcher must get a sample at least this often (period is 100 ms)
const DEADLINE_MS = Number(process.env.SOAK_DEADLINE_S || 270) * 1000;

let passed = 0;
let failed = 0;
function check(ok, what, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`  ${ok ? "ok  " : "FAIL"} ${what}${detail ? `: ${detail}` : ""}`);
}

function procStatus(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return { rssKb: Number(/VmRSS:\s+(\d+)/.exec(s)[1]), hwmKb: Number(/VmHWM:\s+(\d+)/.exec(s)[1]) };
}
const fdCount = (pid) => fs.readdirSync(`/proc/${pid}/fd`).length;

// One HTTP request on its own connection; resolves { status, text } or rejects.
function request(port, method, path, body, timeout = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port, method, path, agent: false, timeout,
      headers: body === undefined ? {} : { "content-type": "text/plain;charset=UTF-8" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, text }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

const EIO = "/socket.io/?EIO=4";
async function pollingHandshake(port) {
  const r = await request(port, "GET", `${EIO}&transport=polling`);
  if (r.status !== 200 || r.text[0] !== "0") throw Object.assign(new Error(`handshake ${r.status} ${r.text}`), { status: r.status });
  return JSON.parse(r.text.slice(1)).sid;
}

// A full polling session: open, connect to "/", read the connect reply, close.
async function pollingClean(port) {
  const t0 = Date.now();
  const sid = await pollingHandshake(port);
  const q = `${EIO}&transport=polling&sid=${sid}`;
  const p = await request(port, "POST", q, "40");
  if (p.status !== 200) throw new Error(`POST 40: ${p.status} ${p.text} (${Date.now() - t0} ms after the handshake)`);
  // A ping may come first: on a loaded machine more than pingInterval (0.5 s) can pass
  // between the handshake and this GET, as the official clients allow. Anything else
  // before the connect reply is wrong.
  let reply;
  for (let polls = 0; reply === undefined && polls < 3; polls++) {
    const g = await request(port, "GET", q);
    const packets = g.text.split("\x1e");
    const other = packets.find((pk) => pk !== "2");
    if (other === undefined) { // only pings: answer them, as a client does, and poll again
      await request(port, "POST", q, "3");
      continue;
    }
    if (!other.startsWith("40")) {
      throw new Error(`expected the connect reply, got ${g.text.slice(0, 80)} (${Date.now() - t0} ms after the handshake)`);
    }
    reply = other;
  }
  if (reply === undefined) throw new Error(`no connect reply in 3 polls (${Date.now() - t0} ms after the handshake)`);
  await request(port, "POST", q, "1");
}

function wsOpen(port, query) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${HOST}:${port}${EIO}&transport=websocket${query}`, { handshakeTimeout: 5000 });
    // Messages are queued from the start: the open packet may arrive with the 101.
    ws.inbox = [];
    ws.waiting = null;
    ws.on("message", (d) => {
      ws.inbox.push(d.toString());
      if (ws.waiting) ws.waiting();
    });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
    ws.once("unexpected-response", (_, res) => reject(Object.assign(new Error(`ws ${res.statusCode}`), { status: res.statusCode })));
  });
}
function nextMessage(ws, ms = 5000) {
  if (ws.inbox.length) return Promise.resolve(ws.inbox.shift());
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no ws message")), ms);
    const onClose = () => { clearTimeout(t); ws.waiting = null; reject(new Error("ws closed")); };
    ws.once("close", onClose);
    ws.waiting = () => {
      clearTimeout(t);
      ws.waiting = null;
      ws.off("close", onClose);
      resolve(ws.inbox.shift());
    };
  });
}

// A full websocket session: open, connect to "/", read the reply, close frame.
async function websocketClean(port) {
  const ws = await wsOpen(port, "");
  // A full session table accepts the upgrade and closes it with no open packet
  // (net/server.cpp on_ws_established): a refusal, retried like a 503.
  const open = await nextMessage(ws).catch((e) => {
    throw Object.assign(e, { status: e.message === "ws closed" ? 503 : undefined });
  });
  if (open[0] !== "0") throw new Error(`expected open, got ${open}`);
  ws.send("40");
  let m;
  do m = await nextMessage(ws).catch((e) => { throw new Error(`${e.message} after the open packet ${open}`); }); while (m === "2" || m.startsWith("42"));
  if (!m.startsWith("40")) throw new Error(`expected the connect reply, got ${m.slice(0, 80)}`);
  await new Promise((resolve) => { ws.once("close", resolve); ws.close(1000); });
}

// Raw bytes then an abrupt close (RST where possible), mid-handshake.
function rawAbort(port, bytes, waitFirstByte) {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port }, () => {
      s.write(bytes);
      if (waitFirstByte) s.once("data", () => s.resetAndDestroy());
      else setImmediate(() => s.resetAndDestroy());
    });
    s.on("error", () => {});
    s.on("close", resolve);
    setTimeout(() => s.destroy(), 5000);
  });
}
const hs = (port, extra) => `GET ${EIO}&transport=${extra} HTTP/1.1\r\nHost: ${HOST}:${port}\r\n`;
function abruptHandshake(port, i) {
  switch (i % 4) {
    case 0: return rawAbort(port, hs(port, "polling").slice(0, 20 + (i % 30)), false); // half a request line
    case 1: return rawAbort(port, hs(port, "polling") + "\r\n", false);                   // whole request, gone before the answer
    case 2: return rawAbort(port, hs(port, "polling") + "\r\n", true);                    // gone after the first answer byte
    default: return rawAbort(port, hs(port, "websocket") + "Connection: Upgrade\r\nUpgrade: websocket\r\n" +
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", i % 8 === 3); // ws handshake dropped
  }
}

// Polling session, websocket probe, then the TCP connection vanishes mid-upgrade
// (before "5"); the polling session left behind must be reaped by the heartbeat.
async function abruptUpgrade(port, i) {
  const sid = await pollingHandshake(port);
  const ws = await wsOpen(port, `&sid=${sid}`);
  ws.send("2probe");
  if (i % 2 === 0) {
    const m = await nextMessage(ws);
    if (m !== "3probe") throw new Error(`expected 3probe, got ${m}`);
  }
  ws._socket.resetAndDestroy();
}

const stats = { clean_polling: 0, clean_ws: 0, abrupt_handshake: 0, abrupt_upgrade: 0, refused_retried: 0, errors: 0 };
const errorSamples = [];
// SOAK_KINDS="0,1" limits the churn to some kinds (for narrowing a failure down).
const KINDS = (process.env.SOAK_KINDS || "0,1,2,3").split(",").map(Number);
async function oneSession(port, n) {
  const i = Math.floor(n / KINDS.length) * 4 + KINDS[n % KINDS.length];
  for (let attempt = 0; ; attempt++) {
    try {
      switch (i % 4) {
        case 0: await pollingClean(port); stats.clean_polling++; break;
        case 1: await websocketClean(port); stats.clean_ws++; break;
        case 2: await abruptHandshake(port, i >> 2); stats.abrupt_handshake++; break;
        default: await abruptUpgrade(port, i >> 2); stats.abrupt_upgrade++; break;
      }
      return;
    } catch (e) {
      // A full session table answers 503/400 to a newcomer: back off and retry,
      // counted, never silently. Anything else is an error.
      if ((e.status === 503 || e.status === 400 || e.status === 429) && attempt < 400) {
        stats.refused_retried++;
        await sleep(50);
        continue;
      }
      stats.errors++;
      if (errorSamples.length < 8) errorSamples.push(`session ${i} kind ${i % 4}: ${e.message}`);
      return;
    }
  }
}

async function churn(port, from, count) {
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) await oneSession(port, next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function settledFigures(pid) {
  // The minimum over a few readings: a watcher's socket or a reaped session in flight
  // must not count as growth.
  let fds = Infinity;
  for (let k = 0; k < 5; k++) {
    fds = Math.min(fds, fdCount(pid));
    await sleep(200);
  }
  return { fds, ...procStatus(pid) };
}

async function main() {
  const skip = skipReason();
  if (skip) {
    console.log(`soak skipped: ${skip}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
  const started = Date.now();
  const server = await startMonitor(["--interval", "100ms", "--handshakes-per-s", "0", "--max-sessions", "64",
    "--sessions-per-addr", "0",
    "--ping-interval", "500ms", "--ping-timeout", "500ms"]);
  const pid = server.child.pid;
  const watchers = [];
  try {
    for (let w = 0; w < WATCHERS; w++) {
      const sock = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: 5000 });
      const rec = new Recorder(sock);
      const seqs = [];
      let last = 0;
      let maxStall = 0;
      sock.on("sample", (s) => {
        const now = Date.now();
        if (last) maxStall = Math.max(maxStall, now - last);
        last = now;
        seqs.push(s.seq);
      });
      watchers.push({ sock, rec, seqs, stall: () => maxStall });
    }
    await Promise.all(watchers.map((w) => w.rec.until(() => w.seqs.length >= 3, 10000, "three samples")));

    await churn(server.port, 0, WARMUP);
    await sleep(3000); // reaping of the warm-up's abandoned sessions (ping 0.5 s + timeout 0.5 s)
    const before = await settledFigures(pid);
    console.log(`  warm-up: ${WARMUP} sessions; baseline RSS ${before.rssKb} kB, fds ${before.fds}`);

    const t0 = Date.now();
    const soakCount = SESSIONS - WARMUP;
    let done = 0;
    const step = 1000;
    while (done < soakCount && Date.now() - started < DEADLINE_MS) {
      const n = Math.min(step, soakCount - done);
      await churn(server.port, WARMUP + done, n);
      done += n;
      const f = procStatus(pid);
      console.log(`  ... ${WARMUP + done} sessions, ${((Date.now() - t0) / 1000).toFixed(1)} s, RSS ${f.rssKb} kB, fds ${fdCount(pid)}`);
    }
    const soakSeconds = (Date.now() - t0) / 1000;
    await sleep(3000);
    const after = await settledFigures(pid);
    const total = WARMUP + done;

    console.log(`  sessions: ${total} (${JSON.stringify(stats)}) in ${soakSeconds.toFixed(1)} s ` +
      `(${(done / soakSeconds).toFixed(0)}/s after warm-up)`);
    console.log(`  RSS: ${before.rssKb} kB before, ${after.rssKb} kB after (peak ${after.hwmKb} kB); ` +
      `fds: ${before.fds} before, ${after.fds} after`);
    for (const e of errorSamples) console.log(`    error: ${e}`);

    check(done === soakCount, `all ${SESSIONS} sessions run within ${DEADLINE_MS / 1000} s`, `${total} run`);
    check(stats.errors === 0, "no session failed unexpectedly", `${stats.errors} errors`);
    const limit = Math.round(before.rssKb * (1 + RSS_MARGIN_PCT / 100) + RSS_MARGIN_KB);
    check(after.rssKb <= limit, `RSS after <= before + ${RSS_MARGIN_PCT}% + ${RSS_MARGIN_KB} kB`, `${after.rssKb} <= ${limit} kB`);
    check(after.fds <= before.fds, "open fds back to baseline", `${after.fds} <= ${before.fds}`);
    const h = await get(server.port, "/healthz").catch((e) => ({ status: e.message }));
    check(h.status === 200, "sbcmon still answers /healthz", String(h.status));

    let lost = 0;
    let dropped = 0;
    let worstStall = 0;
    let minSeen = Infinity;
    for (const w of watchers) {
      if (!w.sock.connected) dropped++;
      for (let i = 1; i < w.seqs.length; i++) if (w.seqs[i] !== w.seqs[i - 1] + 1) lost += w.seqs[i] - w.seqs[i - 1] - 1;
      worstStall = Math.max(worstStall, w.stall());
      minSeen = Math.min(minSeen, w.seqs.length);
    }
    console.log(`  watchers: ${WATCHERS}, each saw >= ${minSeen} samples; longest wait between samples ${worstStall} ms`);
    check(dropped === 0, "every watcher still connected", `${dropped} dropped`);
    check(lost === 0, "watchers lost no sample (seq contiguous)", `${lost} missing`);
    check(worstStall <= MAX_STALL_MS, `no watcher waited over ${MAX_STALL_MS} ms for a sample`, `${worstStall} ms`);
  } catch (e) {
    check(false, "soak ran to the end", e.stack || String(e));
  } finally {
    for (const w of watchers) w.sock.close();
    await server.stop().then(() => check(true, "SIGTERM after the soak: exit 0"),
      (e) => check(false, "SIGTERM after the soak: exit 0", e.message));
  }
  console.log(`soak: ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
