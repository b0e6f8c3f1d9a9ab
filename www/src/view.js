// The charts on the page: their definitions, building them for a board, and
// scrolling them smoothly in server time between samples.
import uPlot from 'uplot';
import { $, state, note, reduceMotion } from './state.js';
import * as F from './format.js';
import { makeChart, series, coreColor, fillOf, hline, theme, byteIncrs } from './charts.js';
import { renderTiles, renderTemp } from './tiles.js';

// Server clock vs ours: boards without an RTC may be off; scroll in server time.
export function syncClock(t) {
  const off = Date.now() - t;
  if (state.clockOffset === null || Math.abs(off - state.clockOffset) > 2 * state.store.period) {
    state.clockOffset = off;
  } else {
    state.clockOffset += (off - state.clockOffset) * 0.1;
  }
}

export function tempCols() {
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
    const split = state.netSplit && s.ifaces.length > 0;
    return {
      el: 'net-chart', height: 180,
      yRange: (u, mn, mx) => [0, Math.max(1000, (mx || 0) * 1.15)],
      yFmt: (v) => F.rate(v).replace('/s', ''), yAxis: { size: 54 },
      series: split
        ? s.ifaces.flatMap((name, k) => [
          series(name + ' rx', coreColor(k), F.rate, { width: 1.75 }),
          series(name + ' tx', coreColor(k), F.rate, { width: 1.25, dash: [5, 4] }),
        ])
        : [
          series('rx', '#10b981', F.rate, { fill: fillOf('#10b981', 0.12), width: 1.75 }),
          series('tx', '#8b5cf6', F.rate, { width: 1.75 }),
        ],
      data: () => (split ? [s.ts, ...s.ifaces.flatMap((_, k) => [s.nrx[k], s.ntx[k]])] : [s.ts, s.rx, s.tx]),
    };
  },
  disk: () => {
    const s = state.store;
    return {
      el: 'disk-chart', height: 180,
      yRange: (u, mn, mx) => [0, Math.max(4096, (mx || 0) * 1.15)],
      yFmt: (v) => F.rate(v).replace('/s', ''), yAxis: { size: 54 },
      series: s.disks.flatMap((name, k) => [
        series(name + ' read', coreColor(k), F.rate, { width: 1.25, dash: [5, 4] }),
        series(name + ' write', coreColor(k), F.rate, { width: 1.75, fill: fillOf(coreColor(k), 0.1) }),
      ]),
      data: () => [s.ts, ...s.disks.flatMap((_, k) => [s.drd[k], s.dwr[k]])],
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

export function buildCharts() {
  for (const c of Object.values(state.charts)) c.u.destroy();
  state.charts = {};
  $('temp-card').classList.toggle('absent', !state.store.zones.length);
  for (const [key, def] of Object.entries(chartDefs)) {
    const d = def();
    const el = $(d.el);
    if (!d.series.length) {
      el.textContent = key === 'temp' ? 'No temperature sensor on this board' : key === 'disk' ? 'No disk on this board' : '';
      continue;
    }
    el.textContent = '';
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

export function scrollChart(c, smooth = animating()) {
  if (!c) return;
  const w = xWindow(smooth);
  if (w) c.u.setScale('x', { min: w[0], max: w[1] });
}

export function scrollAll(smooth) {
  for (const c of Object.values(state.charts)) if (state.visible.has(c.key)) scrollChart(c, smooth);
}

/** New data into every chart; scales follow the window. */
export function updateCharts() {
  for (const c of Object.values(state.charts)) {
    if (!state.visible.has(c.key)) { c.stale = true; continue; }
    c.stale = false;
    c.u.setData(c.data());
    scrollChart(c);
  }
}

export function redraw() {
  for (const c of Object.values(state.charts)) c.stale = true;
  if (!state.paused && !document.hidden) {
    for (const c of Object.values(state.charts)) { c.u.setData(c.data()); c.stale = false; }
    scrollAll();
  }
  if (state.store && state.store.latest) renderTiles(state.store.latest);
}

// Smooth scrolling runs only while live, unpaused, in a moving window, and
// when the person has not asked for reduced motion.
export function animating() {
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
/** Starts the scrolling loop (once). */
export function startScrolling() { requestAnimationFrame(frame); }

