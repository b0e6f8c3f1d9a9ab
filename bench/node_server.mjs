// The tutorial's server written for the official Node socket.io server (tests/node_modules),
// for `make bench`: serves the tutorial's page at / and, once a client has connected to
// /test, emits server_response {data:["MM:SS",[per-core %]],count,t} every period, t being
// wall ms at emit. Per-core % comes from os.cpus() deltas, as psutil.cpu_percent does.
//   usage: node node_server.mjs PORT PERIOD_MS
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';

const require = createRequire(new URL('../tests/package.json', import.meta.url));
const { Server } = require('socket.io');

const port = Number(process.argv[2]);
const periodMs = Number(process.argv[3]);
const page = readFileSync(new URL('../tests/browser/seed/cpumem.html', import.meta.url));  // as bench/flask/app.py

const httpServer = http.createServer((req, res) => {
  if (req.url === '/') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page);
  } else {
    res.writeHead(404);
    res.end();
  }
});
const io = new Server(httpServer);

let last = os.cpus().map((c) => c.times);
function cpuPercent() {
  const now = os.cpus().map((c) => c.times);
  const pct = now.map((t, i) => {
    const p = last[i];
    const busy = t.user + t.nice + t.sys + t.irq - (p.user + p.nice + p.sys + p.irq);
    const total = busy + t.idle - p.idle;
    return total > 0 ? Math.round((1000 * busy) / total) / 10 : 0;
  });
  last = now;
  return pct;
}

let timer = null;
let count = 0;
function tick() {
  count += 1;
  const d = new Date();
  const mmss = `${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
  io.of('/test').emit('server_response', { data: [mmss, cpuPercent()], count, t: Date.now() });
}
io.of('/test').on('connection', () => {
  if (timer === null) timer = setInterval(tick, periodMs);
});

httpServer.listen(port, '127.0.0.1');
