// Hard limits as an abusive client on the LAN would probe them: too many
// sessions, a handshake flood from one address, oversize headers and bodies, a
// slowloris trickle. Each time the abuser is refused and the clients already
// watching keep getting their samples.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { io } from "socket.io-client";
import WebSocket from "ws";
import {
  HOST, Recorder, request, skipReason, sleep, startSbcmon, waitFor, withTimeout,
} from "../security/lib.mjs";
import { deadline } from "../lib/deadline.mjs";

const skip = skipReason();

/** Samples each recorder got during the next `ms`. */
async function samplesDuring(recs, ms) {
  const before = recs.map((r) => r.named("sample").length);
  await sleep(ms);
  return recs.map((r, i) => r.named("sample").length - before[i]);
}

/** Writes `bytes` on a raw TCP connection; resolves what came back before the close or `ms`. */
function rawExchange(port, bytes, ms = 3000) {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    let got = "";
    let done = false;
    const finish = (how) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.destroy();
      resolve({ got, how });
    };
    const t = setTimeout(() => finish("timeout"), ms);
    s.on("connect", () => s.write(bytes));
    s.on("data", (d) => (got += d));
    s.on("end", () => finish("end"));
    s.on("close", () => finish("close"));
    s.on("error", (e) => finish(`error ${e.code}`));
  });
}

function watchers(sbc, n, list) {
  const recs = [];
  for (let i = 0; i < n; i++) {
    const s = io(sbc.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: deadline(5000) });
    list.push(s);
    recs.push(new Recorder(s));
  }
  return recs;
}

describe("--max-sessions 3", { skip }, () => {
  let sbc;
  const clients = [];
  before(async () => {
    sbc = await startSbcmon({ args: ["--max-sessions", "3"] });
  });
  after(async () => {
    for (const s of clients) s.close();
    await sbc?.stop();
  });

  it("refuses the 4th client (websocket and polling) while the first 3 keep receiving", async () => {
    const recs = watchers(sbc, 3, clients);
    await Promise.all(recs.map((r) => r.until((x) => x.named("sample").length >= 1, 8000, "a sample on each of 3")));

    const fourth = io(sbc.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: deadline(4000) });
    clients.push(fourth);
    const r4 = new Recorder(fourth);
    await r4.until((r) => r.named("connect_error").length + r.named("disconnect").length >= 1, 6000, "the 4th refused");
    assert.equal(r4.named("connect").length, 0, "the 4th never connected");
    assert.deepEqual(r4.data(), [], "the 4th got no data");

    const poll = await request(`${sbc.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(poll.status, 503, `polling newcomer: ${poll.status} ${poll.text}`);
    assert.doesNotMatch(poll.text, /"sid"/);

    const got = await samplesDuring(recs, 1200);
    assert.ok(got.every((n) => n >= 3), `each of the first 3 kept receiving (samples in 1.2 s: ${got})`);
    assert.ok(recs.every((r) => r.named("disconnect").length === 0), "none of the first 3 was dropped");
  });

  it("a freed slot takes a newcomer again", async () => {
    clients[0].close();
    await waitFor(async () => (await request(`${sbc.url}/socket.io/?EIO=4&transport=polling`)).status === 200,
      3000, "a handshake once a slot is free");
  });
});

describe("--handshakes-per-s 5", { skip }, () => {
  let sbc;
  before(async () => {
    sbc = await startSbcmon({ args: ["--handshakes-per-s", "5"] });
  });
  after(async () => {
    await sbc?.stop();
  });

  it("a burst of 20 handshakes from one address sees 429s; a second later it may handshake again", async () => {
    const rs = await Promise.all(Array.from({ length: 20 }, () =>
      request(`${sbc.url}/socket.io/?EIO=4&transport=polling`)));
    const statuses = rs.map((r) => r.status);
    const ok = statuses.filter((s) => s === 200).length;
    const limited = rs.filter((r) => r.status === 429);
    assert.ok(ok >= 1 && ok <= 10, `some but at most two windows' worth accepted: ${statuses}`);
    assert.ok(limited.length >= 10, `at least 10 of 20 refused with 429: ${statuses}`);
    assert.doesNotMatch(limited[0].text, /"sid"/);
    assert.equal(ok + limited.length, 20, `only 200s and 429s: ${statuses}`);

    // Websocket handshakes count too.
    const wsResults = await Promise.all(Array.from({ length: 20 }, () => new Promise((resolve) => {
      const ws = new WebSocket(`${sbc.wsUrl}/socket.io/?EIO=4&transport=websocket`);
      ws.on("open", () => { ws.close(); resolve("open"); });
      ws.on("unexpected-response", (_req, res) => { resolve(res.statusCode); res.resume(); });
      ws.on("error", () => resolve("error"));
    })));
    assert.ok(wsResults.filter((x) => x === 429).length >= 10, `websocket burst refused with 429: ${wsResults}`);

    await sleep(1100);
    const again = await request(`${sbc.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(again.status, 200, "the address is not banned for good");
  });
});

describe("oversize requests and slow clients", { skip }, () => {
  let sbc;
  const clients = [];
  let recs;
  before(async () => {
    sbc = await startSbcmon({ args: ["--max-payload", "1024"] });
    recs = watchers(sbc, 2, clients);
    await Promise.all(recs.map((r) => r.until((x) => x.named("sample").length >= 1, 8000, "watchers")));
  });
  after(async () => {
    for (const s of clients) s.close();
    await sbc?.stop();
  });

  it("a request with > 4 KB of headers is refused, the server lives on", async () => {
    for (const size of [5000, 16000, 64000]) {
      const req = `GET / HTTP/1.1\r\nHost: ${HOST}:${sbc.port}\r\nX-Big: ${"a".repeat(size)}\r\n\r\n`;
      const r = await rawExchange(sbc.port, req);
      assert.doesNotMatch(r.got, /^HTTP\/1\.1 200/, `a ${size}-byte header got the page`);
      assert.ok(r.how !== "timeout", `the oversize request was answered or closed, not held: ${r.how}`);
      assert.ok(sbc.alive(), `sbcmon still runs after a ${size}-byte header`);
    }
    // Many small headers adding up past the limit, too.
    const many = Array.from({ length: 400 }, (_, i) => `X-H${i}: ${"b".repeat(20)}`).join("\r\n");
    const r = await rawExchange(sbc.port, `GET / HTTP/1.1\r\nHost: x\r\n${many}\r\n\r\n`);
    assert.doesNotMatch(r.got, /^HTTP\/1\.1 200/);
    assert.equal((await request(`${sbc.url}/`)).status, 200, "the page is still served");
    const got = await samplesDuring(recs, 800);
    assert.ok(got.every((n) => n >= 2), `watchers unaffected: ${got}`);
  });

  it("a POST over --max-payload gets 413, the session's neighbours are unaffected", async () => {
    const hs = await request(`${sbc.url}/socket.io/?EIO=4&transport=polling`);
    const sid = JSON.parse(hs.text.slice(1)).sid;
    assert.equal(JSON.parse(hs.text.slice(1)).maxPayload, 1024, "the handshake advertises --max-payload");
    const big = "4" + "x".repeat(4096);
    const r = await request(`${sbc.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
      method: "POST", body: big, headers: { "content-type": "text/plain;charset=UTF-8", "content-length": big.length } });
    assert.equal(r.status, 413, `oversize POST: ${r.status} ${r.text}`);

    // The same without a Content-Length (chunked): the body is counted as it arrives.
    const hs2 = await request(`${sbc.url}/socket.io/?EIO=4&transport=polling`);
    const sid2 = JSON.parse(hs2.text.slice(1)).sid;
    const chunked = await request(`${sbc.url}/socket.io/?EIO=4&transport=polling&sid=${sid2}`, {
      method: "POST", body: big, headers: { "content-type": "text/plain;charset=UTF-8", "transfer-encoding": "chunked" } })
      .catch((e) => ({ status: `error ${e.code ?? e.message}` }));
    assert.notEqual(chunked.status, 200, "a chunked oversize POST is not accepted");

    // An oversize websocket message drops that client alone.
    const ws = new WebSocket(`${sbc.wsUrl}/socket.io/?EIO=4&transport=websocket`);
    const closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));
    ws.on("open", () => ws.send("4" + "y".repeat(8192)));
    const code = await withTimeout(closed, 5000, "the oversize websocket closed");
    assert.equal(code, 1009, "closed as message too big");

    assert.ok(sbc.alive());
    const got = await samplesDuring(recs, 800);
    assert.ok(got.every((n) => n >= 2), `watchers unaffected: ${got}`);
  });

  it("a slowloris (a header byte per second) does not stop others being served", async () => {
    const slow = [];
    const start = Date.now();
    const headerBytes = `GET / HTTP/1.1\r\nHost: ${HOST}:${sbc.port}\r\nX-Slow: ${"z".repeat(64)}`;
    for (let i = 0; i < 3; i++) {
      const s = net.connect({ host: HOST, port: sbc.port });
      s.on("error", () => {});
      s.closedAt = null;
      s.on("close", () => (s.closedAt = Date.now() - start));
      slow.push(s);
    }
    let k = 0;
    const drip = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write(headerBytes[k % headerBytes.length]);
      k++;
    }, 1000);
    try {
      for (let round = 0; round < 6; round++) {
        const t0 = Date.now();
        const r = await request(`${sbc.url}/`, { timeout: 2000 });
        assert.equal(r.status, 200);
        assert.ok(Date.now() - t0 < 1000, `GET / took ${Date.now() - t0} ms during the slowloris`);
        await sleep(500);
      }
      const got = await samplesDuring(recs, 600);
      assert.ok(got.every((n) => n >= 2), `watchers kept receiving during the slowloris: ${got}`);
    } finally {
      clearInterval(drip);
      for (const s of slow) s.destroy();
    }
  });

  it("a hundred slowloris sockets (more than the header pool) do not stop others being served", async () => {
    const slow = [];
    for (let i = 0; i < 100; i++) {
      const s = net.connect({ host: HOST, port: sbc.port });
      s.on("error", () => {});
      s.on("connect", () => s.write("G"));
      slow.push(s);
    }
    const drip = setInterval(() => { for (const s of slow) if (!s.destroyed) s.write("E"); }, 1000);
    try {
      await sleep(500);
      const t0 = Date.now();
      const r = await request(`${sbc.url}/`, { timeout: 3000 }).catch((e) => ({ status: e.message }));
      assert.equal(r.status, 200, `GET / with 100 slow sockets open: ${r.status} after ${Date.now() - t0} ms`);
      const polled = await request(`${sbc.url}/socket.io/?EIO=4&transport=polling`, { timeout: 3000 })
        .catch((e) => ({ status: e.message }));
      assert.equal(polled.status, 200, "a new Engine.IO session can still start");
      const got = await samplesDuring(recs, 600);
      assert.ok(got.every((n) => n >= 2), `watchers kept receiving: ${got}`);
    } finally {
      clearInterval(drip);
      for (const s of slow) s.destroy();
    }
  });
});
