// Fixture replay: sbcmon reads a private copy of a fixture board tree while the
// test swaps /proc/stat (and friends) for the next fixture reading between ticks.
// A client must see exactly the figures tests/fixtures/README.txt works out.
//
// Swaps are timed against the samples received (swap right after one arrives, so
// the next tick reads the new file). Since the previous reading stays the old file
// until a tick reads the new one, the first sample with CPU figures after a swap is
// the old -> new interval whatever the scheduling; samples in between have zero
// deltas (no figure, null).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { Recorder, fixtureCopy, get, skipReason, startMonitor } from "./lib/fixture_tree.mjs";
import { deadline } from "../lib/deadline.mjs";

const PERIOD = 1000;
const EPS = 0.01;
const skip = skipReason();
const FW = "sys/devices/platform/soc/soc:firmware/get_throttled";
const ONLINE = "sys/devices/system/cpu/online";
const TEMP = "sys/class/thermal/thermal_zone0/temp";

function near(actual, expected, what) {
  if (expected === null) {
    assert.equal(actual, null, `${what}: expected null (absent), got ${actual}`);
    return;
  }
  assert.equal(typeof actual, "number", `${what}: expected ${expected}, got ${JSON.stringify(actual)}`);
  assert.ok(Math.abs(actual - expected) <= EPS, `${what}: expected ${expected} ±${EPS}, got ${actual}`);
}

function assertCpu(sample, cpus, total, what) {
  assert.equal(sample.cpu.length, cpus.length, `${what}: ${sample.cpu.length} cpu entries: ${JSON.stringify(sample.cpu)}`);
  cpus.forEach((v, i) => near(sample.cpu[i], v, `${what} cpu${i}`));
  near(sample.total, total, `${what} total`);
}

function throttleFlags(raw) {
  const bit = (b) => (raw & (1 << b)) !== 0;
  return {
    raw,
    uv_now: bit(0), capped_now: bit(1), throttled_now: bit(2), soft_now: bit(3),
    uv_boot: bit(16), capped_boot: bit(17), throttled_boot: bit(18), soft_boot: bit(19),
  };
}

// Connects, then runs steps: each swaps files right after a sample arrives and
// resolves with the first later sample that has CPU figures.
async function replay(server) {
  const socket = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: deadline(5000) });
  const rec = new Recorder(socket);
  let from = 0; // index into samples already consumed
  const samples = () => rec.named("sample");
  return {
    socket,
    rec,
    board: () => rec.named("board")[0],
    async nextSample() {
      const s = await rec.until(() => samples()[from], PERIOD * 3 + 5000, "a sample");
      from += 1;
      return s;
    },
    // Runs `swap` now (call it just after a sample arrived), then waits for the
    // first sample with a CPU figure; checks that samples in between had none.
    async afterSwap(swap, what) {
      swap();
      for (let i = 0; i < 4; i++) {
        const s = await this.nextSample();
        if (s.total !== null) return s;
        assert.ok(s.cpu.every((v) => v === null), `${what}: zero-delta sample ${s.seq} has figures ${JSON.stringify(s.cpu)}`);
      }
      throw new Error(`${what}: no sample with CPU figures in 4 ticks after the swap`);
    },
  };
}

describe("monitor: pi4 fixture replay", { skip }, () => {
  let server;
  let tree;
  let r;
  let first; // the sample before any swap (stat -> stat: no change)
  let b; // stat -> stat.t1, get_throttled 50005
  let c; // stat.t1 -> stat.t2_cpu2_offline, get_throttled 50000, temp.hot

  before(async () => {
    tree = fixtureCopy("pi4");
    server = await startMonitor(["--interval", `${PERIOD}ms`, "--proc-root", tree.dir, "--sys-root", tree.sys]);
    r = await replay(server);
    first = await r.nextSample();
    // Sysfs first, stat last: a tick that sees the new stat also sees the new sysfs files.
    b = await r.afterSwap(() => {
      tree.swap(FW, `${FW}.undervoltage`);
      tree.swap("net/dev", "net/dev.t1");
      tree.swap("stat", "stat.t1");
    }, "stat -> stat.t1");
    c = await r.afterSwap(() => {
      tree.swap(FW, `${FW}.past_events`);
      tree.swap(ONLINE, `${ONLINE}.cpu2_offline`);
      tree.swap(TEMP, `${TEMP}.hot`);
      tree.swap("stat", "stat.t2_cpu2_offline");
    }, "stat.t1 -> stat.t2_cpu2_offline");
  });

  after(async () => {
    r?.socket.disconnect();
    try {
      if (server) await server.stop();
    } finally {
      tree?.remove();
    }
  });

  it("board names the fixture board: 4 cores, one sensor cpu-thermal, 1500 MHz", () => {
    const board = r.board();
    assert.equal(board.cores, 4);
    assert.equal(board.model, "Raspberry Pi 4 Model B Rev 1.4");
    assert.equal(board.hostname, "pi4");
    assert.deepEqual(board.temp_names, ["cpu-thermal"]);
    assert.equal(board.freq_max_mhz, 1500);
  });

  it("an unchanged /proc/stat gives no CPU figure (null, not 0); get_throttled 0 is all clear", () => {
    assertCpu(first, [null, null, null, null], null, "stat -> stat");
    assert.deepEqual(first.throttled, throttleFlags(0));
  });

  it("stat -> stat.t1: cpu 16, 55, 3, 100; total 43.5", () => {
    assertCpu(b, [16, 55, 3, 100], 43.5, "stat -> stat.t1");
  });

  it("stat.t1 -> stat.t2_cpu2_offline: cpu2 offline is null, cpu3 stays cpu3; total 52.67", () => {
    assertCpu(c, [13, 46, null, 99], 52.67, "stat.t1 -> stat.t2_cpu2_offline");
    assert.equal(c.seq > b.seq, true);
  });

  it("memory used is MemTotal - MemAvailable = 523572 kB, in bytes", () => {
    for (const s of [first, b, c]) {
      assert.deepEqual(s.mem, { total: 3880300 * 1024, used: 523572 * 1024, avail: 3356728 * 1024 }, `seq ${s.seq}`);
      assert.deepEqual(s.swap, { total: 102396 * 1024, used: 0 }, `seq ${s.seq}`);
    }
  });

  it("temperature is 47.7 °C named cpu-thermal, then 80.8 °C with temp.hot", () => {
    assert.deepEqual(first.temp, [{ name: "cpu-thermal", c: 47.7 }]);
    assert.deepEqual(b.temp, [{ name: "cpu-thermal", c: 47.7 }]);
    assert.deepEqual(c.temp, [{ name: "cpu-thermal", c: 80.8 }]);
  });

  it("get_throttled 50005 is under-voltage + throttled now and since boot; 50000 is since boot only", () => {
    assert.deepEqual(b.throttled, throttleFlags(0x50005));
    assert.deepEqual(c.throttled, throttleFlags(0x50000));
  });

  it("clocks are 1500 MHz on online cores; the offline core has none", () => {
    assert.deepEqual(b.freq_mhz, [1500, 1500, 1500, 1500]);
    assert.deepEqual(c.freq_mhz, [1500, 1500, null, 1500]);
  });

  it("net/dev -> net/dev.t1: eth0 about 1234 B/s in, 99 B/s out; lo is not listed", () => {
    const eth0 = b.net.find((n) => n.if === "eth0");
    assert.ok(eth0, `no eth0 in ${JSON.stringify(b.net)}`);
    // A rate over the real time between two reads: allow the tick's jitter.
    assert.ok(Math.abs(eth0.rx - 1234) <= 1234 * 0.1, `eth0 rx ${eth0.rx}`);
    assert.ok(Math.abs(eth0.tx - 99) <= 99 * 0.1, `eth0 tx ${eth0.tx}`);
    assert.ok(!b.net.some((n) => n.if === "lo"), `lo listed: ${JSON.stringify(b.net)}`);
  });

  it("history (socket and HTTP) holds the same figures for those ticks", async () => {
    const h = await r.socket.timeout(deadline(3000)).emitWithAck("history", { since: first.t - 1 });
    const http = JSON.parse((await get(server.port, `/api/v1/history?since=${first.t - 1}`)).text);
    for (const [src, hist] of [["ack", h], ["http", http]]) {
      const ib = hist.seq.indexOf(b.seq);
      const ic = hist.seq.indexOf(c.seq);
      assert.ok(ib >= 0 && ic > ib, `${src}: seqs ${b.seq}, ${c.seq} not in ${JSON.stringify(hist.seq)}`);
      assertCpu({ cpu: hist.cpu.map((col) => col[ib]), total: hist.total[ib] }, [16, 55, 3, 100], 43.5, `${src} seq ${b.seq}`);
      assertCpu({ cpu: hist.cpu.map((col) => col[ic]), total: hist.total[ic] }, [13, 46, null, 99], 52.67, `${src} seq ${c.seq}`);
      assert.equal(hist.mem_used[ib], 523572 * 1024);
      assert.deepEqual(hist.temp, [hist.temp[0]]);
      assert.equal(hist.temp[0][ib], 47.7);
      assert.equal(hist.temp[0][ic], 80.8);
    }
  });
});

describe("monitor: bbb fixture replay", { skip }, () => {
  let server;
  let tree;
  let r;
  let first;
  let b;

  before(async () => {
    tree = fixtureCopy("bbb");
    server = await startMonitor(["--interval", `${PERIOD}ms`, "--proc-root", tree.dir, "--sys-root", tree.sys]);
    r = await replay(server);
    first = await r.nextSample();
    b = await r.afterSwap(() => tree.swap("stat", "stat.t1"), "bbb stat -> stat.t1");
  });

  after(async () => {
    r?.socket.disconnect();
    try {
      if (server) await server.stop();
    } finally {
      tree?.remove();
    }
  });

  it("board: one core, no temperature sensor", () => {
    const board = r.board();
    assert.equal(board.cores, 1);
    assert.equal(board.model, "TI AM335x BeagleBone Black");
    assert.deepEqual(board.temp_names, []);
  });

  it("stat -> stat.t1: cpu0 32.0 %, total 32.0 %", () => {
    assertCpu(first, [null], null, "bbb stat -> stat");
    assertCpu(b, [32], 32, "bbb stat -> stat.t1");
  });

  it("temperature is absent (null), never 0; no Pi firmware, so throttled is null", () => {
    for (const s of [first, b]) {
      assert.equal(s.temp, null, `seq ${s.seq} temp ${JSON.stringify(s.temp)}`);
      assert.equal(s.throttled, null, `seq ${s.seq} throttled ${JSON.stringify(s.throttled)}`);
    }
  });

  it("memory used 97788 kB in bytes; no swap", () => {
    assert.equal(b.mem.used, 97788 * 1024);
    assert.equal(b.mem.total, 496180 * 1024);
    assert.ok(b.swap === null || b.swap.total === 0, `swap ${JSON.stringify(b.swap)}`);
  });

  it("history temp has no column (no sensor) and cpu has one", async () => {
    const h = JSON.parse((await get(server.port, "/api/v1/history")).text);
    assert.deepEqual(h.temp, []);
    assert.equal(h.cpu.length, 1);
    const i = h.seq.indexOf(b.seq);
    near(h.cpu[0][i], 32, "history cpu0");
    near(h.total[i], 32, "history total");
  });
});
