// The processes view over Socket.IO on the pi4 fixture: sbcmon scans /proc/<pid> only
// while a client subscribes (or asks with an ack), at most once per period, and reports
// CPU over the interval, resident memory, state and user; figures from
// tests/fixtures/README.txt.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { io } from "socket.io-client";
import { Recorder, fixtureCopy, skipReason, startMonitor } from "./lib/fixture_tree.mjs";
import { deadline } from "../lib/deadline.mjs";

const PERIOD = 500;
const skip = skipReason();

describe("monitor: processes on the pi4 fixture", { skip }, () => {
  let server, tree, socket, rec;
  const named = (n) => rec.named(n);

  before(async () => {
    tree = fixtureCopy("pi4");
    server = await startMonitor(["--interval", `${PERIOD}ms`, "--proc-root", tree.dir, "--sys-root", tree.sys]);
    socket = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: 5000 });
    rec = new Recorder(socket);
    await rec.until(() => named("sample").length >= 3, PERIOD * 6 + 5000, "three samples");
  });

  after(async () => {
    socket?.disconnect();
    try {
      if (server) await server.stop();
    } finally {
      tree?.remove();
    }
  });

  it("nothing is scanned or sent before a client asks", () => {
    assert.equal(named("processes").length, 0);
  });

  it("a request with ack answers the top lists; the first scan has no CPU figure (absent, not 0)", async () => {
    const p = await socket.timeout(deadline(3000)).emitWithAck("processes");
    assert.equal(p.seen, 5);
    assert.equal(p.untracked, 0);
    assert.deepEqual(p.cpu, []);
    assert.deepEqual(p.rss.map((x) => x.pid), [812, 2001, 1, 3003, 1234]);
    assert.deepEqual(p.rss[0], { pid: 812, name: "python3", state: "R", cpu: null, rss: 25600 * 4096, uid: 1000, user: "pi" });
    assert.equal(p.rss[1].name, "(my app) v2");
    assert.equal(p.rss[1].user, "www-data");
    assert.equal(p.rss[4].state, "Z");
    assert.equal(p.rss[4].rss, 0);
    // Asked again at once: the same scan (at most one per period), not a new one.
    const again = await socket.timeout(deadline(3000)).emitWithAck("processes");
    assert.equal(again.t, p.t);
  });

  it("subscribed: CPU over the interval, the exited process gone; unsubscribed: no more scans", async () => {
    for (const pid of ["1", "812", "1234", "2001"]) tree.swap(`${pid}/stat`, `${pid}/stat.t1`);
    fs.rmSync(path.join(tree.dir, "3003"), { recursive: true });
    assert.equal(await socket.timeout(deadline(3000)).emitWithAck("subscribe", "processes"), true);
    const p = await rec.until(() => named("processes").find((x) => x.cpu.length > 0), PERIOD * 6 + 5000, "a processes event with CPU");
    assert.equal(p.seen, 4);
    assert.deepEqual(p.cpu.map((x) => x.pid), [812, 2001, 1, 1234]);
    // 85 + 5 ticks of USER_HZ 100 over the real time between two scans: at least 0.9 of a
    // period (a tick that fires a hair early still scans), so at most 90 / 0.45 s = 200 %.
    assert.ok(p.cpu[0].cpu > 0 && p.cpu[0].cpu <= 90 / (0.9 * PERIOD / 1000) * 1.005, `python3 cpu ${p.cpu[0].cpu}`);
    assert.ok(!p.rss.some((x) => x.pid === 3003), "apt-check exited between the scans");
    assert.equal(await socket.timeout(deadline(3000)).emitWithAck("unsubscribe", "processes"), false);
    const n = named("processes").length;
    const s = named("sample").length;
    await rec.until(() => named("sample").length >= s + 4, PERIOD * 8 + 5000, "four more samples");
    assert.ok(named("processes").length <= n + 1, "at most the event already on its way");
  });

  it("a disconnected subscriber is forgotten; another client's subscription is its own", async () => {
    const other = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: 5000 });
    const orec = new Recorder(other);
    try {
      await new Promise((resolve) => other.on("connect", resolve));
      other.emit("subscribe", "processes");
      await orec.until(() => orec.named("processes").length >= 2, PERIOD * 6 + 5000, "events on the other client");
      const mine = named("processes").length;
      const s = named("sample").length;
      await rec.until(() => named("sample").length >= s + 2, PERIOD * 6 + 5000, "two more samples");
      assert.equal(named("processes").length, mine, "only the subscriber gets processes");
    } finally {
      other.disconnect();
    }
  });
});
