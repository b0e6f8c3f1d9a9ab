// The access token (--token-file) as an outsider on the LAN meets it: without
// the token, or with a wrong one, Socket.IO CONNECT is refused with
// "unauthorized" and not one board/history/sample byte comes down the wire, and
// the data routes answer 401; with the token everything works, for v4 clients
// (auth) and v2 clients (EIO=3, query). A wrong token never reaches the log.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import ioV2 from "socket.io-client-v2";
import WebSocket from "ws";
import {
  Recorder, TOKEN, request, skipReason, sleep, startSbcmon, tempDir, tokenFile, waitFor,
} from "../security/lib.mjs";
import { deadline } from "../lib/deadline.mjs";

const skip = skipReason();
// Distinctive so that grepping the log for it means something.
const WRONG = "wrong-token-Zq81xKm4";
const QUIET_MS = 1500; // several sample periods (200 ms) of listening for leaks

/** Raw websocket Engine.IO session: resolves all text frames received within `ms` after sending `send`. */
async function rawSession(wsUrl, { eio = 4, send = [], ms = QUIET_MS, query = "" } = {}) {
  const ws = new WebSocket(`${wsUrl}/socket.io/?EIO=${eio}&transport=websocket${query}`);
  const frames = [];
  ws.on("message", (d) => frames.push(d.toString()));
  await waitFor(() => ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CLOSED, 5000, "websocket open");
  await waitFor(() => frames.length > 0 || ws.readyState === WebSocket.CLOSED, 5000, "the open packet");
  for (const f of send) ws.send(f);
  await sleep(ms);
  ws.close();
  return frames;
}

const dataFrames = (frames) => frames.filter((f) => /^42/.test(f) || /^43/.test(f) || /^45/.test(f) || /^46/.test(f));

describe("--token-file: Socket.IO and data routes", { skip }, () => {
  let tmp, sbc;
  const clients = [];
  const v4 = (opts) => {
    const s = io(sbc.url, { forceNew: true, reconnection: false, timeout: deadline(5000), ...opts });
    clients.push(s);
    return s;
  };
  before(async () => {
    tmp = tempDir("token");
    sbc = await startSbcmon({ args: ["--token-file", tokenFile(tmp.dir)] });
  });
  after(async () => {
    for (const s of clients) s.close();
    await sbc?.stop();
    tmp?.remove();
  });

  for (const [label, opts] of [
    ["no token (websocket)", { transports: ["websocket"] }],
    ["no token (polling)", { transports: ["polling"] }],
    ["a wrong token (websocket)", { transports: ["websocket"], auth: { token: WRONG } }],
    ["a wrong token (polling)", { transports: ["polling"], auth: { token: WRONG } }],
    ["the token as a number", { transports: ["websocket"], auth: { token: 12345678 } }],
    ["the right token under another key", { transports: ["websocket"], auth: { password: TOKEN } }],
  ]) {
    it(`socket.io-client 4 with ${label}: connect_error "unauthorized" and no data`, async () => {
      const rec = new Recorder(v4(opts));
      await rec.until((r) => r.named("connect_error").length >= 1, 5000, "connect_error");
      await sleep(QUIET_MS);
      assert.equal(rec.named("connect_error")[0].data, "unauthorized");
      assert.equal(rec.named("connect").length, 0, "never connected");
      assert.deepEqual(rec.data().map((e) => e.name), [], "no board/history/sample event");
    });
  }

  it("on the wire: a refused CONNECT (v5) gets 44 unauthorized and no event packet, on / and /test", async () => {
    for (const connect of ["40", `40{"token":"${WRONG}"}`, `40{"token":""}`, `40/test,{"token":"${WRONG}"}`]) {
      const frames = await rawSession(sbc.wsUrl, { send: [connect] });
      assert.match(frames[0], /^0\{/, "the Engine.IO open packet");
      const nsp = connect.startsWith("40/test,") ? "/test," : "";
      assert.ok(frames.includes(`44${nsp}{"message":"unauthorized"}`), `${connect}: CONNECT_ERROR in ${JSON.stringify(frames)}`);
      assert.deepEqual(dataFrames(frames), [], `${connect}: no event/ack packets`);
    }
    // The control: the same listener with the right token does see the data packets.
    const good = await rawSession(sbc.wsUrl, { send: [`40{"token":"${TOKEN}"}`] });
    assert.ok(good.some((f) => f.startsWith('42["board"')), `board with the token: ${good.slice(0, 3)}`);
    assert.ok(good.filter((f) => f.startsWith('42["sample"')).length >= 3, "samples with the token");
  });

  it("on the wire: an EIO=3 session without the token is not joined to / and gets no data", async () => {
    for (const query of ["", `&token=${WRONG}`]) {
      const frames = await rawSession(sbc.wsUrl, { eio: 3, query });
      assert.match(frames[0], /^0\{/, "the Engine.IO open packet");
      assert.ok(!frames.includes("40"), `"/" joined without the token: ${JSON.stringify(frames)}`);
      assert.ok(frames.some((f) => /^44/.test(f) && f.includes("unauthorized")),
        `an error packet saying unauthorized: ${JSON.stringify(frames)}`);
      assert.deepEqual(dataFrames(frames), [], "no event packets");
    }
  });

  it("socket.io-client 4 with the right token gets board, history and live samples", async () => {
    for (const transports of [["websocket"], ["polling"], ["polling", "websocket"]]) {
      const rec = new Recorder(v4({ transports, auth: { token: TOKEN } }));
      await rec.until((r) => r.named("sample").length >= 2, 8000, `two samples over ${transports}`);
      assert.deepEqual(rec.data().slice(0, 2).map((e) => e.name), ["board", "history"]);
    }
  });

  it("the right token opens /test (the seed namespace) too", async () => {
    const s = io(`${sbc.url}/test`, { forceNew: true, reconnection: false, transports: ["websocket"], auth: { token: TOKEN } });
    clients.push(s);
    const rec = new Recorder(s);
    await rec.until((r) => r.named("connect").length === 1, 5000, "connect on /test");
  });

  it("socket.io-client 2 (EIO=3) with query {token} gets data; with a wrong one an error and no data", async () => {
    for (const transports of [["websocket"], ["polling", "websocket"]]) {
      const good = ioV2(sbc.url, { forceNew: true, reconnection: false, timeout: deadline(5000), transports, query: { token: TOKEN } });
      clients.push(good);
      const rg = new Recorder(good);
      await rg.until((r) => r.named("sample").length >= 2, 8000, `v2 samples over ${transports}`);
      assert.equal(rg.named("board").length, 1);

      const bad = ioV2(sbc.url, { forceNew: true, reconnection: false, timeout: deadline(5000), transports, query: { token: WRONG } });
      clients.push(bad);
      const rb = new Recorder(bad);
      await rb.until((r) => r.named("error").length + r.named("connect_error").length >= 1, 5000, "v2 refusal");
      await sleep(QUIET_MS);
      assert.match(JSON.stringify(rb.events), /unauthorized/);
      assert.equal(rb.named("connect").length, 0, "v2 client never connected");
      assert.deepEqual(rb.data(), [], "no data to the v2 client with a wrong token");
    }
  });

  it("/healthz answers without the token (for supervisors) and reveals no figures", async () => {
    const r = await request(`${sbc.url}/healthz`);
    assert.equal(r.status, 200);
    const body = JSON.parse(r.text);
    assert.equal(body.status, "ok");
    assert.doesNotMatch(r.text, /"t"|"seq"|"cpu"|"mem"|"hostname"|"kernel"/, `healthz says more than ok: ${r.text}`);
  });

  for (const route of ["/api/v1/history", "/metrics"]) {
    it(`${route}: 401 without or with a wrong Bearer, 200 with the token`, async () => {
      for (const headers of [{}, { authorization: `Bearer ${WRONG}` }, { authorization: `Basic ${TOKEN}` },
        { authorization: `Bearer ${TOKEN}x` }, { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, { authorization: "Bearer " }]) {
        const r = await request(`${sbc.url}${route}`, { headers });
        assert.equal(r.status, 401, `${JSON.stringify(headers)} -> ${r.status}`);
        assert.doesNotMatch(r.text, /"t"|"seq"|node_cpu|"samples"/, "no data in the refusal");
      }
      const ok = await request(`${sbc.url}${route}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(ok.status, 200);
      if (route === "/api/v1/history") assert.ok(Array.isArray(JSON.parse(ok.text).seq), "history JSON");
    });
  }

  it("the token in a URL query does not open the data routes (it would end up in logs and history)", async () => {
    const r = await request(`${sbc.url}/api/v1/history?token=${TOKEN}`);
    assert.equal(r.status, 401);
  });

  it("neither the wrong nor the right token ever appears in sbcmon's output", async () => {
    // Every way of presenting a token, wrong, once more, then a clean stop so all output is flushed.
    await rawSession(sbc.wsUrl, { send: [`40{"token":"${WRONG}"}`], ms: 200 });
    await rawSession(sbc.wsUrl, { eio: 3, query: `&token=${WRONG}`, ms: 200 });
    await request(`${sbc.url}/socket.io/?EIO=4&transport=polling&token=${WRONG}`);
    await request(`${sbc.url}/api/v1/history`, { headers: { authorization: `Bearer ${WRONG}` } });
    for (const s of clients) s.close();
    const e = await sbc.stop();
    assert.equal(e.code, 0, `clean exit: ${JSON.stringify(e)}`);
    const out = sbc.output();
    assert.ok(out.includes("serving"), `the log is captured: ${out}`);
    assert.ok(!out.includes(WRONG), `the wrong token is in the log:\n${out}`);
    assert.ok(!out.includes(TOKEN), `the token is in the log:\n${out}`);
  });
});

describe("--token-file refuses a weak or missing token file", { skip }, () => {
  it("exits non-zero, naming the file but not echoing its content", async () => {
    const tmp = tempDir("weak");
    try {
      const { spawnSync } = await import("node:child_process");
      for (const [content, expect] of [["short", /at least 8/], [null, /token-file/]]) {
        const file = content === null ? `${tmp.dir}/missing` : tokenFile(tmp.dir, content);
        const r = spawnSync(process.env.SBCMON_BIN, ["--port", "1", "--token-file", file], { encoding: "utf8", timeout: deadline(5000) });
        assert.equal(r.status, 2, `exit status for ${content}: ${r.stderr}`);
        assert.match(r.stderr, expect);
        if (content) assert.ok(!r.stderr.includes(`'${content}'`) && !r.stderr.includes(`: ${content}`), r.stderr);
      }
    } finally {
      tmp.remove();
    }
  });
});
