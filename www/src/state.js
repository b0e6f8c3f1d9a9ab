// The page's shared state, its preferences (localStorage) and its event log.
// Every other module reads and writes `state`; nothing else is global.

export const $ = (id) => document.getElementById(id);

export const prefs = {
  get(k, d) { try { return localStorage.getItem('sbcmon.' + k) ?? d; } catch { return d; } },
  set(k, v) { try { localStorage.setItem('sbcmon.' + k, v); } catch { /* private mode */ } },
};

export const state = {
  board: null,
  store: null,
  charts: {},
  unit: prefs.get('unit', 'C') === 'F' ? 'F' : 'C',
  win: Number(prefs.get('window', '600')),   // seconds; 0 = all history
  paused: false,
  conn: 'connecting',
  clockOffset: null,   // browser ms minus server ms, smoothed
  visible: new Set(),  // chart keys on screen
  procs: prefs.get('procs', '0') === '1',  // the processes view is open (the board scans)
  peers: [],           // other boards' origins (--peer), for the Boards view
  view: 'board',       // 'board' (this board's page) or 'boards'
  netSplit: prefs.get('net', 'sum') === 'split',  // network chart per interface
};

// A short event log for tests and for anyone poking at the page in devtools.
const log = [];
export function note(ev, extra) {
  log.push({ ev, at: Math.round(performance.now()), ...extra });
  if (log.length > 300) log.splice(0, log.length - 300);
}
window.sbcmon = { state, log };

export const reduceMotion = matchMedia('(prefers-reduced-motion: reduce)');
export const darkScheme = matchMedia('(prefers-color-scheme: dark)');
