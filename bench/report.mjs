// Turns bench results into the markdown table, the SVG chart and the printed summary.
// Pure functions of the results object written by run.mjs.
const KEYS = ['sbcmon', 'flask', 'node'];
const SCEN = [['ws1', '1 ws'], ['ws20', '20 ws'], ['ws100', '100 ws'], ['ws1000', '1000 ws'], ['poll20', '20 polling']];

const fin = (x) => typeof x === 'number' && Number.isFinite(x);
const fmt = (x, d = 2) => (fin(x) ? x.toFixed(d) : 'n/a');
const ratio = (a, b) => {
  if (!fin(a) || !fin(b) || b === 0) return 'n/a';
  const r = a / b;
  return r >= 10 ? `${r.toFixed(0)}×` : r >= 0.1 ? `${r.toFixed(2)}×` : `${r.toPrecision(2)}×`;
};

// CPU µs per broadcast at each websocket client count, and the least-squares line through them.
export function cpuFit(server) {
  const pts = [];
  for (const id of ['ws1', 'ws20', 'ws100', 'ws1000']) {
    const r = server.load[id];
    if (!r || r.error || r.connected < r.n) continue;
    pts.push([r.n, (r.cpuSPerMin / 60) * (r.periodMs / 1000) * 1e6]);
  }
  if (pts.length < 2) return { pts, slope: NaN, intercept: NaN };
  const mx = pts.reduce((s, p) => s + p[0], 0) / pts.length;
  const my = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  const sxy = pts.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const sxx = pts.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  const slope = sxy / sxx;
  return { pts, slope, intercept: my - slope * mx };
}

function maxRate(server) {
  const ok = server.rate.filter((r) => r.sustained);
  const best = ok.length ? Math.max(...ok.map((r) => r.msgsPerClientPerS)) : NaN;
  const fastest = server.rate.length ? server.rate.reduce((a, b) => (a.periodMs < b.periodMs ? a : b)) : null;
  return { best, bestPeriod: ok.length ? Math.min(...ok.map((r) => r.periodMs)) : NaN, fastest };
}

// Rows: [label, values per server (numbers), decimals, note].
function rows(res) {
  const S = res.servers;
  const out = [];
  const load = (id, f) => KEYS.map((k) => { const r = S[k].load[id]; return r && !r.error ? f(r) : NaN; });
  for (const [id, label] of SCEN) {
    out.push([`${label}: RSS MB`, load(id, (r) => r.rssMb), 1]);
    out.push([`${label}: RssAnon MB`, load(id, (r) => r.anonMb), 2]);
    out.push([`${label}: PSS MB`, load(id, (r) => r.pssMb), 1]);
    out.push([`${label}: CPU s/min`, load(id, (r) => r.cpuSPerMin), 3]);
    out.push([`${label}: latency p50 ms`, load(id, (r) => r.p50), 2]);
    out.push([`${label}: latency p99 ms`, load(id, (r) => r.p99), 2]);
    out.push([`${label}: connected / delivered %`, load(id, (r) => r.connected), 0, load(id, (r) => 100 * r.delivered)]);
  }
  const fits = KEYS.map((k) => cpuFit(S[k]));
  out.push(['CPU µs per client per broadcast (fit)', fits.map((f) => f.slope), 2]);
  out.push(['CPU µs per broadcast at 0 clients (fit)', fits.map((f) => f.intercept), 0]);
  out.push(['max sustained msg/s per client (20 ws)', KEYS.map((k) => maxRate(S[k]).best), 0]);
  const probe = (f) => KEYS.map((k) => (S[k].probe && !S[k].probe.error ? f(S[k].probe) : NaN));
  out.push(['handshakes/s (median of 1 s buckets)', probe((p) => p.handshakesPerS), 0]);
  out.push(['page time to first byte ms (median)', probe((p) => p.ttfbMs), 2]);
  const size = (f) => KEYS.map((k) => (res.sizes[k] ? f(res.sizes[k]) : NaN));
  out.push(['binary / own code KB', size((s) => s.binaryBytes / 1024), 0]);
  out.push(['installed MB (beyond a base system)', size((s) => s.installedBytes / 2 ** 20), 1]);
  return out;
}

export function renderMarkdown(res) {
  const S = res.servers;
  const m = res.machine;
  const L = [];
  L.push('# sbcmon bench: sbcmon vs the Flask-SocketIO tutorial server vs Node socket.io', '');
  L.push(`Run ${res.when}${res.quick ? ' (QUICK: short phases, figures are rough)' : ''} on ${m.cpu}, `
    + `${m.cores} cores, ${m.memGb} GB, Linux ${m.kernel}, load average at start ${m.load}. `
    + `Node ${m.node}, socket.io ${m.socketio}; Python/Flask-SocketIO/python-engineio/eventlet ${m.python}.`, '');
  L.push(`sbcmon config: ${res.config}`, '');
  L.push('Every server is started fresh per phase on 127.0.0.1 and emits one per-core CPU sample per '
    + 'period (1 s unless stated) to every client; memory is read at the end of the phase, CPU over '
    + 'the measured window (per-thread schedstat, ns resolution). sbcmon clients listen to its own `sample` '
    + 'event on `/` (a larger payload than the tutorial\'s, plus board and history on connect) because '
    + 'it carries the wall-clock stamp; the other two emit the tutorial\'s `server_response` on `/test` '
    + 'with a `t` stamp added. Stamps are integer wall ms, so each latency is taken from t + 0.5 ms (±0.5 ms) for all three; the generator clock is calibrated to Date.now().', '');
  L.push('| figure | sbcmon | Flask-SocketIO | Node socket.io | sbcmon / Flask | sbcmon / Node |');
  L.push('|---|---:|---:|---:|---:|---:|');
  for (const [label, v, d, extra] of rows(res)) {
    if (extra) {
      const cell = (i) => (fin(v[i]) ? `${v[i]} / ${fmt(extra[i], 0)}%` : 'n/a');
      L.push(`| ${label} | ${cell(0)} | ${cell(1)} | ${cell(2)} | | |`);
    } else {
      L.push(`| ${label} | ${fmt(v[0], d)} | ${fmt(v[1], d)} | ${fmt(v[2], d)} | ${ratio(v[0], v[1])} | ${ratio(v[0], v[2])} |`);
    }
  }
  L.push('', '## Highest delivered rate (20 websocket clients)', '');
  L.push('| server | period ms | msg/s per client | delivered % | p99 ms | CPU s/min | sustained |');
  L.push('|---|---:|---:|---:|---:|---:|---|');
  for (const k of KEYS) {
    for (const r of S[k].rate) {
      L.push(`| ${S[k].name} | ${r.periodMs} | ${fmt(r.msgsPerClientPerS, 1)} | ${fmt(100 * r.delivered, 0)} | ${fmt(r.p99, 1)} | ${fmt(r.cpuSPerMin, 1)} | ${r.sustained ? 'yes' : 'no'} |`);
    }
  }
  L.push('', `sbcmon's period is bounded below by the product (Kconfig SBCMON_SAMPLE_PERIOD_MS, ${S.sbcmon.minPeriodMs} ms), `
    + 'so its highest rate is that bound, not a saturation point; the others were tried down to 10 ms.', '');
  L.push('## Sizes', '');
  for (const k of KEYS) if (res.sizes[k]) L.push(`- ${S[k].name}: ${res.sizes[k].note}`);
  L.push('', '![bench chart](bench.svg)', '');
  return `${L.join('\n')}\n`;
}

export function renderSvg(res) {
  const W = 880; const H = 340; const colors = { sbcmon: '#1f77b4', flask: '#d62728', node: '#2ca02c' };
  const panel = (x0, title, ylabel, get) => {
    const pw = 360; const ph = 230; const y0 = 50;
    const series = KEYS.map((k) => ({ k, pts: get(res.servers[k]).filter((p) => fin(p[1]) && p[1] > 0) }));
    const ys = series.flatMap((s) => s.pts.map((p) => p[1]));
    const lo = Math.floor(Math.log10(Math.min(...ys))); const hi = Math.ceil(Math.log10(Math.max(...ys)));
    const X = (n) => x0 + (Math.log10(n) / 3) * pw;
    const Y = (v) => y0 + ph - ((Math.log10(v) - lo) / (hi - lo || 1)) * ph;
    const g = [`<text x="${x0 + pw / 2}" y="30" text-anchor="middle" font-weight="bold">${title}</text>`,
      `<rect x="${x0}" y="${y0}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`];
    for (const n of [1, 10, 100, 1000]) {
      g.push(`<line x1="${X(n)}" y1="${y0}" x2="${X(n)}" y2="${y0 + ph}" stroke="#eee"/>`,
        `<text x="${X(n)}" y="${y0 + ph + 16}" text-anchor="middle">${n}</text>`);
    }
    for (let e = lo; e <= hi; e += 1) {
      g.push(`<line x1="${x0}" y1="${Y(10 ** e)}" x2="${x0 + pw}" y2="${Y(10 ** e)}" stroke="#eee"/>`,
        `<text x="${x0 - 6}" y="${Y(10 ** e) + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toPrecision(1)}</text>`);
    }
    g.push(`<text x="${x0 + pw / 2}" y="${y0 + ph + 34}" text-anchor="middle">websocket clients (1 Hz)</text>`,
      `<text transform="translate(${x0 - 48},${y0 + ph / 2}) rotate(-90)" text-anchor="middle">${ylabel}</text>`);
    for (const s of series) {
      if (!s.pts.length) continue;
      g.push(`<polyline fill="none" stroke="${colors[s.k]}" stroke-width="2" points="${s.pts.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ')}"/>`);
      for (const p of s.pts) g.push(`<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="3" fill="${colors[s.k]}"/>`);
    }
    return g.join('\n');
  };
  const ids = [['ws1', 1], ['ws20', 20], ['ws100', 100], ['ws1000', 1000]];
  const pick = (f) => (s) => ids.map(([id, n]) => [n, s.load[id] && !s.load[id].error ? f(s.load[id]) : NaN]);
  const legend = KEYS.map((k, i) => `<rect x="${80 + i * 250}" y="${H - 18}" width="12" height="12" fill="${colors[k]}"/>`
    + `<text x="${98 + i * 250}" y="${H - 8}">${res.servers[k].name}</text>`).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
${panel(70, 'CPU per broadcast (µs, log)', 'µs of CPU per broadcast', pick((r) => (r.cpuSPerMin / 60) * (r.periodMs / 1000) * 1e6))}
${panel(480, 'Resident memory (MB, log)', 'RSS MB', pick((r) => r.rssMb))}
${legend}
</svg>
`;
}

export function renderSummary(res) {
  const S = res.servers;
  const L = ['', '==== sbcmon bench summary (ratios are sbcmon / other; < 1 means sbcmon costs less) ===='];
  const w = (s, n) => String(s).padEnd(n);
  L.push(`${w('figure', 44)}${w('sbcmon', 11)}${w('Flask', 11)}${w('Node', 11)}${w('/Flask', 10)}/Node`);
  for (const [label, v, d, extra] of rows(res)) {
    if (extra) continue;
    L.push(`${w(label, 44)}${w(fmt(v[0], d), 11)}${w(fmt(v[1], d), 11)}${w(fmt(v[2], d), 11)}${w(ratio(v[0], v[1]), 10)}${ratio(v[0], v[2])}`);
  }
  const short = KEYS.map((k) => [k, ['ws1', 'ws20', 'ws100', 'ws1000', 'poll20']
    .filter((id) => S[k].load[id] && (S[k].load[id].error || S[k].load[id].connected < S[k].load[id].n || S[k].load[id].delivered < 0.95))])
    .filter(([, ids]) => ids.length);
  for (const [k, ids] of short) L.push(`note: ${k} fell short (connect or delivery) in: ${ids.join(', ')} (see bench.md)`);
  L.push(`sbcmon config: ${res.config}`);
  return L.join('\n');
}

// The floor section: sbcmon (dynamic, as packaged) and the static firmware against a bare
// libwebsockets server with the same clients, server-side latency, instructions per tick.
export function renderFloor(res) {
  const S = res.servers;
  const L = ['## Against the floor (a bare libwebsockets server, bench/floor.c, same clients, same run)', ''];
  const ids = [['ws0', 0], ['ws20', 20], ['ws100', 100], ['ws1000', 1000]];
  const get = (k, id) => (S[k] && S[k].load[id] && !S[k].load[id].error ? S[k].load[id] : null);
  const v = (k, id, f) => { const r = get(k, id); return r ? f(r) : NaN; };
  const has = (k) => Boolean(S[k]);
  const figs = [['CPU s/min', (r) => r.cpuSPerMin, 3], ['RSS MiB', (r) => r.rssMb, 2], ['anon MiB', (r) => r.anonMb, 2]];
  // "floor + reads": the floor making the kernel reads sbcmon made (res.kernelReads), up to 100 clients.
  L.push('| clients | figure | sbcmon | static firmware | floor | floor + reads | sbcmon / floor | static / floor '
    + '| sbcmon / (floor + reads) |');
  L.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [id, n] of ids) {
    for (const [label, f, d] of figs) {
      const a = v('sbcmon', id, f); const b = has('static') ? v('static', id, f) : NaN; const c = v('floor', id, f);
      const e = has('floorReads') ? v('floorReads', id, f) : NaN;
      L.push(`| ${n} | ${label} | ${fmt(a, d)} | ${fmt(b, d)} | ${fmt(c, d)} | ${fmt(e, d)} | ${ratio(a, c)} `
        + `| ${ratio(b, c)} | ${ratio(a, e)} |`);
    }
  }
  const after = (k) => v(k, 'ws1000', (r) => r.anonAfterMb);
  if (Number.isFinite(after('sbcmon')) || Number.isFinite(after('floor'))) {
    L.push(`| 1000 → 0 | anon MiB 12 s after the clients left | ${fmt(after('sbcmon'), 2)} | `
      + `${fmt(has('static') ? after('static') : NaN, 2)} | ${fmt(after('floor'), 2)} | | `
      + `${ratio(after('sbcmon'), after('floor'))} | ${ratio(after('static'), after('floor'))} | |`);
  }
  // Where each ran several times (run.mjs --reps): the run with the median CPU is shown; all of them here.
  const reps = [];
  for (const [id, n] of ids) {
    const each = ['sbcmon', 'static', 'floor', 'floorReads'].filter(has)
      .map((k) => [k, get(k, id) && get(k, id).cpuRuns]).filter(([, c]) => c && c.length > 1);
    if (each.length) reps.push(`${n} clients: ${each.map(([k, c]) => `${k} ${c.map((x) => fmt(x, 3)).join(' / ')}`).join(', ')}`);
  }
  if (reps.length) {
    L.push('', `CPU s/min of every run (interleaved; the table shows each one's median run): ${reps.join('; ')}.`);
  }
  const kr = res.kernelReads;
  if (kr) {
    L.push('', `floor + reads: at each tick the floor first makes the kernel reads that sbcmon made under strace `
      + `(${kr.ticks} ticks; PATH@N: every N-th tick): ${kr.reads.map((r) => `\`${r}\``).join(', ')}.`);
  }
  L.push('', '### Server-side latency: tick → first / last sample frame handed to the kernel (µs; net/latency.h; the floor records the same)', '');
  L.push('| build | clients | ticks | first p50 | first p99 | last p50 | last p99 |');
  L.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const k of ['sbcmon', 'static', 'floor', 'floorReads']) {
    if (!has(k)) continue;
    for (const [id, n] of ids.slice(1)) {
      if (k === 'floorReads' && n > 100) continue;
      const l = get(k, id) && get(k, id).server;
      if (!l) { L.push(`| ${k} | ${n} | n/a | | | | |`); continue; }
      L.push(`| ${k} | ${n} | ${l.ticks} | ${l.firstP50} | ${l.firstP99} | ${l.lastP50} | ${l.lastP99} |`);
    }
  }
  const cg = res.callgrind || {};
  L.push('', '### Instructions per tick (callgrind; whole process over 25 ticks of 200 ms, / ticks)', '');
  L.push('| clients | sbcmon | floor | sbcmon / floor |');
  L.push('|---:|---:|---:|---:|');
  for (const n of [0, 20, 100]) {
    const a = cg.sbcmon && cg.sbcmon[n] && !cg.sbcmon[n].error ? cg.sbcmon[n].perTick : NaN;
    const b = cg.floor && cg.floor[n] && !cg.floor[n].error ? cg.floor[n].perTick : NaN;
    L.push(`| ${n} | ${fmt(a, 0)} | ${fmt(b, 0)} | ${ratio(a, b)} |`);
  }
  L.push('', '### Targets', '');
  const cpuOk = ids.map(([id, n]) => [n, v('sbcmon', id, (r) => r.cpuSPerMin) / v('floor', id, (r) => r.cpuSPerMin)]);
  L.push(`- CPU ≤ 1.3× the floor: ${cpuOk.map(([n, r]) => `${n}: ${fmt(r)}× ${r <= 1.3 ? 'met' : 'NOT met'}`).join('; ')}`);
  if (has('floorReads')) {
    // What the kernel's reads of the same files cost the floor alone, and sbcmon against that.
    const cpu = (k, id) => v(k, id, (r) => r.cpuSPerMin);
    const parts = ids.filter(([, n]) => n <= 100).map(([id, n]) => `${n}: the reads alone ${ratio(cpu('floorReads', id),
      cpu('floor', id))} the floor, sbcmon ${ratio(cpu('sbcmon', id), cpu('floorReads', id))} the floor + reads`);
    L.push(`- the same kernel reads in the floor: ${parts.join('; ')}`);
  }
  // anon ≤ 1.2× the floor's + the history ring (sbcmon_history_bytes, read in the same phase).
  for (const k of ['sbcmon', 'static'].filter(has)) {
    const parts = ids.map(([id, n]) => {
      const a = v(k, id, (r) => r.anonMb); const f = v('floor', id, (r) => r.anonMb);
      const ring = v(k, id, (r) => r.ringBytes) / 2 ** 20;
      const cap = 1.2 * f + ring;
      return `${n}: ${fmt(a)} vs ${fmt(cap)} MiB ${a <= cap ? 'met' : 'NOT met'}`;
    });
    const ring = v(k, 'ws0', (r) => r.ringBytes);
    L.push(`- ${k === 'sbcmon' ? 'sbcmon (dynamic)' : 'static firmware'} anon ≤ 1.2× the floor + the ring `
      + `(${fmt(ring / 1024, 0)} KiB): ${parts.join('; ')}`);
  }
  if (has('static')) {
    const rss = v('static', 'ws20', (r) => r.rssMb); const anon = v('static', 'ws20', (r) => r.anonMb);
    L.push(`- static firmware at 20 clients: RSS ${fmt(rss)} MiB (< 3 MiB: ${rss < 3 ? 'met' : 'NOT met'}), `
      + `anon ${fmt(anon)} MiB (< 1.5 MiB: ${anon < 1.5 ? 'met' : 'NOT met'})`);
  }
  const l100 = get('sbcmon', 'ws100') && get('sbcmon', 'ws100').server;
  L.push(`- last frame at 100 clients p99 < 1 ms: ${l100 ? `${l100.lastP99} µs ${l100.lastP99 < 1000 ? 'met' : 'NOT met'}` : 'n/a'}`);
  for (const k of ['floor', 'floorReads'].filter(has)) {
    const l = get(k, 'ws100') && get(k, 'ws100').server;
    if (l) L.push(`  (${k === 'floor' ? 'the floor' : 'the floor + reads'} in the same run: ${l.lastP99} µs)`);
  }
  L.push('');
  return L.join('\n');
}
