// sbcmon's page: subscribes to the board's Socket.IO stream, keeps a columnar
// history, and draws tiles and uPlot charts that scroll smoothly between samples.
import { io } from 'socket.io-client';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { Store } from './store.js';
import * as F from './format.js';
import uPlot from 'uplot';
import { makeChart, series, coreColor, fillOf, hline, theme, byteIncrs } from './charts.js';

const $ = (id) => document.getElementById(id);
const prefs = {
  get(k, d) { try { return localStorage.getItem('sbcmon.' + k) ?? d; } catch { return d; } },
  set(k, v) { try { localStorage.setItem('sbcmon.' + k, v); } catch { /* private mode */ } },
};

const state = {
  board: null,
  store: null,
  charts: {},
  unit: prefs.get('unit', 'C') === 'F' ? 'F' : 'C',
  win: Number(prefs.get('window', '600')),   // seconds; 0 = all history
  paused: false,
  conn: 'connecting',
  clockOffset: null,   // browser ms minus server ms, smoothed
  visible: new Set(),  // chart keys on screen
};

// A short event log for tests and for anyone poking at the page in devtools.
const log = [];
function note(ev, extra) {
  log.push({ ev, at: Math.round(performance.now()), ...extra });
  if (log.length > 300) log.splice(0, log.length - 300);
}
window.sbcmon = { state, log };

const reduceMotion = matchMedia('(prefers-reduced-motion: reduce)');
const darkScheme = matchMedia('(prefers-color-scheme: dark)');

// ---- connection ----------------------------------------------------------

// The access token (sbcmon --token-file), asked for only when the board refuses
// us, kept in localStorage, sent as Socket.IO auth on every (re)connect. Never
// logged or put in a URL.
const tokenKey = 'sbcmon.token';
const storedToken = {
  get() { try { return localStorage.getItem(tokenKey) || ''; } catch { return ''; } },
  set(v) { try { if (v) localStorage.setItem(tokenKey, v); else localStorage.removeItem(tokenKey); } catch { /* private mode */ } },
};
let token = storedToken.get();

const socket = io({
  reconnectionDelayMax: 3000,
  auth: (cb) => cb(token ? { token } : {}),
});

function askToken(wrong) {
  const form = $('auth');
  $('auth-msg').textContent = wrong
    ? 'That token was not accepted. Enter the access token of this board.'
    : 'This board asks for its access token before it shows any data.';
  const first = form.hidden;
  form.hidden = false;
  setConn('locked');
  if (first || wrong) { $('auth-token').value = ''; $('auth-token').focus(); }
}

$('auth').addEventListener('submit', (e) => {
  e.preventDefault();
  const v = $('auth-token').value.trim();
  if (!v) return;
  token = v;
  storedToken.set(v);
  $('auth-token').value = '';
  $('auth').hidden = true;
  note('auth-submit');
  setConn('connecting');
  socket.connect();
});

socket.on('connect', () => {
  note('connect');
  $('auth').hidden = true;
  setConn('live');
  // Backfill what we missed while away; the server acks with t > since only.
  const s = state.store;
  if (s && s.lastT !== null) {
    const since = s.lastT;
    socket.timeout(8000).emit('history', { since }, (err, h) => {
      if (err || !state.store) { note('backfill-failed', { since, err: String(err) }); return; }
      const n = state.store.addHistory(h);
      const t = (h && h.t) || [];
      note('backfill', { since, n, len: t.length, first: t.length ? t[0] : null });
      if (n) redraw();
    });
  }
});
socket.on('disconnect', (reason) => { note('disconnect', { reason }); setConn('reconnecting'); });
socket.io.on('reconnect_attempt', () => setConn('reconnecting'));
socket.on('connect_error', (err) => {
  if (err && err.message === 'unauthorized') {
    // Refused by the board: no automatic retry comes; ask (again) for the token.
    const wrong = !!token;
    note('auth-needed', { wrong });
    if (wrong) { token = ''; storedToken.set(''); }
    askToken(wrong);
    return;
  }
  if (state.conn !== 'connecting' || state.store) setConn('reconnecting');
});

socket.on('board', (b) => {
  note('board', { cores: b.cores });
  const same = state.store && state.store.fits(b);
  state.board = b;
  if (!same) state.store = new Store(b);
  window.sbcmon.store = state.store;
  renderBoard();
  if (!same) buildCharts();
});

socket.on('history', (h) => {
  if (!state.store) return;
  const n = state.store.addHistory(h);
  note('history', { n, len: h && h.t ? h.t.length : 0 });
  if (state.store.length) syncClock(state.store.lastT);
  redraw();
});

socket.on('sample', (s) => {
  if (!state.store) return;
  if (!state.store.addSample(s)) {
    // A board without an RTC may step its clock back (NTP at boot): start over
    // rather than ignore every sample until time catches up.
    if (state.store.lastT - s.t <= 5 * state.store.period) return;
    note('clock-reset', { from: state.store.lastT, to: s.t });
    state.store = window.sbcmon.store = new Store(state.board);
    state.store.addSample(s);
    buildCharts();
  }
  note('sample', { seq: s.seq });
  syncClock(s.t);
  renderTiles(s);
  if (!state.paused && !document.hidden) {
    updateCharts(!animating());
  }
});

function setConn(c) {
  state.conn = c;
  const el = $('status');
  const shown = c === 'live' && state.paused ? 'paused' : c;
  el.dataset.state = shown;
  el.lastElementChild.textContent = { live: 'Live', paused: 'Paused', reconnecting: 'Reconnecting…', connecting: 'Connecting…', locked: 'Token needed' }[shown];
  document.body.classList.toggle('stale', c !== 'live');
  updateTitle();
}

// Server clock vs ours: boards without an RTC may be off; scroll in server time.
function syncClock(t) {
  const off = Date.now() - t;
  if (state.clockOffset === null || Math.abs(off - state.clockOffset) > 2 * state.store.period) {
    state.clockOffset = off;
  } else {
    state.clockOffset += (off - state.clockOffset) * 0.1;
  }
}

// ---- board, tiles, title --------------------------------------------------

function renderBoard() {
  const b = state.board;
  $('host').textContent = b.hostname || 'sbcmon';
  $('model').textContent = b.model || b.board || '';
  $('f-kernel').textContent = b.kernel || F.DASH;
  $('f-arch').textContent = b.arch || F.DASH;
  $('f-version').textContent = b.version ? 'sbcmon ' + b.version : 'sbcmon';
  $('f-board').textContent = b.board || F.DASH;
  $('f-period').textContent = ((b.period_ms || 1000) / 1000) + ' s × ' + (b.capacity || 600);
  $('cpu-cores').textContent = b.cores + (b.cores === 1 ? ' core' : ' cores');
  const lim = b.temp_limits;
  $('temp-lim').hidden = !lim;
  // Per-core meters.
  const box = $('cores');
  box.textContent = '';
  for (let i = 0; i < b.cores; i++) {
    const m = document.createElement('div');
    m.className = 'core';
    m.innerHTML = '<span class="cl"></span><span class="cb"><i></i></span><span class="cv"></span>';
    m.firstChild.textContent = 'cpu' + i;
    m.querySelector('i').style.background = coreColor(i);
    box.appendChild(m);
  }
}

function meter(el, frac, level) {
  el.style.transform = `scaleX(${Math.max(0, Math.min(1, frac || 0))})`;
  if (level !== undefined) el.dataset.level = level;
}

function renderTiles(s) {
  const b = state.board;
  // CPU
  $('cpu-total').textContent = F.pct(s.total);
  const freqs = (s.freq_mhz || []).filter((f) => f != null);
  $('cpu-freq').textContent = freqs.length ? '· ' + F.mhz(Math.max(...freqs)) : '';
  meter($('cpu-bar'), s.total / 100, s.total > 90 ? 'crit' : s.total > 70 ? 'warn' : 'ok');
  const cores = $('cores').children;
  (s.cpu || []).forEach((v, i) => {
    const c = cores[i];
    if (!c) return;
    // null is "off" only for a core the server lists as offline; else no figure yet.
    const off = (s.cpu_offline || []).includes(i);
    c.classList.toggle('off', off);
    c.classList.toggle('nodata', v == null && !off);
    c.title = off ? 'offline' : v == null ? 'no data yet (no change in /proc/stat since the last sample)' : '';
    c.lastChild.textContent = off ? 'off' : v == null ? F.DASH : F.pct(v);
    meter(c.querySelector('i'), v == null ? 0 : v / 100);
  });
  // Memory
  if (s.mem) {
    const frac = s.mem.total ? s.mem.used / s.mem.total : 0;
    $('mem-used').textContent = F.bytes(s.mem.used);
    $('mem-sub').textContent = `of ${F.bytes(s.mem.total)} · ${Math.round(frac * 100)}%`;
    meter($('mem-bar'), frac, frac > 0.9 ? 'crit' : frac > 0.75 ? 'warn' : 'ok');
  }
  $('swap-sub').textContent = s.swap && s.swap.total
    ? `swap ${F.bytes(s.swap.used, 0)} / ${F.bytes(s.swap.total, 0)}` : 'no swap';
  // Temperature
  renderTemp(s);
  // Load, uptime
  const ld = s.load || [];
  $('load1').textContent = F.load(ld[0]);
  $('load-sub').textContent = `5m ${F.load(ld[1])} · 15m ${F.load(ld[2])}`;
  meter($('load-bar'), ld[0] / (b.cores || 1), ld[0] > b.cores ? 'crit' : ld[0] > 0.75 * b.cores ? 'warn' : 'ok');
  $('uptime').textContent = F.uptime(s.uptime);
  $('uptime-sub').textContent = s.uptime != null
    ? 'up since ' + new Date(s.t - s.uptime * 1000).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }) : '';
  // Network
  let rx = 0, tx = 0;
  for (const n of s.net || []) { rx += n.rx || 0; tx += n.tx || 0; }
  $('net-rx').textContent = F.rate(rx);
  $('net-tx').textContent = F.rate(tx);
  $('net-sub').textContent = (s.net || []).map((n) => n.if).join(' · ') || 'no interfaces';
  renderPower(s.throttled);
  // Hosts without cpufreq (VMs, containers) get no empty frequency chart.
  $('freq-card').hidden = !state.board.freq_max_mhz && !(s.freq_mhz || []).some((f) => f != null);
  updateTitle();
}

function renderTemp(s) {
  const lim = state.board && state.board.temp_limits;
  const t0 = s && s.temp && s.temp.length ? s.temp[0] : null;
  const tile = $('temp-tile');
  if (!t0) {
    $('temp-val').textContent = 'absent';
    $('temp-sub').textContent = 'no temperature sensor';
    tile.dataset.level = 'none';
    meter($('temp-bar'), 0);
    return;
  }
  const c = t0.c;
  const level = lim && c >= lim.crit ? 'crit' : lim && c >= lim.warn ? 'warn' : 'ok';
  tile.dataset.level = level;
  $('temp-val').textContent = F.temp(c, state.unit);
  $('temp-sub').textContent = s.temp.length > 1
    ? s.temp.map((z) => `${z.name} ${F.temp(z.c, state.unit)}`).slice(1).join(' · ') : t0.name;
  if (lim) {
    const r = (c) => Math.round(F.toUnit(c, state.unit));
    $('temp-lim').textContent = `limits ${r(lim.warn)} / ${r(lim.crit)} °${state.unit}`;
  }
  meter($('temp-bar'), lim ? c / lim.crit : c / 100, level);
}

function renderPower(th) {
  const el = $('power');
  if (!th) { el.hidden = true; return; }
  el.hidden = false;
  const now = [th.uv_now && 'under-voltage', th.throttled_now && 'throttled',
    th.capped_now && 'frequency capped', th.soft_now && 'soft temperature limit'].filter(Boolean);
  const boot = [th.uv_boot && 'under-voltage', th.throttled_boot && 'throttling',
    th.capped_boot && 'frequency capping', th.soft_boot && 'soft temperature limit'].filter(Boolean);
  let level, text;
  if (th.uv_now || th.throttled_now) { level = 'crit'; text = th.uv_now ? 'Under-voltage' : 'Throttled'; }
  else if (now.length) { level = 'warn'; text = th.capped_now ? 'Freq capped' : 'Soft temp limit'; }
  else if (boot.length) { level = 'warn'; text = 'Power issue since boot'; }
  else { level = 'ok'; text = 'Power OK'; }
  el.dataset.level = level;
  el.lastElementChild.textContent = text;
  el.title = `Now: ${now.join(', ') || 'ok'}. Since boot: ${boot.join(', ') || 'none'}. ` +
    `(get_throttled 0x${(th.raw >>> 0).toString(16)})`;
}

function updateTitle() {
  const s = state.store && state.store.latest;
  const host = state.board ? state.board.hostname : 'sbcmon';
  const lead = state.conn !== 'live' ? '⟳' : s && s.total != null ? Math.round(s.total) + '%' : '';
  document.title = `${lead ? lead + ' · ' : ''}${host} — sbcmon`;
}

// ---- charts ---------------------------------------------------------------

function tempCols() {
  const s = state.store;
  return state.unit === 'C' ? s.temp : s.temp.map((c) => c.map((v) => F.toUnit(v, 'F')));
}

const stepped = uPlot.paths.stepped({ align: 1 });

const chartDefs = {
  cpu: () => {
    const s = state.store, th = theme();
    return {
      el: 'cpu-chart', height: 260,
      yRange: [0, 100], yFmt: (v) => v + '%',
      series: [
        series('total', th.fg, F.pct, { width: 2.25, fill: fillOf(th.accent, 0.12) }),
        ...s.cpu.map((_, i) => series('cpu' + i, coreColor(i), F.pct, { width: 1.25 })),
      ],
      data: () => [s.ts, s.total, ...s.cpu],
    };
  },
  mem: () => {
    const s = state.store, th = theme();
    const total = () => (s.latest && s.latest.mem ? s.latest.mem.total : null);
    return {
      el: 'mem-chart', height: 180,
      yRange: (u, mn, mx) => [0, Math.max(total() || 0, mx || 1)],
      yFmt: (v) => F.bytes(v, 0), yAxis: { incrs: byteIncrs, size: 58 },
      series: [
        series('used', th.accent, F.bytes, { fill: fillOf(th.accent, 0.15), width: 2 }),
        series('swap', '#f59e0b', F.bytes),
      ],
      data: () => [s.ts, s.mem, s.swap],
    };
  },
  temp: () => {
    const s = state.store, th = theme();
    const lim = state.board.temp_limits;
    const u = (v) => F.toUnit(v, state.unit);
    return {
      el: 'temp-chart', height: 180,
      yRange: (_, mn, mx) => {
        const hi = Math.max(mx ?? 0, lim ? u(lim.crit) : 0) + 5;
        const lo = Math.min(mn ?? hi, u(30));
        return [Math.floor(lo / 10) * 10, Math.ceil(hi / 10) * 10];
      },
      yFmt: (v) => v + '°',
      series: s.zones.map((name, i) => series(name, i ? coreColor(i + 3) : '#ef4444',
        (v) => (v == null ? F.DASH : v.toFixed(1) + ' °' + state.unit), { width: 2 })),
      draw: (pl, t) => {
        if (!lim) return;
        hline(pl, u(lim.warn), t.warn, 'warn', true);
        hline(pl, u(lim.crit), t.crit, 'crit');
      },
      data: () => [s.ts, ...tempCols()],
    };
  },
  freq: () => {
    const s = state.store;
    const fmax = state.board.freq_max_mhz;
    return {
      el: 'freq-chart', height: 180,
      yRange: (u, mn, mx) => [0, Math.max(fmax || 0, mx || 1)],
      yFmt: (v) => (v >= 1000 ? (v / 1000).toFixed(1) + 'G' : v + 'M'),
      series: s.freq.map((_, i) => series('cpu' + i, coreColor(i), F.mhz, { width: 1.25, paths: stepped })),
      data: () => [s.ts, ...s.freq],
    };
  },
  net: () => {
    const s = state.store;
    return {
      el: 'net-chart', height: 180,
      yRange: (u, mn, mx) => [0, Math.max(1000, (mx || 0) * 1.15)],
      yFmt: (v) => F.rate(v).replace('/s', ''), yAxis: { size: 54 },
      series: [
        series('rx', '#10b981', F.rate, { fill: fillOf('#10b981', 0.12), width: 1.75 }),
        series('tx', '#8b5cf6', F.rate, { width: 1.75 }),
      ],
      data: () => [s.ts, s.rx, s.tx],
    };
  },
  load: () => {
    const s = state.store, th = theme();
    const cores = state.board.cores || 1;
    return {
      el: 'load-chart', height: 180,
      yRange: (u, mn, mx) => [0, Math.max(cores, (mx || 0) * 1.15)],
      yFmt: (v) => v.toFixed(v < 10 && v % 1 ? 1 : 0),
      series: [series('load 1m', th.accent, F.load, { fill: fillOf(th.accent, 0.12), width: 2 })],
      draw: (pl, t) => hline(pl, cores, t.muted, `${cores} cores`),
      data: () => [s.ts, s.load1],
    };
  },
};

const observer = new IntersectionObserver((entries) => {
  for (const e of entries) {
    const key = e.target.dataset.chart;
    if (e.isIntersecting) { state.visible.add(key); scrollChart(state.charts[key]); }
    else state.visible.delete(key);
  }
});

function buildCharts() {
  for (const c of Object.values(state.charts)) c.u.destroy();
  state.charts = {};
  $('temp-card').classList.toggle('absent', !state.store.zones.length);
  for (const [key, def] of Object.entries(chartDefs)) {
    const d = def();
    const el = $(d.el);
    if (!d.series.length) { el.textContent = key === 'temp' ? 'No temperature sensor on this board' : ''; continue; }
    el.dataset.chart = key;
    const u = makeChart(el, { ...d, onDraw: (pl) => note('draw', { chart: key, n: pl.data[0].length }) },
      d.data().map((a) => a.slice()));
    // uPlot gets copies: the store's arrays change under it, and a paused chart must not.
    state.charts[key] = { u, data: () => d.data().map((a) => a.slice()), key };
    observer.observe(el);
    state.visible.add(key);
  }
  renderTemp(state.store.latest);
  scrollAll();
}

/** Window [min, max] in seconds for the x axis at this moment. */
function xWindow(smooth) {
  const s = state.store;
  const ts = s.ts;
  if (!ts.length) return null;
  const last = ts[ts.length - 1];
  let max = last;
  if (smooth && state.clockOffset !== null && !state.paused) {
    // Scroll continuously in server time, one period behind, so the newest point
    // slides in from the right edge instead of jumping.
    max = Math.min(last + s.period / 1000, (Date.now() - state.clockOffset - s.period) / 1000);
    max = Math.max(max, last - s.period / 1000);
  }
  // Until the history fills the window, show what there is (at least 20
  // periods) rather than a mostly empty chart.
  const first = Math.min(ts[0], max - 20 * s.period / 1000);
  const min = state.win ? Math.max(max - state.win, first) : first;
  return [min, max];
}

function scrollChart(c, smooth = animating()) {
  if (!c) return;
  const w = xWindow(smooth);
  if (w) c.u.setScale('x', { min: w[0], max: w[1] });
}

function scrollAll(smooth) {
  for (const c of Object.values(state.charts)) if (state.visible.has(c.key)) scrollChart(c, smooth);
}

/** New data into every chart; scales follow the window. */
function updateCharts() {
  for (const c of Object.values(state.charts)) {
    if (!state.visible.has(c.key)) { c.stale = true; continue; }
    c.stale = false;
    c.u.setData(c.data());
    scrollChart(c);
  }
}

function redraw() {
  for (const c of Object.values(state.charts)) c.stale = true;
  if (!state.paused && !document.hidden) {
    for (const c of Object.values(state.charts)) { c.u.setData(c.data()); c.stale = false; }
    scrollAll();
  }
  if (state.store && state.store.latest) renderTiles(state.store.latest);
}

// Smooth scrolling runs only while live, unpaused, in a moving window, and
// when the person has not asked for reduced motion.
function animating() {
  return !reduceMotion.matches && !state.paused && state.win !== 0 && state.conn === 'live';
}
// Wakes only as often as the window moves by about a pixel (a 10-minute window
// on a phone redraws a few times a second, not sixty), then draws in a frame.
function frame() {
  let every = 250;
  if (animating() && state.store && !document.hidden) {
    const cpu = state.charts.cpu;
    const px = cpu ? cpu.u.bbox.width / devicePixelRatio : 600;
    every = Math.max(33, (state.win * 1000) / Math.max(px, 1) * 0.75);
    for (const c of Object.values(state.charts)) {
      if (!state.visible.has(c.key)) continue;
      if (c.stale) { c.u.setData(c.data()); c.stale = false; }
      scrollChart(c, true);
    }
  }
  setTimeout(() => requestAnimationFrame(frame), every);
}
requestAnimationFrame(frame);

// ---- controls ---------------------------------------------------------------

function setWindow(w) {
  state.win = w;
  prefs.set('window', String(w));
  for (const b of document.querySelectorAll('[data-win]')) b.setAttribute('aria-pressed', String(Number(b.dataset.win) === w));
  scrollAll();
}
for (const b of document.querySelectorAll('[data-win]')) b.addEventListener('click', () => setWindow(Number(b.dataset.win)));

function setUnit(u) {
  state.unit = u;
  prefs.set('unit', u);
  $('unit').textContent = '°' + u;
  $('unit').setAttribute('aria-label', `Temperature unit: ${u === 'C' ? 'Celsius' : 'Fahrenheit'} (switch)`);
  if (state.store) {
    renderTemp(state.store.latest);
    const t = state.charts.temp;
    if (t) { t.u.setData(t.data()); scrollChart(t); }
  }
}
$('unit').addEventListener('click', () => setUnit(state.unit === 'C' ? 'F' : 'C'));

$('pause').addEventListener('click', () => {
  state.paused = !state.paused;
  $('pause').setAttribute('aria-pressed', String(state.paused));
  $('pause').lastElementChild.textContent = state.paused ? 'Resume' : 'Pause';
  setConn(state.conn);
  if (!state.paused) redraw();
});

document.addEventListener('visibilitychange', () => { if (!document.hidden) redraw(); });
const rebuild = () => { if (state.store) buildCharts(); };
darkScheme.addEventListener('change', rebuild);

setUnit(state.unit);
setWindow([0, 60, 600].includes(state.win) ? state.win : 600);
setConn('connecting');
