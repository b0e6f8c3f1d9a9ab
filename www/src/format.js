// Number formatting for tiles, axes and legends. Every function takes null
// (no data) and returns a placeholder rather than "NaN".

export const DASH = '–';

/** Percent, 0..100 → "43%" (one decimal below 10). */
export function pct(v) {
  if (v == null) return DASH;
  return (v < 9.95 ? v.toFixed(1) : Math.round(v)) + '%';
}

/** Bytes → "1.2 GiB" (binary units, as free(1) and the kernel count memory). */
export function bytes(v, digits = 1) {
  if (v == null) return DASH;
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return (i === 0 ? Math.round(v) : v.toFixed(v >= 100 ? 0 : digits)) + '\u00a0' + u[i];
}

/** Bytes per second → "1.2 MB/s" (decimal units, as network rates are quoted). */
export function rate(v) {
  if (v == null) return DASH;
  const u = ['B/s', 'kB/s', 'MB/s', 'GB/s'];
  let i = 0;
  while (Math.abs(v) >= 1000 && i < u.length - 1) { v /= 1000; i++; }
  return (i === 0 ? Math.round(v) : v.toFixed(v >= 100 ? 0 : 1)) + '\u00a0' + u[i];
}

/** MHz → "1.50 GHz" or "600 MHz". */
export function mhz(v) {
  if (v == null) return DASH;
  return v >= 1000 ? (v / 1000).toFixed(2) + '\u00a0GHz' : Math.round(v) + '\u00a0MHz';
}

/** Seconds → "3d 4h", "4h 12m", "12m 03s". */
export function uptime(s) {
  if (s == null) return DASH;
  s = Math.floor(s);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${String(m).padStart(2, '0')}m`;
  return `${m}m ${String(sec).padStart(2, '0')}s`;
}

/** °C in, value in the chosen unit out (number). */
export function toUnit(c, unit) {
  if (c == null) return null;
  return unit === 'F' ? c * 9 / 5 + 32 : c;
}

/** °C → "47.7 °C" or "117.9 °F". */
export function temp(c, unit) {
  const v = toUnit(c, unit);
  return v == null ? DASH : v.toFixed(1) + ' °' + unit;
}

/** Load average → "0.52". */
export function load(v) { return v == null ? DASH : v.toFixed(2); }
