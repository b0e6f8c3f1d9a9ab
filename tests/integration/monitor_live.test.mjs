// The live API on namespace "/" with the official socket.io-client 4 against
// sbcmon in monitor mode: a late joiner gets board, then the history of every
// tick so far, then live samples with no seq gap; the history-since ack returns
// exactly the newer samples; a client whose connection drops backfills the hole.
// Ticks are counted from the server's own seq numbers, never from the clock.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import {
  Recorder,
  assertContiguous,
  fixtureCopy,
  historySeqs,
  selfDescription,
  skipReason,
  startMonitor,
} from "./lib/fixture_tree.mjs";
import { deadline } from "../lib/deadline.mjs";

const PERIOD = 500;
const N = 6; // ticks the observer must have seen before the late joiner connects
const skip = skipReason();

describe("monitor: board, history and live samples on /", { skip }, () => {
  let server;
  let tree;
  let self;
  let observer; // connected from the start: knows every seq the server produced
  let rec;
  const clients = [];

  // seq -> t for every sample the observer knows of (history on connect and live).
  const known = new Map();
  const firstKnownSeq = () => Math.min(...known.keys());
  const lastKnownSeq = () => Math.max(...known.keys());

  function client(opts = {}) {
    const s = io(server.url, { forceNew: true, reconnection: false, timeout: deadline(5000), ...opts });
    clients.push(s);
    return s;
  }

  before(async () => {
    self = await selfDescription();
    tree = fixtureCopy("pi4");
    server = await startMonitor(["--interval", `${PERIOD}ms`, "--proc-root", tree.dir, "--sys-root", tree.sys]);
    observer = client({ transports: ["websocket"] });
    rec = new Recorder(observer);
    observer.on("history", (h) => h.seq.forEach((q, i) => known.set(q, h.t[i])));
    observer.on("sample", (s) => known.set(s.seq, s.t));
    await rec.until(() => known.size >= N, N * PERIOD + 5000, `the observer to know ${N} samples`);
  });

  after(async () => {
    for (const s of clients) s.disconnect();
    try {
      if (server) await server.stop();
    } finally {
      tree?.remove();
    }
  });

  it("the observer's own stream has no seq gap", () => {
    const seqs = [...known.keys()].sort((a, b) => a - b);
    assertContiguous(seqs, "observer history + live samples");
    const ts = seqs.map((q) => known.get(q));
    for (let i = 1; i < ts.length; i++) assert.ok(ts[i] > ts[i - 1], `t not increasing at seq ${seqs[i]}: ${ts}`);
  });

  it("a late joiner gets board, then history of the N ticks so far, then samples continuing it", async () => {
    const lastBefore = lastKnownSeq();
    const ticksBefore = known.size;
    const late = client(); // default transports: polling, then upgrade, as a browser does
    const lr = new Recorder(late);
    await lr.until(() => lr.named("sample").length >= 3, 3 * PERIOD + 5000, "three live samples on the late joiner");

    const names = lr.events.map((e) => e.name).filter((n) => n !== "connect");
    assert.deepEqual(names.slice(0, 3), ["board", "history", "sample"], `first events: ${names.slice(0, 6)}`);
    assert.equal(lr.named("board").length, 1, "board is sent once");
    assert.equal(lr.named("history").length, 1, "history is sent once on connect");

    const board = lr.named("board")[0];
    assert.equal(board.cores, 4, "pi4 fixture has 4 possible CPUs");
    assert.equal(board.period_ms, PERIOD);
    assert.equal(board.capacity, self.capacity, "capacity is the ring length --version reports");
    assert.equal(board.version, self.version, "version is the one --version prints");
    assert.equal(board.model, "Raspberry Pi 4 Model B Rev 1.4");

    const h = lr.named("history")[0];
    const seqs = historySeqs(h);
    assertContiguous(seqs, "late joiner's history");
    assert.equal(seqs[0], firstKnownSeq(), "history starts at the first tick after start-up");
    assert.ok(seqs.at(-1) >= lastBefore, `history ends at ${seqs.at(-1)}, before seq ${lastBefore} the observer already had`);
    // Not truncated: every tick before the late joiner connected; and no more than the
    // observer has seen by now (its connect may take a few periods on a busy machine).
    const ticksNow = known.size;
    assert.ok(
      seqs.length >= ticksBefore - 1 && seqs.length <= ticksNow + 1,
      `history has ${seqs.length} samples; ${ticksBefore} ticks before the late joiner, ${ticksNow} now: ${JSON.stringify(seqs)}`,
    );
    assert.equal(h.period_ms, PERIOD);
    assert.equal(h.capacity, self.capacity);
    // Columns all line up with seq, and t agrees with what the observer was sent live.
    for (const key of ["t", "total", "mem_used", "swap_used", "load1", "net_rx", "net_tx"]) {
      assert.equal(h[key].length, seqs.length, `column ${key} has ${h[key].length} entries for ${seqs.length} samples`);
    }
    assert.equal(h.cpu.length, 4);
    for (const col of h.cpu) assert.equal(col.length, seqs.length);
    seqs.forEach((q, i) => assert.equal(h.t[i], known.get(q), `t of seq ${q} differs between history and the observer`));
    // pi4 memory: MemTotal - MemAvailable = 523572 kB, sent in bytes.
    for (const m of h.mem_used) assert.equal(m, 523572 * 1024);

    const live = lr.named("sample").map((s) => s.seq);
    assert.equal(live[0], seqs.at(-1) + 1, `first live sample ${live[0]} does not follow history's last ${seqs.at(-1)}`);
    assertContiguous(live, "late joiner's live samples");
  });

  it("the history ack returns exactly the samples with t > since", async () => {
    const c = client({ transports: ["websocket"] });
    const cr = new Recorder(c);
    await cr.until(() => cr.named("sample").length >= 1, PERIOD + 5000, "a live sample");
    const h = cr.named("history")[0];
    const mid = Math.floor(h.seq.length / 2);
    const since = h.t[mid];

    const ack = await c.timeout(deadline(3000)).emitWithAck("history", { since });
    const seqs = historySeqs(ack);
    assertContiguous(seqs, "ack since a sample's own t");
    assert.equal(seqs[0], h.seq[mid] + 1, `since=${since} (t of seq ${h.seq[mid]}) must exclude that sample`);
    for (const t of ack.t) assert.ok(t > since, `ack holds t=${t} not newer than since=${since}`);
    assert.ok(seqs.at(-1) >= cr.named("sample").at(-1).seq, "ack misses a sample this client already got live");
    seqs.forEach((q, i) => {
      if (known.has(q)) assert.equal(ack.t[i], known.get(q), `t of seq ${q}`);
    });
    for (const key of ["t", "total", "mem_used", "load1"]) assert.equal(ack[key].length, seqs.length, key);
    for (const col of ack.cpu) assert.equal(col.length, seqs.length);

    const incl = await c.timeout(deadline(3000)).emitWithAck("history", { since: since - 1 });
    assert.equal(incl.seq[0], h.seq[mid], "since = t - 1 includes the sample at t");

    const all = await c.timeout(deadline(3000)).emitWithAck("history", { since: 0 });
    assert.equal(all.seq[0], firstKnownSeq(), "since 0 returns everything");
    assertContiguous(all.seq, "ack since 0");

    const future = await c.timeout(deadline(3000)).emitWithAck("history", { since: Date.now() + 3600e3 });
    assert.deepEqual(future.seq, [], "nothing is newer than an hour from now");
    assert.deepEqual(future.t, []);
    for (const col of future.cpu) assert.deepEqual(col, []);
  });

  it("a client whose connection drops reconnects and backfills the hole with no gap", async () => {
    const c = client({ transports: ["websocket"], reconnection: true, reconnectionDelay: 3 * PERIOD, reconnectionDelayMax: 3 * PERIOD, randomizationFactor: 0 });
    const seen = new Map(); // seq -> t, as the page keeps it
    let lastT = -Infinity;
    const keep = (q, t) => {
      seen.set(q, t);
      lastT = Math.max(lastT, t);
    };
    c.on("history", (h) => h.seq.forEach((q, i) => keep(q, h.t[i])));
    c.on("sample", (s) => keep(s.seq, s.t));
    const cr = new Recorder(c);
    await cr.until(() => cr.named("sample").length >= 2, 2 * PERIOD + 5000, "two live samples");

    // Drop the TCP connection under the client, as a Wi-Fi hiccup would.
    const lastBeforeDrop = Math.max(...seen.keys());
    const lastTBeforeDrop = lastT;
    c.io.engine.transport.ws._socket.destroy();
    await cr.until(() => cr.named("disconnect").length >= 1, 3000, "the client to notice the drop");
    const samplesBeforeDrop = cr.named("sample").length;
    await cr.until(() => cr.events.filter((e) => e.name === "connect").length >= 2, 10000, "the reconnect");

    // What the page does on reconnect: ask for everything newer than it has.
    const ack = await c.timeout(deadline(3000)).emitWithAck("history", { since: lastTBeforeDrop });
    assert.equal(ack.seq[0], lastBeforeDrop + 1, `backfill since the last t seen starts at ${ack.seq[0]}, not ${lastBeforeDrop + 1}`);
    assertContiguous(ack.seq, "backfill ack");
    ack.seq.forEach((q, i) => keep(q, ack.t[i]));

    await cr.until(() => cr.named("sample").length >= samplesBeforeDrop + 2, 2 * PERIOD + 5000, "live samples after the reconnect");
    const liveAfter = cr.named("sample").slice(samplesBeforeDrop).map((s) => s.seq);
    assert.ok(liveAfter[0] > lastBeforeDrop + 1, `the drop should have missed a tick (last ${lastBeforeDrop}, next live ${liveAfter[0]})`);

    const all = [...seen.keys()].sort((a, b) => a - b);
    assertContiguous(all, "samples before the drop + backfill + live after");
    assert.ok(all.at(-1) >= liveAfter.at(-1));
    c.disconnect();
  });

  it("the observer, connected throughout, stayed connected with no gap", () => {
    const seqs = [...known.keys()].sort((a, b) => a - b);
    assertContiguous(seqs, "observer after all other tests");
    assert.ok(rec.named("disconnect").length === 0, `observer was disconnected: ${rec.named("disconnect")}`);
  });
});
