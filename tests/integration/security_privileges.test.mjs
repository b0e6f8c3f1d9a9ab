// Started as root (to bind a low port), sbcmon drops to --user before it serves:
// /proc/<pid>/status shows the unprivileged uid/gid for real, effective, saved
// and filesystem ids, and no supplementary root group, while it serves data.
// Only root can run this; under CI=true, not being root is a failure, not a skip.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { Recorder, freePort, procIds, request, skipReason, startSbcmon, tempDir, userIds } from "../security/lib.mjs";
import { deadline } from "../lib/deadline.mjs";

const isRoot = process.getuid?.() === 0;
const ci = process.env.CI === "true";
const nobody = userIds("nobody");
const skip = skipReason() || (!isRoot && !ci ? "needs root (to be dropped from)" : false) ||
  (!nobody && !ci ? "no user 'nobody' here" : false);

describe("--user nobody, started as root", { skip }, () => {
  let sbc, tmp;
  before(async () => {
    assert.ok(isRoot, "CI=true: this test must run as root (it was skipped-as-failure)");
    assert.ok(nobody, "CI=true: user 'nobody' must exist");
    tmp = tempDir("priv");
    // TLS too: the self-signed key is made and read as root before the drop.
    sbc = await startSbcmon({ tls: true, args: ["--user", "nobody", "--tls", "--state-dir", tmp.dir] });
  });
  after(async () => {
    await sbc?.stop();
    tmp?.remove();
  });

  it("runs as nobody's uid and gid (real, effective, saved, fs) while it serves", async () => {
    const r = await request(`${sbc.url}/`);
    assert.equal(r.status, 200, "it serves the page");
    const sock = io(sbc.url, { forceNew: true, reconnection: false, transports: ["websocket"], rejectUnauthorized: false });
    const rec = new Recorder(sock);
    try {
      await rec.until((x) => x.named("sample").length >= 1, 8000, "a sample after the drop");
      const ids = procIds(sbc.pid);
      assert.deepEqual(ids.uid, [nobody.uid, nobody.uid, nobody.uid, nobody.uid], `Uid line: ${ids.uid}`);
      assert.deepEqual(ids.gid, [nobody.gid, nobody.gid, nobody.gid, nobody.gid], `Gid line: ${ids.gid}`);
      assert.ok(!ids.groups.includes(0), `no root supplementary group: ${ids.groups}`);
    } finally {
      sock.close();
    }
  });

  it("stops cleanly on SIGTERM as nobody", async () => {
    const e = await sbc.stop();
    assert.equal(e.code, 0, JSON.stringify(e));
    sbc = null;
  });
});

describe("--user with an unknown user", { skip: skipReason() }, () => {
  it("refuses to run rather than serve as root", async () => {
    const { spawnSync } = await import("node:child_process");
    const port = await freePort();
    const r = spawnSync(process.env.SBCMON_BIN, ["--port", String(port), "--bind", "127.0.0.1", "--user", "no-such-user-sbcmon"],
      { encoding: "utf8", timeout: deadline(5000) });
    assert.notEqual(r.status, 0, r.stderr);
    assert.match(r.stderr, /no-such-user-sbcmon/);
  });
});
