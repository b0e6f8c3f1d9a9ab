// The header's controls: time window, temperature unit, pause; theme and visibility.
import { $, state, prefs, darkScheme } from './state.js';
import { renderTemp, setConn } from './tiles.js';
import { buildCharts, redraw, scrollAll, scrollChart } from './view.js';
import { watchProcesses } from './conn.js';

function setWindow(w) {
  state.win = w;
  prefs.set('window', String(w));
  for (const b of document.querySelectorAll('[data-win]')) b.setAttribute('aria-pressed', String(Number(b.dataset.win) === w));
  scrollAll();
}

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

function setNetSplit(split) {
  state.netSplit = split;
  prefs.set('net', split ? 'split' : 'sum');
  for (const b of document.querySelectorAll('[data-net]')) b.setAttribute('aria-pressed', String((b.dataset.net === 'split') === split));
  $('net-hint').textContent = split ? 'per interface, per second (dashed: sent)' : 'all interfaces, per second';
  if (state.store) buildCharts();
}

function setProcs(on) {
  state.procs = on;
  prefs.set('procs', on ? '1' : '0');
  $('proc-toggle').setAttribute('aria-pressed', String(on));
  $('proc-toggle').textContent = on ? 'Hide' : 'Show';
  $('proc-body').hidden = !on;
  if (!on) $('proc-hint').textContent = 'scanned only while shown';
  watchProcesses(on);
}

/** Wires the controls and applies the saved preferences (once, at start-up). */
export function initControls() {
  for (const b of document.querySelectorAll('[data-win]')) b.addEventListener('click', () => setWindow(Number(b.dataset.win)));
  for (const b of document.querySelectorAll('[data-net]')) b.addEventListener('click', () => setNetSplit(b.dataset.net === 'split'));
  $('proc-toggle').addEventListener('click', () => setProcs(!state.procs));
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
  setNetSplit(state.netSplit);
  setProcs(state.procs);
  setConn('connecting');
}
