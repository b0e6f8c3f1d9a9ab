// Limits set at run time override their Kconfig defaults: the header-size limit
// refuses a request the default accepts, and other clients are unaffected.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { get, runToExit, skipReason, startMonitor } from "./lib/fixture_tree.mjs";

const skip = skipReason();

// A request whose headers total about `bytes`.
function bigHeaders(bytes) {
  return { "X-Padding": "p".repeat(bytes) };
}

async function status(port, path, headers) {
  try {
    return (await get(port, path, headers, 3000)).status;
  } catch {
    return 0;  // the connection was closed without an answer
  }
}

describe("--max-header-bytes", { skip }, () => {
  let small, dflt;
  before(async () => {
    small = await startMonitor(["--max-header-bytes", "1024"]);
    dflt = await startMonitor([]);
  });
  after(async () => {
    await small?.stop();
    await dflt?.stop();
  });

  it("a 2 KB header is refused at 1024 bytes but served by the default 4096", async () => {
    assert.equal(await status(dflt.port, "/healthz", bigHeaders(2048)), 200);
    assert.notEqual(await status(small.port, "/healthz", bigHeaders(2048)), 200);
    // The server is still there for a normal request.
    assert.equal(await status(small.port, "/healthz", {}), 200);
  });

  it("rejects an out-of-range value with exit code 2", async () => {
    const r = await runToExit(["--max-header-bytes", "100"]);
    assert.equal(r.code, 2);
    assert.match(r.output, /invalid value '100' for --max-header-bytes/);
  });
});
