// The Socket.IO connection: the access token prompt, and the board, history and
// sample events feeding the store, the tiles and the charts.
import { io } from 'socket.io-client';
import { $, state, note } from './state.js';
import { Store } from './store.js';
import { renderBoard, renderTiles, renderProcesses, setConn } from './tiles.js';
import { self, setPeers, initBoards } from './boards.js';
import { buildCharts, redraw, updateCharts, animating, syncClock } from './view.js';

// The access token (sbcmon --token-file), asked for only when the board refuses
// us, kept in localStorage, sent as Socket.IO auth on every (re)connect. Never
// logged or put in a URL.
const tokenKey = 'sbcmon.token';
const storedToken = {
  get() { try { return localStorage.getItem(tokenKey) || ''; } catch { return ''; } },
  set(v) { try { if (v) localStorage.setItem(tokenKey, v); else localStorage.removeItem(tokenKey); } catch { /* private mode */ } },
};
let token = '';
let socket = null;

/** Tells the board whether this page shows the processes view (it scans only then). */
export function watchProcesses(on) {
  if (socket && socket.connected) socket.emit(on ? 'subscribe' : 'unsubscribe', 'processes');
}

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

/** Opens the connection (once, at start-up) and wires its events. */
export function connect() {
  token = storedToken.get();
  initBoards(() => token);
  socket = io({
    reconnectionDelayMax: 3000,
    auth: (cb) => cb(token ? { token } : {}),
  });
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
    if (state.procs) watchProcesses(true);  // a new session starts unsubscribed
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
  socket.on('disconnect', (reason) => { note('disconnect', { reason }); setConn('reconnecting'); self.down(); });
  socket.on('peers', (p) => { note('peers', { n: p && p.peers ? p.peers.length : 0 }); setPeers(p && p.peers); });
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

  socket.on('processes', (p) => {
    note('processes', { seen: p.seen, cpu: (p.cpu || []).length });
    if (state.procs) renderProcesses(p);
  });

  socket.on('board', (b) => {
    note('board', { cores: b.cores });
    const same = state.store && state.store.fits(b);
    state.board = b;
    if (!same) state.store = new Store(b);
    // A new interface or disk (a USB stick) adds columns; the history stays.
    const grew = same && state.store.grow(b);
    window.sbcmon.store = state.store;
    renderBoard();
    if (!same || grew) buildCharts();
    self.board(b);
  });

  socket.on('history', (h) => {
    if (!state.store) return;
    const n = state.store.addHistory(h);
    note('history', { n, len: h && h.t ? h.t.length : 0, rows: state.store.length });
    if (state.store.length) syncClock(state.store.lastT);
    redraw();
    self.history(h);
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
    self.sample(s);
    if (!state.paused && !document.hidden) {
      updateCharts(!animating());
    }
  });
}
