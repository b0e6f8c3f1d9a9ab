// Helpers for the monitor suites (monitor_*.test.mjs): run sbcmon in its normal
// (monitor) mode on a free 127.0.0.1 port, give it a private copy of a fixture
// board tree whose files a test swaps between ticks, and collect Socket.IO
// events with bounded waits.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { HOST, freePort, sleep, withTimeout } from "./server.mjs";
import { deadline } from "../../lib/deadline.mjs";

export { HOST, freePort, sleep, withTimeout, deadline };

export const BIN = process.env.SBCMON_BIN;
export const FIXTURES = process.env.SBCMON_FIXTURES;

// Why the monitor suites cannot run here, or false when they can (for `skip`).
export function skipReason() {
  const reason = (!BIN || !fs.existsSync(BIN)) ? "SBCMON_BIN is not set or not built"
    : (!FIXTURES || !fs.existsSync(FIXTURES)) ? "SBCMON_FIXTURES is not set" : false;
  // Under CI a missing part is a failure, never a silent skip.
  if (reason && process.env.CI === "true") throw new Error(`CI=true and ${reason}`);
  return reason;
}

// GET on the loopback on its own connection; resolves { status, headers, body: Buffer, text }.
export function get(port, p, headers = {}, timeout = 3000) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const req = http.get({ host: HOST, port, path: p, headers, agent: false }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode, headers: res.headers, body, text: body.toString("utf8") });
        });
        res.on("error", reject);
      });
      req.on("error", reject);
    }),
    timeout,
    `GET ${p}`,
  );
}

// Runs sbcmon with `args` to completion (for flag errors); resolves { code, signal, output }.
export function runToExit(args, ms = 5000) {
  const child = spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const done = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal, output })));
  return withTimeout(done, ms, `sbcmon ${args.join(" ")} to exit`).catch((e) => {
    child.kill("SIGKILL");
    throw new Error(`${e.message}; output so far:\n${output}`);
  });
}

// The version and history capacity sbcmon reports for itself (from --version).
export async function selfDescription() {
  const { code, output } = await runToExit(["--version"]);
  const m = /^sbcmon (\S+) \(board (\S+), history (\d+) samples/.exec(output);
  if (code !== 0 || !m) throw new Error(`unexpected --version answer (exit ${code}): ${output}`);
  return { version: m[1], board: m[2], capacity: Number(m[3]) };
}

// Starts sbcmon (monitor mode) on a free port with `args` added (e.g. --interval,
// --proc-root); resolves once /healthz answers, which is after the sampler has
// taken its start-up baseline. stop() sends SIGTERM and rejects unless the exit
// status is 0 within 5 s.
export async function startMonitor(args = []) {
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(BIN, ["--port", String(port), "--bind", HOST, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    let exit = null;
    const exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        exit = { code, signal };
        resolve(exit);
      }),
    );
    const until = Date.now() + deadline(10000);
    while (exit === null && Date.now() < until) {
      const r = await get(port, "/healthz", {}, 1000).catch(() => null);
      if (r && r.status === 200) {
        return {
          port,
          url: `http://${HOST}:${port}`,
          wsUrl: `ws://${HOST}:${port}`,
          child,
          exited,
          output: () => out,
          async stop() {
            if (exit === null) child.kill("SIGTERM");
            const e = await withTimeout(exited, 5000, "sbcmon exit after SIGTERM").catch((err) => {
              child.kill("SIGKILL");
              throw err;
            });
            if (e.code !== 0) throw new Error(`sbcmon exited with ${JSON.stringify(e)} after SIGTERM; output:\n${out}`);
          },
        };
      }
      await sleep(50);
    }
    if (exit === null) child.kill("SIGKILL");
    lastError = new Error(`sbcmon did not serve /healthz on ${port} (exit ${JSON.stringify(exit)}); output:\n${out}`);
  }
  throw lastError;
}

// A private copy of tests/fixtures/<board> that a test may rewrite. remove() deletes it.
export function fixtureCopy(board) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sbcmon-${board}-`));
  fs.cpSync(path.join(FIXTURES, board), dir, { recursive: true });
  return {
    dir,
    sys: path.join(dir, "sys"),
    // Replaces `rel` with the fixture's `variantRel` in one rename, so a tick reads
    // either the old or the new file, never a half-written one.
    swap(rel, variantRel) {
      const target = path.join(dir, rel);
      const tmp = `${target}.swap-${process.pid}`;
      fs.copyFileSync(path.join(FIXTURES, board, variantRel), tmp);
      fs.renameSync(tmp, target);
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Records every event a socket.io-client socket receives (in order) and lets a
// test wait for a condition over them.
export class Recorder {
  constructor(socket) {
    this.events = []; // { name, args, at }
    this.waiters = [];
    socket.onAny((name, ...args) => this.push(name, args));
    socket.on("disconnect", (reason) => this.push("disconnect", [reason]));
    socket.on("connect", () => this.push("connect", []));
  }

  push(name, args) {
    this.events.push({ name, args, at: Date.now() });
    for (const w of [...this.waiters]) w();
  }

  named(name) {
    return this.events.filter((e) => e.name === name).map((e) => e.args[0]);
  }

  // Resolves with fn()'s first truthy value, re-checked after every event.
  until(fn, ms, what) {
    let check;
    return withTimeout(
      new Promise((resolve) => {
        check = () => {
          const v = fn();
          if (v) {
            this.waiters = this.waiters.filter((w) => w !== check);
            resolve(v);
          }
        };
        this.waiters.push(check);
        check();
      }),
      ms,
      `${what}; events so far: ${JSON.stringify(this.events.map((e) => e.name).slice(-20))}`,
    ).finally(() => {
      this.waiters = this.waiters.filter((w) => w !== check);
    });
  }
}

// Seq numbers of a columnar history message, checked for shape on the way.
export function historySeqs(h) {
  if (!h || !Array.isArray(h.seq) || !Array.isArray(h.t)) throw new Error(`not a history: ${JSON.stringify(h)}`);
  return h.seq;
}

// Throws unless `seqs` is strictly increasing by exactly 1.
export function assertContiguous(seqs, what) {
  for (let i = 1; i < seqs.length; i++) {
    if (seqs[i] !== seqs[i - 1] + 1) {
      throw new Error(`${what}: seq ${seqs[i - 1]} is followed by ${seqs[i]} (at index ${i} of ${JSON.stringify(seqs)})`);
    }
  }
}
