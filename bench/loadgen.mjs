// The load generator for `make bench`: lean raw-WebSocket Engine.IO v4 / Socket.IO v5
// clients (package `ws`; socket.io-client costs several times more CPU per message and
// would be the bottleneck at 1000 clients), socket.io-client for the polling clients,
// a handshake loop and a time-to-first-byte probe. Loopback only.
// Latency is now (fractional wall ms) minus the payload's "t" (integer wall ms stamped by
// the server, so the true emit instant lies in [t, t+1): t + 0.5 is used, for all three).
import { createRequire } from 'node:module';
import http from 'node:http';

const require = createRequire(new URL('../tests/package.json', import.meta.url));
const WebSocket = require('ws');
const { io } = require('socket.io-client');

// performance.timeOrigin drifts from the wall clock by up to a few ms; calibrate once
// against Date.now() at the instant it ticks over to a new millisecond.
function calibrate() {
  const offs = [];
  for (let k = 0; k < 7; k += 1) {
    const d0 = Date.now();
    let d = d0;
    while (d === d0) d = Date.now();
    offs.push(d - (performance.timeOrigin + performance.now()));
  }
  return offs.sort((a, b) => a - b)[3];
}
const OFFSET = calibrate();
const nowMs = () => performance.timeOrigin + performance.now() + OFFSET;
const T_RE = /"t":\s*(\d+)/;

// A set of clients receiving `event` on `nsp`. Messages count only between start() and
// stop(); per-client counts and every latency in that window are kept.
export class ClientSet {
  constructor({ port, nsp, event, n, transport }) {
    Object.assign(this, { port, nsp, event, n, transport });
    this.counts = new Array(n).fill(0);
    this.latencies = [];
    this.recording = false;
    this.connected = 0;
    this.failed = 0;
    this.closers = [];
    this.prefix = `42${nsp === '/' ? '' : `${nsp},`}["${event}",`;
  }

  onPayload(i, text) {
    if (!this.recording) return;
    const m = T_RE.exec(text);
    if (!m) return;
    this.frameBytes = text.length;
    this.counts[i] += 1;
    this.latencies.push(nowMs() - Number(m[1]) - 0.5);
  }

  // Connects all clients, at most `inflight` handshakes at a time; resolves when each
  // has connected to the namespace or failed (10 s per client), starting none after 30 s.
  // The first client connects alone: the tutorial app guards its first-connect thread
  // start with a threading.Lock that, under eventlet, deadlocks the process when several
  // first connections race (seen here); one client first measures the steady state.
  async connect(inflight = 50) {
    let next = 1;
    if (await (this.transport === 'polling' ? this.openPolling(0) : this.openWs(0))) this.connected += 1;
    else this.failed += 1;
    const deadline = Date.now() + 30000;
    const worker = async () => {
      while (next < this.n) {
        if (Date.now() > deadline) { this.failed += this.n - next; next = this.n; break; }
        const i = next++;
        const ok = await (this.transport === 'polling' ? this.openPolling(i) : this.openWs(i));
        if (ok) this.connected += 1;
        else this.failed += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(inflight, this.n) }, worker));
  }

  openWs(i) {
    return new Promise((resolve) => {
      const url = `ws://127.0.0.1:${this.port}/socket.io/?EIO=4&transport=websocket`;
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const nspPart = this.nsp === '/' ? '' : `${this.nsp},`;
      let done = false;
      const finish = (ok) => { if (!done) { done = true; clearTimeout(timer); resolve(ok); } };
      const timer = setTimeout(() => { finish(false); ws.terminate(); }, 10000);
      ws.on('message', (data) => {
        const s = data.toString();
        if (s.startsWith(this.prefix)) this.onPayload(i, s);
        else if (s === '2') ws.send('3');
        else if (s[0] === '0') ws.send(`40${nspPart}`);
        else if (s.startsWith(`40${nspPart}`)) finish(true);
        else if (s.startsWith(`44${nspPart}`)) finish(false);
      });
      ws.on('error', () => finish(false));
      ws.on('close', () => finish(false));
      this.closers.push(() => ws.terminate());
    });
  }

  openPolling(i) {
    return new Promise((resolve) => {
      const socket = io(`http://127.0.0.1:${this.port}${this.nsp}`, {
        transports: ['polling'], forceNew: true, reconnection: false, timeout: 10000,
      });
      socket.on('connect', () => resolve(true));
      socket.on('connect_error', () => resolve(false));
      // socket.io-client has parsed the JSON already; re-stringify only the stamp's part.
      socket.on(this.event, (p) => this.onPayload(i, `"t":${p && p.t}`));
      this.closers.push(() => socket.disconnect());
    });
  }

  start() { this.counts.fill(0); this.latencies = []; this.recording = true; }
  stop() { this.recording = false; }
  close() { for (const c of this.closers) c(); this.closers = []; }
}

// p-th percentile (0..100) of an unsorted array; NaN when empty.
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const k = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[k];
}

// Full Socket.IO handshakes (ws open, Engine.IO open, namespace connect, close) for
// `seconds` with `concurrency` loops. Returns the median of the per-second counts.
export async function handshakes({ port, nsp, seconds, concurrency }) {
  const nspPart = nsp === '/' ? '' : `${nsp},`;
  const end = Date.now() + seconds * 1000;
  const t0 = Date.now();
  const buckets = new Array(seconds).fill(0);
  let failures = 0;
  const one = () => new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`,
                             { perMessageDeflate: false });
    let acked = false;
    const timer = setTimeout(() => ws.terminate(), 5000);
    ws.on('message', (data) => {
      const s = data.toString();
      if (s[0] === '0') ws.send(`40${nspPart}`);
      else if (s.startsWith(`40${nspPart}`) && !acked) {
        acked = true;
        const b = Math.floor((Date.now() - t0) / 1000);
        if (b < seconds) buckets[b] += 1;
        ws.close();
      }
    });
    ws.on('error', () => {});
    ws.on('close', () => { clearTimeout(timer); if (!acked) failures += 1; resolve(); });
  });
  const loop = async () => { while (Date.now() < end) await one(); };
  await one();  // alone first: see ClientSet.connect on the tutorial app's first-connect lock
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { median: percentile(buckets, 50), total: buckets.reduce((a, b) => a + b, 0), failures };
}

// Time to first byte of GET / on fresh connections: median and p90 of `n` requests, ms.
export async function ttfb({ port, n }) {
  const times = [];
  for (let k = 0; k < n; k += 1) {
    times.push(await new Promise((resolve) => {
      const t = nowMs();
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.once('data', () => {});
        const dt = nowMs() - t;
        res.on('end', () => resolve(dt));
        res.resume();
      });
      req.on('error', () => resolve(NaN));
    }));
  }
  const ok = times.filter((x) => !Number.isNaN(x));
  return { median: percentile(ok, 50), p90: percentile(ok, 90), n: ok.length };
}
