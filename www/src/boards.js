// The Boards view: one compact live card per board — this one and every --peer.
// The browser is the hub: it opens one Socket.IO client per peer, straight to
// that board; a board that is down only costs its own retries, with backoff.
import { io } from 'socket.io-client';
import { $, state, prefs, note } from './state.js';
import * as F from './format.js';

const kSpark = 120;  // samples in a card's CPU sparkline
const wide = matchMedia('(min-width: 900px)');
const cards = new Map();  // origin ('' = this board) -> card
let pageToken = () => '';

const hhmm = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
const tokenKey = (origin) => 'peer-token.' + origin;

function el(tag, cls, parent) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (parent) parent.appendChild(e);
  return e;
}

function makeCard(origin) {
  const a = el('a', 'bcard');
  a.href = origin ? origin + '/' : '#';
  a.dataset.origin = origin || location.origin;
  a.dataset.state = 'connecting';
  const head = el('div', 'bhead', a);
  const name = el('h3', '', head);
  const st = el('span', 'bstate', head);
  const model = el('p', 'sub', a);
  const row = el('div', 'brow', a);
  const cpu = el('p', 'bbig', row);
  const spark = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  spark.setAttribute('viewBox', `0 0 ${kSpark} 30`);
  spark.setAttribute('preserveAspectRatio', 'none');
  spark.classList.add('bspark');
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  spark.appendChild(line);
  row.appendChild(spark);
  const cores = el('div', 'bcores', a);
  const dl = el('dl', 'bfacts', a);
  const fact = (label) => { const d = el('div', '', dl); el('dt', '', d).textContent = label; return el('dd', '', d); };
  const c = {
    origin, a, name, st, model, cpu, line, cores,
    temp: fact('Temp'), mem: fact('Memory'), fs: fact('Fullest'), power: fact('Power'),
    alerts: el('ul', 'balerts', a),
    board: null, spark: [], downSince: null, socket: null, askedToken: false,
  };
  name.textContent = origin ? new URL(origin).host : 'this board';
  model.textContent = origin ? 'connecting…' : '';
  if (!origin) a.addEventListener('click', (e) => { e.preventDefault(); setView('board'); });
  setState(c, 'connecting');
  return c;
}

function setState(c, s, text) {
  c.a.dataset.state = s;
  c.st.textContent = text || { live: 'live', connecting: 'connecting…', down: 'unreachable', locked: 'token refused' }[s];
}

function drawSpark(c) {
  const pts = c.spark.slice(-kSpark);
  const x0 = kSpark - pts.length;
  c.line.setAttribute('points', pts.map((v, i) => `${x0 + i},${(30 - (v == null ? 0 : v) * 0.3).toFixed(1)}`).join(' '));
}

function onBoard(c, b) {
  c.board = b;
  c.name.textContent = b.hostname || c.name.textContent;
  c.model.textContent = b.model || b.board || '';
  c.cores.textContent = '';
  for (let i = 0; i < b.cores; i++) el('i', '', c.cores);
}

function onHistory(c, h) {
  if (!h || !Array.isArray(h.total)) return;
  c.spark = h.total.slice(-kSpark);
  c.a.dataset.history = String(h.total.length);
  drawSpark(c);
}

function fullest(list) {
  let best = null;
  for (const f of list || []) {
    if (f.used == null || !(f.used + f.avail > 0)) continue;
    const p = (100 * f.used) / (f.used + f.avail);
    if (!best || p > best.p) best = { p, mount: f.mount };
  }
  return best;
}

function power(th) {
  if (!th) return { text: 'absent', level: '' };
  if (th.uv_now) return { text: 'under-voltage', level: 'crit' };
  if (th.throttled_now) return { text: 'throttled', level: 'crit' };
  if (th.capped_now || th.soft_now) return { text: 'capped', level: 'warn' };
  if (th.uv_boot || th.throttled_boot || th.capped_boot || th.soft_boot) return { text: 'issue since boot', level: 'warn' };
  return { text: 'OK', level: 'ok' };
}

function onSample(c, s) {
  if (c.downSince !== null || c.a.dataset.state !== 'live') { c.downSince = null; setState(c, 'live'); }
  c.spark.push(s.total);
  if (c.spark.length > kSpark) c.spark.splice(0, c.spark.length - kSpark);
  drawSpark(c);
  c.cpu.textContent = F.pct(s.total);
  const bars = c.cores.children;
  (s.cpu || []).forEach((v, i) => {
    if (!bars[i]) return;
    bars[i].style.setProperty('--v', String(v == null ? 0 : v / 100));
    bars[i].title = `cpu${i} ${v == null ? F.DASH : F.pct(v)}`;
  });
  const t = s.temp && s.temp.length ? s.temp[0].c : null;
  const lim = c.board && c.board.temp_limits;
  c.temp.textContent = t == null ? 'absent' : F.temp(t, state.unit);
  c.temp.dataset.level = t == null ? '' : lim && t >= lim.crit ? 'crit' : lim && t >= lim.warn ? 'warn' : '';
  c.mem.textContent = s.mem && s.mem.total ? `${Math.round((100 * s.mem.used) / s.mem.total)}% of ${F.bytes(s.mem.total, 0)}` : 'absent';
  const f = fullest(s.fs);
  c.fs.textContent = f ? `${f.mount} ${Math.round(f.p)}%` : 'absent';
  const p = power(s.throttled);
  c.power.textContent = p.text;
  c.power.dataset.level = p.level;
  const firing = (s.alerts || []).filter((x) => x.state === 'firing');
  c.alerts.textContent = '';
  for (const x of firing) el('li', '', c.alerts).textContent = x.name + (x.what ? ' ' + x.what : '');
  c.a.dataset.alerts = String(firing.length);
  c.a.dataset.seq = String(s.seq);
}

function onDown(c) {
  if (c.downSince === null) c.downSince = Date.now();
  setState(c, 'down', 'unreachable since ' + hhmm(c.downSince));
}

function tokenFor(c) {
  const own = prefs.get(tokenKey(c.origin), '');
  return own || pageToken();
}

// A board that refuses the page's token gets one question, in its card.
function askToken(c) {
  setState(c, 'locked');
  if (c.askedToken) return;
  c.askedToken = true;
  const form = el('form', 'btoken', c.a);
  const input = el('input', '', form);
  input.type = 'password';
  input.placeholder = 'token for this board';
  input.setAttribute('aria-label', 'Access token for ' + c.name.textContent);
  const ok = el('button', 'btn small', form);
  ok.type = 'submit';
  ok.textContent = 'Connect';
  form.addEventListener('click', (e) => e.preventDefault() || e.stopPropagation());
  ok.addEventListener('click', () => form.requestSubmit());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!input.value.trim()) return;
    prefs.set(tokenKey(c.origin), input.value.trim());
    form.remove();
    setState(c, 'connecting');
    c.socket.connect();
  });
}

function connectPeer(c) {
  const socket = io(c.origin, {
    reconnectionDelay: 1000,
    reconnectionDelayMax: 30000,  // a board that stays down is tried less and less often
    timeout: 10000,  // per attempt; a loaded board may take a while to answer
    auth: (cb) => { const t = tokenFor(c); cb(t ? { token: t } : {}); },
  });
  c.socket = socket;
  socket.on('connect', () => { note('peer-connect', { origin: c.origin }); c.askedToken = false; });
  socket.on('disconnect', () => { note('peer-disconnect', { origin: c.origin }); onDown(c); });
  socket.on('connect_error', (err) => {
    if (err && err.message === 'unauthorized') {
      note('peer-auth-needed', { origin: c.origin });
      if (prefs.get(tokenKey(c.origin), '')) prefs.set(tokenKey(c.origin), '');
      askToken(c);
      return;
    }
    onDown(c);
  });
  socket.on('board', (b) => onBoard(c, b));
  socket.on('history', (h) => onHistory(c, h));
  socket.on('sample', (s) => onSample(c, s));
}

/** The page's own connection feeds its card (no second client to this board). */
export const self = {
  board(b) { if (cards.has('')) onBoard(cards.get(''), b); },
  history(h) { if (cards.has('')) onHistory(cards.get(''), h); },
  sample(s) { if (cards.has('')) onSample(cards.get(''), s); },
  down() { if (cards.has('')) onDown(cards.get('')); },
};

/** Shows the Boards view or the board's own page ('boards' | 'board'). */
export function setView(v, remember = true) {
  const boards = v === 'boards' && state.peers.length > 0;
  state.view = boards ? 'boards' : 'board';
  if (remember) prefs.set('view', state.view);
  document.body.classList.toggle('boards', boards);
  $('boards').hidden = !boards;
  for (const b of document.querySelectorAll('[data-view]')) b.setAttribute('aria-pressed', String(b.dataset.view === state.view));
  for (const c of cards.values()) {
    if (!c.socket) continue;
    // Peers are watched only while the view is shown: no cost to them otherwise.
    if (boards && !c.socket.active) c.socket.connect();
    if (!boards && c.socket.active) c.socket.disconnect();
  }
  note('view', { view: state.view });
}

/** The board's --peer list arrived (on every connect): builds the cards once. */
export function setPeers(list) {
  const peers = (list || []).filter((o) => typeof o === 'string' && o !== location.origin);
  if (cards.size && String(peers) === String(state.peers)) return;
  state.peers = peers;
  $('view-switch').hidden = !peers.length;
  const grid = $('board-cards');
  for (const c of cards.values()) { if (c.socket) c.socket.close(); }
  cards.clear();
  grid.textContent = '';
  const me = makeCard('');
  cards.set('', me);
  grid.appendChild(me.a);
  if (state.board) onBoard(me, state.board);
  // `peers` comes after `history`: this board's card starts from the page's store.
  if (state.store) onHistory(me, { total: state.store.total });
  if (state.conn === 'live') setState(me, 'live');
  for (const o of peers) {
    const c = makeCard(o);
    cards.set(o, c);
    grid.appendChild(c.a);
    connectPeer(c);
  }
  const saved = prefs.get('view', '');
  setView(saved ? saved : wide.matches ? 'boards' : 'board', false);
}

/** Wires the header switch; `token` returns the token the page holds. */
export function initBoards(token) {
  pageToken = token;
  state.peers = [];
  for (const b of document.querySelectorAll('[data-view]')) b.addEventListener('click', () => setView(b.dataset.view));
}
