// Starts the server under test for the Node integration suites: sbcmon in
// --conformance mode ($SBCMON_BIN), or the socket.io reference implementation
// when SBCMON_TEST_TARGET=reference. Only ever binds and talks to 127.0.0.1.
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TIME_SCALE, deadline } from "../../lib/deadline.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

export const HOST = "127.0.0.1";
export const TARGET = process.env.SBCMON_TEST_TARGET === "reference" ? "reference" : "sbcmon";
export const IS_REFERENCE = TARGET === "reference";
// Pass as the `skip` option of a test that checks behaviour sbcmon is required
// to have but the socket.io reference server does not.
export const SBCMON_ONLY = IS_REFERENCE ? "sbcmon-only: the reference server differs here" : false;

// The conformance server's settings.
// Heartbeats stretch with SBCMON_TIME_SCALE (sbcmon only): under valgrind a 300 kB
// payload takes longer than 200 ms to parse, and a missed pong would end the session.
const HEARTBEAT_SCALE = IS_REFERENCE ? 1 : TIME_SCALE;
export const PING_INTERVAL = Math.round(300 * HEARTBEAT_SCALE);  // whole ms: sbcmon takes no fractions
export const PING_TIMEOUT = Math.round(200 * HEARTBEAT_SCALE);
export const MAX_PAYLOAD = 1000000;
export const CONNECT_TIMEOUT = 1000;

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Rejects after `ms` (scaled by SBCMON_TIME_SCALE) with `what` unless `promise` settles first.
export function withTimeout(promise, ms, what) {
  ms = deadline(ms);
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// A TCP port that was free a moment ago on 127.0.0.1.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

function command(port) {
  if (IS_REFERENCE) {
    return [process.execPath, [path.join(here, "reference_server.mjs"), "--port", String(port), "--bind", HOST]];
  }
  const bin = process.env.SBCMON_BIN;
  if (!bin) throw new Error("SBCMON_BIN is not set (or set SBCMON_TEST_TARGET=reference)");
  const beat = HEARTBEAT_SCALE > 1
    ? ["--ping-interval", `${PING_INTERVAL}ms`, "--ping-timeout", `${PING_TIMEOUT}ms`] : [];
  return [bin, ["--conformance", "--port", String(port), "--bind", HOST, ...beat]];
}

// Spawns the server on a free port and resolves once it accepts TCP
// connections. Returns { port, url, output(), stop() }; stop() sends SIGTERM
// and rejects unless the process exits with status 0 within 5 s.
export async function startServer() {
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const [file, args] = command(port);
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    let exit = null;
    exited.then((e) => (exit = e));
    const until = Date.now() + deadline(10000);
    while (exit === null && Date.now() < until) {
      if (await canConnect(port)) {
        return {
          port,
          url: `http://${HOST}:${port}`,
          wsUrl: `ws://${HOST}:${port}`,
          output: () => out,
          async stop() {
            if (exit === null) child.kill("SIGTERM");
            const e = await withTimeout(exited, 5000, "server exit after SIGTERM").catch((err) => {
              child.kill("SIGKILL");
              throw err;
            });
            if (e.code !== 0) {
              throw new Error(`server exited with ${JSON.stringify(e)} after SIGTERM; output:\n${out}`);
            }
          },
        };
      }
      await sleep(50);
    }
    if (exit === null) child.kill("SIGKILL");
    lastError = new Error(`server did not accept on port ${port} (exit ${JSON.stringify(exit)}); output:\n${out}`);
  }
  throw lastError;
}
