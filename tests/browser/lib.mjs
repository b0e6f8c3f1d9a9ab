// Helpers for the browser tests: start the real sbcmon binary, drive Debian's
// Chromium with playwright-core, wait with bounded timeouts.
import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { deadline } from "../lib/deadline.mjs";

export const HOST = "127.0.0.1";
export const BIN = process.env.SBCMON_BIN;
export const FIXTURES = process.env.SBCMON_FIXTURES;
export const BUILD_DIR = process.env.SBCMON_BUILD_DIR;
export const CHROMIUM = process.env.SBCMON_CHROMIUM || "/usr/bin/chromium";

/** Why these tests cannot run here, or null when they can. */
export function skipReason() {
  if (!BIN || !fs.existsSync(BIN)) return "SBCMON_BIN is not set or not built";
  if (!fs.existsSync(CHROMIUM)) return ciFails(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  return null;
}

// Under CI a missing tool is a failure, never a silent skip.
function ciFails(reason) {
  if (process.env.CI === "true") throw new Error(`CI=true and ${reason}`);
  return reason;
}

/** A TCP port that was free a moment ago. */
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

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls fn() until it returns a truthy value; throws after ms with `what`
 *  (a string, or a function called then, so the message shows the state at
 *  the deadline rather than at the start). */
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
  throw new Error(`timed out after ${ms} ms waiting for ${typeof what === "function" ? what() : what} (last: ${last})`);
}

/** GET on the loopback; resolves {status, headers, text}. */
export function get(port, p, headers = {}, host = HOST) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: p, headers, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.setTimeout(3000, () => req.destroy(new Error(`GET ${p} timed out`)));
  });
}

/** Starts sbcmon on `host`:`port` (a free port when omitted) sampling every 200 ms,
 *  `wrap` put before the binary (e.g. ["ip", "netns", "exec", NAME]); resolves
 *  once it serves the page. stop() ends it and waits for the exit. */
export async function startSbcmon({ port, host = HOST, args = [], wrap = [] } = {}) {
  port = port || (await freePort());
  const argv = [...wrap, BIN, "--port", String(port), "--bind", host, "--interval", "200", ...args];
  const proc = spawn(argv[0], argv.slice(1), {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  proc.stdout.on("data", (d) => (output += d));
  proc.stderr.on("data", (d) => (output += d));
  const exited = new Promise((r) => proc.on("exit", (code, sig) => r({ code, sig })));
  try {
    await waitFor(async () => {
      if (proc.exitCode !== null) throw new Error(`sbcmon exited: ${output}`);
      return (await get(port, "/", {}, host)).status === 200;
    }, 10000, `sbcmon to serve on ${port}`);
  } catch (e) {
    proc.kill("SIGKILL");
    throw new Error(`${e.message}\n--- sbcmon output ---\n${output}`);
  }
  return {
    port,
    proc,
    url: `http://${host}:${port}/`,
    output: () => output,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), deadline(3000));
      await exited;
      clearTimeout(t);
    },
  };
}

/** Headless Chromium from Debian, with the flags this sandbox needs (plus `extraArgs`). */
export function launchBrowser(extraArgs = []) {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", ...extraArgs],
  });
}

/** Opens a page that records console errors and uncaught exceptions in .errors. */
export async function openPage(browser, url, contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  page.errors = [];
  page.on("console", (m) => {
    if (m.type() === "error") page.errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => page.errors.push(`pageerror: ${e.message}`));
  if (url) await page.goto(url);
  return page;
}

/** A private copy of a fixture board tree (tests may rewrite files in it). */
export function fixtureCopy(board) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sbcmon-${board}-`));
  fs.cpSync(path.join(FIXTURES, board), dir, { recursive: true });
  return dir;
}

/** Where screenshots go: ${SBCMON_BUILD_DIR}/screenshots (or a temp folder). */
export function screenshotDir() {
  const dir = BUILD_DIR ? path.join(BUILD_DIR, "screenshots") : fs.mkdtempSync(path.join(os.tmpdir(), "sbcmon-shots-"));
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
