// Slow-client policy: every session's outbound queue has a cap, and a client that
// falls that far behind is closed so it holds no memory for everyone else; a
// normal client on the same server keeps getting every sample.
//
// The slow client is a raw WebSocket (the `ws` package) that does the Engine.IO v4
// handshake and the Socket.IO CONNECT on "/", then stops reading (its TCP socket is
// paused). On loopback the kernel alone buffers minutes of 100 ms samples, so while
// stalled it also keeps asking for the full history (writing still works): the
// server's queue for it then grows fast, the way a page on a stalled link that
// re-requests would. Heartbeats are set to 60 s so a missed pong cannot be what
// drops it within the test's bound.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import WebSocket from "ws";
import { io } from "socket.io-client";
import { Recorder, assertContiguous, get, skipReason, sleep, startMonitor, withTimeout } from "./lib/fixture_tree.mjs";
import { deadline } from "../lib/deadline.mjs";

const PERIOD = 100;
const DROP_WITHIN_MS = deadline(45000);
const skip = skipReason() || (!fs.existsSync("/proc/net/tcp") ? "needs /proc/net/tcp (Linux)" : false);

// The kernel's state of the server's end of the connection (local port
// serverPort, peer port clientPort) from /proc/net/tcp: "01" ESTABLISHED, or
// another state once the server has closed it, or "gone".
function serverSideState(serverPort, clientPort) {
  const hex = (p) => p.toString(16).toUpperCase().padStart(4, "0");
  for (const line of fs.readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 3 && f[1].endsWith(`:${hex(serverPort)}`) && f[2].endsWith(`:${hex(clientPort)}`)) return f[3];
  }
  return "gone";
}

// A raw Engine.IO v4 / Socket.IO v5 client over a WebSocket that records the
// sample seqs it reads.
function rawClient(wsUrl) {
  const ws = new WebSocket(`${wsUrl}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
  const state = { ws, seqs: [], messages: 0, replies: 0, connected: false, closed: null };
  const connected = new Promise((resolve, reject) => {
    ws.on("message", (data) => {
      state.messages += 1;
      const text = data.toString();
      if (text.startsWith("0{")) ws.send("40");
      else if (text === "2") ws.send("3");
      else if (text.startsWith("40")) {
        state.connected = true;
        resolve();
      } else if (/^43\d/.test(text)) {
        state.replies += 1;
      } else if (text.startsWith('42["sample",')) {
        state.seqs.push(JSON.parse(text.slice(2))[1].seq);
      }
    });
    ws.on("error", reject);
  });
  state.closedP = new Promise((resolve) => {
    ws.on("close", (code) => {
      state.closed = { code, at: Date.now() };
      resolve(state.closed);
    });
  });
  state.connectedP = withTimeout(connected, 5000, "raw Socket.IO connect");
  return state;
}

describe("monitor: a client that stops reading is dropped; others are not held up", { skip }, () => {
  let server;
  let normal;
  let rec;
  let slow;
  let clientPort;
  let stillUpAfterShortStall;
  let dropMs = null;
  let requests = 0;
  let healthDuringStall = [];
  let stalledAt;

  before(async () => {
    server = await startMonitor(["--interval", `${PERIOD}ms`, "--ping-interval", "60s", "--ping-timeout", "60s"]);
    normal = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: deadline(5000) });
    rec = new Recorder(normal);
    slow = rawClient(server.wsUrl);
    await slow.connectedP;
    await rec.until(() => rec.named("sample").length >= 20, 20 * PERIOD + 5000, "20 samples on the normal client");
    await withTimeout(
      (async () => {
        while (slow.seqs.length < 5) await sleep(20);
      })(),
      5000,
      "samples on the raw client",
    );

    clientPort = slow.ws._socket.localPort;
    slow.ws._socket.pause();
    stalledAt = Date.now();

    // A short stall (a few hundred kB at most) is not a reason to drop anyone.
    await sleep(2000);
    stillUpAfterShortStall = serverSideState(server.port, clientPort);

    // Stalled for good, and asking for the history over and over.
    const started = Date.now();
    while (Date.now() - started < DROP_WITHIN_MS) {
      for (let i = 0; i < 5; i++, requests++) slow.ws.send(`42${requests}["history",{"since":0}]`);
      await sleep(50);
      if (requests % 100 === 0) {
        const h = await get(server.port, "/healthz").catch((e) => ({ status: String(e) }));
        healthDuringStall.push(h.status);
      }
      if (serverSideState(server.port, clientPort) !== "01") {
        dropMs = Date.now() - started;
        break;
      }
    }
  });

  after(async () => {
    normal?.disconnect();
    slow?.ws.terminate();
    if (server) await server.stop();
  });

  it("a client stalled for 2 s is still connected", () => {
    assert.equal(stillUpAfterShortStall, "01", `server side of the stalled connection is in state ${stillUpAfterShortStall}`);
  });

  it(`the stalled client's connection is closed by the server within ${DROP_WITHIN_MS / 1000} s`, () => {
    assert.notEqual(
      dropMs,
      null,
      `after ${requests} history requests and ${DROP_WITHIN_MS} ms the server still holds the TCP connection open ` +
        `(state ${serverSideState(server.port, clientPort)}, server port ${server.port}, client port ${clientPort})`,
    );
  });

  it("when the stalled client reads again it finds the connection closed, not a live stream", async (t) => {
    const lastSeqBefore = slow.seqs.at(-1);
    slow.ws._socket.resume();
    const closed = await withTimeout(slow.closedP, 10000, "the raw client to see its connection closed").catch((e) => {
      throw new Error(`${e.message}; it read ${slow.messages} messages, sample seqs up to ${slow.seqs.at(-1)} (had ${lastSeqBefore} when it stalled)`);
    });
    // When the server gave up on it: the newest sample it was sent, as the normal client saw it.
    const last = rec.events.find((e) => e.name === "sample" && e.args[0].seq === slow.seqs.at(-1));
    const note =
      `raw client closed with ${closed.code} after reading ${slow.messages} messages (${slow.replies} history acks of ${requests} asked); ` +
      `its newest sample seq ${slow.seqs.at(-1)} was broadcast ${last ? last.at - stalledAt : "?"} ms after it stalled`;
    t.diagnostic(note);
    assert.ok(slow.seqs.at(-1) !== undefined, note);
    // It never got the samples after the drop: the newest it has is older than the normal client's.
    const newest = rec.named("sample").at(-1).seq;
    assert.ok(slow.seqs.at(-1) < newest, `stalled client read up to seq ${slow.seqs.at(-1)}, normal client is at ${newest}`);
  });

  it("the normal client got every sample, without a seq gap, throughout", async () => {
    const before = rec.named("sample").length;
    await rec.until(() => rec.named("sample").length >= before + 10, 10 * PERIOD + 5000, "10 more samples after the drop");
    const h = rec.named("history")[0];
    const seqs = [...h.seq, ...rec.named("sample").map((s) => s.seq)];
    assertContiguous(seqs, "normal client history + live");
    assert.equal(rec.named("disconnect").length, 0, `normal client was disconnected: ${rec.named("disconnect")}`);
  });

  it("the server kept answering HTTP while a client was stalled", async () => {
    assert.ok(healthDuringStall.every((s) => s === 200), `healthz during the stall: ${healthDuringStall}`);
    assert.equal((await get(server.port, "/healthz")).status, 200);
  });
});
