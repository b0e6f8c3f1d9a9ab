// Helpers for the security tests (tests/integration/security_*.test.mjs and
// tests/browser/security_*.test.mjs): start the real sbcmon in monitor mode with
// the flags under test (TLS too), talk HTTP(S) and raw TCP to it on the loopback,
// and watch what a client actually receives. Every wait is bounded.
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { deadline } from "../lib/deadline.mjs";

export const HOST = "127.0.0.1";
export const BIN = process.env.SBCMON_BIN;
export const FIXTURES = process.env.SBCMON_FIXTURES;
// A token long enough for sbcmon (>= 8 characters) and easy to grep for.
export const TOKEN = "right-token-7f3a9c1e5b";

/** Why sbcmon tests cannot run here, or false when they can. */
export function skipReason() {
  if (!BIN || !fs.existsSync(BIN)) return "SBCMON_BIN is not set or not built";
  return false;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Rejects after `ms` with `what` unless `promise` settles first. */
export function withTimeout(promise, ms, what) {
  ms = deadline(ms);
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/** Polls fn() until truthy; throws after ms naming `what` and the last value. */
export async function waitFor(fn, ms, what) {
  ms = deadline(ms);
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last})`);
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A fresh temporary directory; remove() deletes it. */
export function tempDir(tag = "sec") {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sbcmon-${tag}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `token` to a file in `dir` (mode 0600) and returns its path. */
export function tokenFile(dir, token = TOKEN) {
  const f = path.join(dir, "token");
  fs.writeFileSync(f, token + "\n", { mode: 0o600 });
  return f;
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
  });
}

/**
 * Starts sbcmon (monitor mode, 200 ms samples unless `args` says otherwise) on a
 * free loopback port and resolves once it accepts TCP. `tls` only changes the
 * URLs. Returns { port, pid, url, wsUrl, stdout(), stderr(), output(), alive(), stop() }.
 */
export async function startSbcmon({ args = [], tls: useTls = false, port, interval = "200ms" } = {}) {
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const p = port || (await freePort());
    const proc = spawn(BIN, ["--port", String(p), "--bind", HOST, "--interval", interval, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d) => (stdout += d));
    proc.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise((r) => proc.once("exit", (code, signal) => r({ code, signal })));
    const until = Date.now() + deadline(10000);
    while (proc.exitCode === null && proc.signalCode === null && Date.now() < until) {
      if (await canConnect(p)) {
        const scheme = useTls ? "https" : "http";
        return {
          port: p,
          pid: proc.pid,
          proc,
          url: `${scheme}://${HOST}:${p}`,
          wsUrl: `${useTls ? "wss" : "ws"}://${HOST}:${p}`,
          stdout: () => stdout,
          stderr: () => stderr,
          output: () => stdout + stderr,
          alive: () => proc.exitCode === null && proc.signalCode === null,
          /** SIGTERM, then the exit status ({code, signal}); SIGKILL after 5 s. */
          async stop() {
            if (proc.exitCode !== null || proc.signalCode !== null) return exited;
            proc.kill("SIGTERM");
            const t = setTimeout(() => proc.kill("SIGKILL"), deadline(5000));
            const e = await exited;
            clearTimeout(t);
            return e;
          },
        };
      }
      await sleep(50);
    }
    if (proc.exitCode === null) proc.kill("SIGKILL");
    lastError = new Error(`sbcmon did not accept on port ${p}; output:\n${stdout}${stderr}`);
    if (port) break;
  }
  throw lastError;
}

/**
 * One HTTP(S) request on a fresh connection. Resolves {status, headers, text}.
 * TLS certificates are not verified (sbcmon's own is self-signed).
 */
export function request(url, { method = "GET", headers = {}, body, timeout = 5000 } = {}) {
  const u = new URL(url);
  const mod = u.protocol === "https:" ? https : http;
  // A body goes with its Content-Length, as browsers send it (not chunked) unless asked.
  const names = Object.keys(headers).map((k) => k.toLowerCase());
  if (body !== undefined && !names.includes("content-length") && !names.includes("transfer-encoding")) {
    headers = { ...headers, "content-length": Buffer.byteLength(body) };
  }
  return new Promise((resolve, reject) => {
    const req = mod.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: false,
        rejectUnauthorized: false },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      });
    req.on("error", reject);
    req.setTimeout(deadline(timeout), () => req.destroy(new Error(`${method} ${url} timed out after ${timeout} ms`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The SHA-256 fingerprint of the certificate a TLS server on `port` presents. */
export function certFingerprint(port) {
  return withTimeout(new Promise((resolve, reject) => {
    const s = tls.connect({ host: HOST, port, rejectUnauthorized: false, servername: "localhost" }, () => {
      const c = s.getPeerCertificate();
      s.destroy();
      resolve(c.fingerprint256);
    });
    s.on("error", reject);
  }), 5000, "TLS handshake for the certificate");
}

/**
 * Records the monitor's events on a socket.io client: every board, history and
 * sample, plus connect / connect_error / disconnect, with arrival order.
 */
export class Recorder {
  constructor(socket) {
    this.socket = socket;
    this.events = [];
    for (const name of ["board", "history", "sample"]) {
      socket.on(name, (data) => this.events.push({ name, data }));
    }
    socket.on("connect", () => this.events.push({ name: "connect" }));
    socket.on("connect_error", (err) => this.events.push({ name: "connect_error", data: err?.message ?? String(err) }));
    socket.on("error", (err) => this.events.push({ name: "error", data: typeof err === "string" ? err : err?.message }));
    socket.on("disconnect", (reason) => this.events.push({ name: "disconnect", data: reason }));
  }
  named(name) {
    return this.events.filter((e) => e.name === name);
  }
  data() {
    return this.events.filter((e) => ["board", "history", "sample"].includes(e.name));
  }
  until(pred, ms, what) {
    return waitFor(() => pred(this), ms, `${what}; events: ${JSON.stringify(this.events.map((e) => e.name))}`);
  }
}

/** The uid/gid lines of /proc/<pid>/status as arrays of numbers. */
export function procIds(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const line = (k) => status.split("\n").find((l) => l.startsWith(k + ":"));
  const nums = (k) => line(k).split(/\s+/).slice(1).filter(Boolean).map(Number);
  return { uid: nums("Uid"), gid: nums("Gid"), groups: nums("Groups") };
}

/** uid and gid of a local user, from getent (null when absent). */
export function userIds(name) {
  try {
    const [, , uid, gid] = execFileSync("getent", ["passwd", name], { encoding: "utf8" }).trim().split(":");
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}
