// Operator faults: what a mistake or a hostile local user does to a running or
// starting sbcmon. SIGHUP reloads instead of killing; --config naming a directory
// is an error; --state-dir refuses a world-writable directory and never writes
// the key through a planted link; a FIFO in --proc-root does not hang start-up;
// --redirect-http keeps the path and query. Prints a closing "N passed, M failed".
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { HOST, fixtureCopy, freePort, get, runToExit, sleep, startMonitor, withTimeout } from "../integration/lib/fixture_tree.mjs";
import { check, exitIfSkipped, finish, runParts } from "./report.mjs";


const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "sbcmon-operator-"));

// Resolves "connect" or the connect_error message for a client with `token`.
function tryToken(server, token) {
  const s = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: 5000, auth: { token } });
  return withTimeout(new Promise((resolve) => {
    s.once("connect", () => resolve("connect"));
    s.once("connect_error", (e) => resolve(e.message));
  }), 8000, "connect or connect_error").finally(() => s.close());
}

async function sighup() {
  const dir = tmp();
  const file = path.join(dir, "token");
  const A = "first-token-0123456789";
  const B = "second-token-9876543210";
  fs.writeFileSync(file, A + "\n", { mode: 0o600 });
  const server = await startMonitor(["--interval", "200ms", "--token-file", file]);
  try {
    check(await tryToken(server, A) === "connect", "SIGHUP: the first token works before");
    fs.writeFileSync(file, B + "\n", { mode: 0o600 });
    server.child.kill("SIGHUP");
    const t0 = Date.now();
    while (!/SIGHUP: reloaded/.test(server.output()) && server.child.exitCode === null && Date.now() - t0 < 5000) await sleep(50);
    check(server.child.exitCode === null && server.child.signalCode === null, "SIGHUP: sbcmon keeps running",
      `exit ${server.child.exitCode ?? server.child.signalCode}`);
    check(/SIGHUP: reloaded; token changed/.test(server.output()), "SIGHUP: the log says the token changed",
      server.output().trim().split("\n").slice(-1)[0]);
    check(!server.output().includes(B), "SIGHUP: the token itself is never logged");
    check(await tryToken(server, B) === "connect", "SIGHUP: the new token works");
    check(await tryToken(server, A) === "unauthorized", "SIGHUP: the old token is refused");
    // A broken file on the next SIGHUP changes nothing.
    fs.writeFileSync(file, "");
    server.child.kill("SIGHUP");
    const t1 = Date.now();
    while (!/nothing changed/.test(server.output()) && Date.now() - t1 < 5000) await sleep(50);
    check(/empty.*nothing changed/.test(server.output()), "SIGHUP with an empty token file: an error, nothing changed",
      server.output().trim().split("\n").slice(-1)[0]);
    check(await tryToken(server, B) === "connect", "SIGHUP with an empty token file: the token in force stays");
  } finally {
    await server.stop().catch((e) => check(false, "SIGHUP: SIGTERM exit 0", e.message));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function configDir() {
  const dir = tmp();
  try {
    const port = await freePort();
    const r = await runToExit(["--config", dir, "--port", String(port), "--bind", HOST], 5000)
      .catch((e) => ({ code: "still running", output: e.message }));
    check(r.code === 2, "--config naming a directory: exit 2", `exit ${r.code}`);
    check(/is a directory/.test(r.output), "--config naming a directory: says so", r.output.trim().split("\n")[0]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function stateDir() {
  const open = tmp();
  fs.chmodSync(open, 0o777);
  const port = await freePort();
  try {
    const r = await runToExit(["--tls", "--state-dir", open, "--port", String(port), "--bind", HOST], 8000)
      .catch((e) => ({ code: "still running", output: e.message }));
    check(r.code !== 0 && r.code !== "still running", "--state-dir writable by others: refused", `exit ${r.code}`);
    check(/writable by others/.test(r.output), "--state-dir writable by others: says so", r.output.trim().split("\n")[0]);
    check(!fs.existsSync(path.join(open, "sbcmon.key")), "--state-dir writable by others: no key written there");
  } finally {
    fs.rmSync(open, { recursive: true, force: true });
  }
  // A link planted where the key's temp file goes is not followed.
  const dir = tmp();
  fs.chmodSync(dir, 0o700);
  const victim = path.join(dir, "victim");
  fs.symlinkSync(victim, path.join(dir, "sbcmon.key.tmp"));
  const first = await serveTls(["--state-dir", dir]);
  const key = path.join(dir, "sbcmon.key");
  check(first.serving && fs.existsSync(key) && (fs.statSync(key).mode & 0o777) === 0o600, "--state-dir: the key is written, mode 0600",
    fs.existsSync(key) ? (fs.statSync(key).mode & 0o777).toString(8) : `missing; ${first.out.trim()}`);
  check(!fs.existsSync(victim), "--state-dir: nothing written through a planted sbcmon.key.tmp link");
  // An existing key readable by others: served, with a warning.
  fs.chmodSync(key, 0o644);
  const second = await serveTls(["--state-dir", dir]);
  check(second.serving && /warning: .*readable by group or others/.test(second.out), "--state-dir: a warning for a key readable by others",
    second.out.trim().split("\n")[0]);
  fs.rmSync(dir, { recursive: true, force: true });
}

// Starts sbcmon --tls with `args` until it says it serves (or 10 s), then stops it.
async function serveTls(args) {
  const port = await freePort();
  const child = spawn(process.env.SBCMON_BIN, ["--tls", "--port", String(port), "--bind", HOST, ...args],
    { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stderr.on("data", (d) => (out += d));
  const t0 = Date.now();
  while (!/serving/.test(out) && child.exitCode === null && Date.now() - t0 < 10000) await sleep(50);
  const serving = /serving/.test(out);
  child.kill("SIGTERM");
  await withTimeout(new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r))), 5000, "exit").catch(() => child.kill("SIGKILL"));
  return { serving, out };
}

async function fifo() {
  const tree = fixtureCopy("pi4");
  fs.rmSync(path.join(tree.dir, "meminfo"));
  execFileSync("mkfifo", [path.join(tree.dir, "meminfo")]);
  let server;
  try {
    server = await startMonitor(["--interval", "200ms", "--proc-root", tree.dir, "--sys-root", tree.sys]);
    check(true, "a FIFO in --proc-root: start-up does not hang");
    const s = io(server.url, { forceNew: true, reconnection: false, transports: ["websocket"], timeout: 5000 });
    const got = await withTimeout(new Promise((r) => s.once("sample", r)), 5000, "a sample").catch(() => null);
    s.close();
    check(got !== null && got.mem === null && Array.isArray(got.cpu), "a FIFO in --proc-root: samples come, the FIFO's figures absent",
      got ? `mem ${JSON.stringify(got.mem)}` : "no sample");
  } catch (e) {
    check(false, "a FIFO in --proc-root: start-up does not hang", e.message.split("\n")[0]);
  } finally {
    if (server) await server.stop().catch((e) => check(false, "FIFO: SIGTERM exit 0", e.message));
    tree.remove();
  }
}

async function redirect() {
  const dir = tmp();
  fs.chmodSync(dir, 0o700);
  const port = await freePort();
  const child = spawn(process.env.SBCMON_BIN, ["--tls", "--redirect-http", "--state-dir", dir, "--port", String(port), "--bind", HOST],
    { stdio: ["ignore", "pipe", "pipe"] });
  try {
    let r = null;
    const t0 = Date.now();
    while (Date.now() - t0 < 10000 && child.exitCode === null) {
      r = await get(port, "/metrics?format=text&x=1", {}, 1000).catch(() => null);
      if (r) break;
      await sleep(100);
    }
    check(r?.status === 301, "--redirect-http: plain HTTP gets 301", String(r?.status));
    check(r?.headers.location === `https://${HOST}:${port}/metrics?format=text&x=1`, "--redirect-http: the path and query are kept",
      String(r?.headers.location));
  } finally {
    child.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  exitIfSkipped("operator");
  await runParts([["SIGHUP reloads", sighup], ["--config naming a directory", configDir],
    ["--state-dir", stateDir], ["a FIFO in --proc-root", fifo], ["--redirect-http", redirect]]);
  finish();
}

main();
