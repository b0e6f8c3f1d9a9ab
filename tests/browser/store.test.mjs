// The page's history store (www/src/store.js), on its own: merging the
// `history` event, backfill acks and live samples must never duplicate or drop a
// point, and a pause in the stream must be drawn as a gap, not a straight line.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Store } from "../../www/src/store.js";

const board = { cores: 2, capacity: 10, period_ms: 1000, temp_names: ["cpu-thermal"] };

function sample(t, total = 50) {
  return { t, seq: t / 1000, total, cpu: [total, null], freq_mhz: [1500, null],
    mem: { total: 100, used: 40, avail: 60 }, swap: { total: 0, used: 0 }, load: [0.5, 0.4, 0.3],
    uptime: 99, temp: [{ name: "cpu-thermal", c: 47.7 }], throttled: null,
    net: [{ if: "eth0", rx: 10, tx: 1 }, { if: "wlan0", rx: 5, tx: 2 }] };
}

function history(ts) {
  return { period_ms: 1000, capacity: 10, t: ts, seq: ts.map((t) => t / 1000), total: ts.map(() => 20),
    cpu: [ts.map(() => 10), ts.map(() => 30)], freq_mhz: [ts.map(() => 600), ts.map(() => 600)],
    mem_used: ts.map(() => 1), swap_used: ts.map(() => 0), temp: [ts.map(() => 45)], load1: ts.map(() => 0.1),
    net_rx: ts.map(() => 3), net_tx: ts.map(() => 4) };
}

describe("www store", () => {
  it("takes history then live samples, oldest first, sums interfaces", () => {
    const s = new Store(board);
    assert.equal(s.addHistory(history([1000, 2000, 3000])), 3);
    assert.equal(s.addSample(sample(4000)), true);
    assert.deepEqual(s.ts, [1, 2, 3, 4]);
    assert.deepEqual(s.cpu[1], [30, 30, 30, null], "an offline core is null");
    assert.deepEqual(s.rx, [3, 3, 3, 15]);
    assert.deepEqual(s.temp[0], [45, 45, 45, 47.7]);
    assert.equal(s.lastT, 4000);
  });

  it("ignores what it already has: overlapping history, repeated samples", () => {
    const s = new Store(board);
    s.addHistory(history([1000, 2000, 3000]));
    assert.equal(s.addSample(sample(3000)), false);
    assert.equal(s.addHistory(history([2000, 3000, 4000, 5000])), 2);
    assert.deepEqual(s.ts, [1, 2, 3, 4, 5]);
  });

  it("breaks the line across a gap in the stream and keeps since on real samples", () => {
    const s = new Store(board);
    s.addHistory(history([1000, 2000]));
    s.addSample(sample(9000));
    assert.deepEqual(s.ts, [1, 2, 3, 9]);
    assert.equal(s.total[2], null, "a null row between the two runs");
    assert.equal(s.lastT, 9000);
  });

  it("keeps at most the server's capacity", () => {
    const s = new Store(board);
    for (let i = 1; i <= 25; i++) s.addSample(sample(i * 1000));
    assert.equal(s.length, 10);
    assert.equal(s.ts[0], 16);
    assert.equal(s.cpu[0].length, 10);
  });

  it("adds an interface a newer board names, and empties a slot given to another name", () => {
    const s = new Store({ ...board, net_ifaces: ["eth0", "wlan0"] });
    s.addSample(sample(1000));
    s.addSample(sample(2000));
    assert.deepEqual(s.nrx, [[10, 10], [5, 5]]);
    assert.equal(s.grow({ ...board, net_ifaces: ["eth0", "wlan0"] }), false, "the same names: nothing changes");
    // wlan0 gone a minute, its slot given to tun0: wlan0's points are not drawn as tun0's.
    assert.equal(s.grow({ ...board, net_ifaces: ["eth0", "tun0", "usb0"] }), true);
    assert.deepEqual(s.ifaces, ["eth0", "tun0", "usb0"]);
    assert.deepEqual(s.nrx, [[10, 10], [null, null], [null, null]]);
    assert.deepEqual(s.ntx, [[1, 1], [null, null], [null, null]]);
    s.addSample({ ...sample(3000), net: [{ if: "eth0", rx: 10, tx: 1 }, { if: "tun0", rx: 7, tx: 3 }] });
    assert.deepEqual(s.nrx, [[10, 10, 10], [null, null, 7], [null, null, null]]);
  });

  it("recognises the same board after a reconnect", () => {
    const s = new Store(board);
    assert.equal(s.fits({ ...board }), true);
    assert.equal(s.fits({ ...board, cores: 4 }), false);
  });
});
