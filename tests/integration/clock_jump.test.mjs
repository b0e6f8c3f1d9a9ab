// The wall clock jumping (NTP stepping a board's clock at boot, a user setting the
// date) must not stall, burst or reorder sampling: periods run on CLOCK_MONOTONIC,
// only the samples' time stamps follow the wall clock. libfaketime moves sbcmon's
// CLOCK_REALTIME while it runs and leaves CLOCK_MONOTONIC alone.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { io } from "socket.io-client";
import { BIN, HOST, freePort, get, skipReason, sleep } from "./lib/fixture_tree.mjs";

const FAKETIME_LIB = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib/arm-linux-gnueabihf", "/usr/lib"]
  .map((d) => path.join(d, "faketime/libfaketime.so.1"))
  .find((p) => fs.existsSync(p));

function skipWhy() {
  const base = skipReason();
  if (base) return base;
  if (!FAKETIME_LIB) {
    const reason = "libfaketime is not installed (Debian package libfaketime)";
    if (process.env.CI === "true") throw new Error(`CI=true and ${reason}`);
    return reason;
  }
  return false;
}
const skip = skipWhy();

describe("wall clock jumps", { skip }, () => {
  let child, port, dir, offsetFile, sock;
  const samples = [];
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "sbcmon-clock-"));
    offsetFile = path.join(dir, "offset");
    fs.writeFileSync(offsetFile, "+0\n");
    port = await freePort();
    child = spawn(BIN, ["--port", String(port), "--bind", HOST, "--interval", "200ms"], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, LD_PRELOAD: FAKETIME_LIB, FAKETIME_TIMESTAMP_FILE: offsetFile,
        FAKETIME_NO_CACHE: "1", DONT_FAKE_MONOTONIC: "1" },
    });
    for (let i = 0; i < 100; i++) {
      const r = await get(port, "/healthz", {}, 500).catch(() => null);
      if (r?.status === 200) break;
      await sleep(50);
    }
    sock = io(`http://${HOST}:${port}/`, { transports: ["websocket"], reconnection: false });
    sock.on("sample", (s) => samples.push({ seq: s.seq, t: s.t, at: Date.now() }));
  });
  after(() => {
    sock?.close();
    child?.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps its period through a jump forward and a jump back; stamps follow the wall clock", async () => {
    await sleep(2000);
    const beforeJump = samples.length;
    fs.writeFileSync(offsetFile, "+3600\n");  // an hour ahead
    await sleep(2000);
    const afterForward = samples.length;
    fs.writeFileSync(offsetFile, "-3600\n");  // an hour behind real time
    await sleep(2000);
    const all = samples.slice();

    assert.ok(beforeJump >= 6, `samples before the jump: ${beforeJump}`);
    // About 10 samples per 2 s window in each phase: no stall and no burst.
    for (const [what, n] of [["after the jump forward", afterForward - beforeJump], ["after the jump back", all.length - afterForward]]) {
      assert.ok(n >= 6 && n <= 14, `${what}: ${n} samples in 2 s at a 200 ms period`);
    }
    // Every tick, in order.
    for (let i = 1; i < all.length; i++) assert.equal(all[i].seq, all[i - 1].seq + 1, `seq after ${all[i - 1].seq}`);
    // Arrival gaps stay near the period whatever the wall clock does.
    const gaps = all.slice(1).map((s, i) => s.at - all[i].at);
    assert.ok(Math.max(...gaps) < 1000, `largest gap between samples ${Math.max(...gaps)} ms`);
    // The stamps moved with the wall clock: forward about an hour, then back two.
    const stampJumps = all.slice(1).map((s, i) => s.t - all[i].t);
    assert.ok(stampJumps.some((d) => d > 3500 * 1000), `a forward jump in t: ${JSON.stringify(stampJumps)}`);
    assert.ok(stampJumps.some((d) => d < -7000 * 1000), `a backward jump in t: ${JSON.stringify(stampJumps)}`);
  });
});
