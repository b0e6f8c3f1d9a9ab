// uPlot charts: one factory that sizes a chart to its card, follows the theme,
// syncs the hover cursor across charts and keeps legends on the newest value.
import uPlot from 'uplot';

const kBase = ['#3b82f6', '#10b981', '#f59e0b', '#ef4444', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16'];

/** Colour for core i: a fixed palette, then golden-angle hues for big hosts. */
export function coreColor(i) {
  return i < kBase.length ? kBase[i] : `hsl(${Math.round((i * 137.508) % 360)} 65% 55%)`;
}

/** The theme's colours, read from the CSS custom properties. */
export function theme() {
  const cs = getComputedStyle(document.documentElement);
  const v = (n) => cs.getPropertyValue(n).trim();
  return { fg: v('--fg'), muted: v('--muted'), grid: v('--grid'), accent: v('--accent'),
    warn: v('--warn'), crit: v('--crit'), card: v('--card') };
}

const kFont = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** Latest non-null value of series sidx (legend when not hovering). */
function newest(u, sidx) {
  const d = u.data[sidx];
  for (let i = d.length - 1; i >= 0; i--) if (d[i] != null) return d[i];
  return null;
}

/** A series whose legend shows the hovered value, or the newest one. */
export function series(label, color, fmt, extra = {}) {
  return {
    label, stroke: color, width: 1.5, points: { show: false },
    value: (u, v, sidx, idx) => fmt(idx == null ? newest(u, sidx) : v),
    ...extra,
  };
}

/** Alpha-blended fill of a hex colour, for the area under a series. */
export function fillOf(color, alpha) {
  if (!color.startsWith('#')) return color;
  const n = parseInt(color.length === 4 ? color.replace(/(\w)/g, '$1$1').slice(1) : color.slice(1), 16);
  return `rgba(${n >> 16 & 255},${n >> 8 & 255},${n & 255},${alpha})`;
}

/** Builds a chart in `el` (cleared) and keeps it sized to el's width.
 *  opts: {series, yFmt, yRange, height, hooks, onDraw}; data: uPlot columns. */
export function makeChart(el, opts, data) {
  const th = theme();
  el.textContent = '';
  const axis = (fmt) => ({
    stroke: th.muted, font: kFont, size: 46, gap: 4,
    grid: { stroke: th.grid, width: 1 }, ticks: { stroke: th.grid, width: 1, size: 4 },
    ...(fmt ? { values: (u, splits) => splits.map(fmt) } : {}),
  });
  const height = () => (window.innerWidth < 600 ? opts.height * 0.8 : opts.height) | 0;
  const u = new uPlot({
    width: Math.max(200, el.clientWidth),
    height: height(),
    pxAlign: 0,
    cursor: { sync: { key: 'sbcmon' }, y: false, points: { size: 6 }, drag: { x: false, y: false } },
    legend: { live: true },
    scales: { x: { time: true }, y: { range: opts.yRange } },
    axes: [{ ...axis(null), size: 28, values: timeTicks }, { ...axis(opts.yFmt), ...(opts.yAxis || {}) }],
    series: [{ value: (u, v) => (v == null ? 'now' : new Date(v * 1000).toLocaleTimeString()) }, ...opts.series],
    hooks: {
      draw: [(u) => { opts.draw && opts.draw(u, th); opts.onDraw && opts.onDraw(u); }],
      setCursor: [(u) => { if (u.cursor.idx == null) u.setLegend(); }],
    },
  }, data, el);
  const ro = new ResizeObserver(() => {
    const w = Math.max(200, el.clientWidth);
    if (w !== u.width || height() !== u.height) u.setSize({ width: w, height: height() });
  });
  ro.observe(el);
  const destroy = u.destroy.bind(u);
  u.destroy = () => { ro.disconnect(); destroy(); };
  return u;
}

const pad2 = (n) => String(n).padStart(2, '0');
/** x-axis labels: "14:05", or "14:05:30" when ticks are under a minute apart. */
function timeTicks(u, splits, ax, space, incr) {
  return splits.map((v) => {
    const d = new Date(v * 1000);
    const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
    return incr < 60 ? `${hm}:${pad2(d.getSeconds())}` : hm;
  });
}

/** Tick steps for byte axes: powers of two, so labels read 512 MiB, 1 GiB, 2 GiB. */
export const byteIncrs = Array.from({ length: 51 }, (_, i) => 2 ** i);

/** A dashed horizontal line at y value `v` labelled `text` (temperature limits). */
export function hline(u, v, color, text, below = false) {
  if (v == null) return;
  const y = Math.round(u.valToPos(v, 'y', true)) + 0.5;
  const { left, width, top, height } = u.bbox;
  if (y < top || y > top + height) return;
  const ctx = u.ctx, dpr = uPlot.pxRatio;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = dpr;
  ctx.setLineDash([5 * dpr, 4 * dpr]);
  ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + width, y); ctx.stroke();
  ctx.fillStyle = color;
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.textAlign = 'right'; ctx.textBaseline = below ? 'top' : 'bottom';
  ctx.fillText(text, left + width - 4 * dpr, below ? y + 3 * dpr : y - 2 * dpr);
  ctx.restore();
}
