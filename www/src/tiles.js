// The tiles, the board's identity, the connection badge and the tab title: DOM only.
import { $, state } from './state.js';
import * as F from './format.js';
import { coreColor } from './charts.js';

export function setConn(c) {
  state.conn = c;
  const el = $('status');
  const shown = c === 'live' && state.paused ? 'paused' : c;
  el.dataset.state = shown;
  el.lastElementChild.textContent = { live: 'Live', paused: 'Paused', reconnecting: 'Reconnecting…', connecting: 'Connecting…', locked: 'Token needed' }[shown];
  document.body.classList.toggle('stale', c !== 'live');
  updateTitle();
}

export function renderBoard() {
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

export function renderTiles(s) {
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
  renderIfaces(s);
  renderStorage(s);
  renderDisks(s);
  renderAlerts(s);
  // Hosts without cpufreq (VMs, containers) get no empty frequency chart.
  $('freq-card').hidden = !state.board.freq_max_mhz && !(s.freq_mhz || []).some((f) => f != null);
  updateTitle();
}

export function renderTemp(s) {
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

export function renderPower(th) {
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

export function updateTitle() {
  const s = state.store && state.store.latest;
  const host = state.board ? state.board.hostname : 'sbcmon';
  const lead = state.conn !== 'live' ? '⟳' : s && s.total != null ? Math.round(s.total) + '%' : '';
  document.title = `${lead ? lead + ' · ' : ''}${host} — sbcmon`;
}


// ---- rows: interfaces, filesystems, disks; the alerts banner ----------------

/** Keeps one <li> per item in `ul` (name, value, detail, optional bar) and fills it. */
function rows(ul, items, fill, withBar) {
  while (ul.children.length > items.length) ul.lastChild.remove();
  while (ul.children.length < items.length) {
    const li = document.createElement('li');
    for (const cls of ['n', 'v', 'd']) {
      const el = document.createElement('span');
      el.className = cls;
      li.appendChild(el);
    }
    if (withBar) {
      const b = document.createElement('span');
      b.className = 'fb';
      b.appendChild(document.createElement('i'));
      li.appendChild(b);
    }
    ul.appendChild(li);
  }
  items.forEach((it, i) => {
    const li = ul.children[i];
    fill(it, { li, n: li.children[0], v: li.children[1], d: li.children[2], bar: li.querySelector('.fb i') });
  });
}

function chip(parent, text, state) {
  let c = parent.querySelector('.chip');
  if (!text) { if (c) c.remove(); return; }
  if (!c) { c = document.createElement('span'); c.className = 'chip'; parent.appendChild(c); }
  c.textContent = text;
  c.dataset.state = state || '';
}

function linkSpeed(mbps) {
  if (mbps == null) return '';
  return mbps >= 1000 ? (mbps / 1000) + ' Gb/s' : mbps + ' Mb/s';
}

export function renderIfaces(s) {
  const list = s.net || [];
  const ul = $('ifaces');
  rows(ul, list, (n, r) => {
    r.li.dataset.if = n.if;
    r.n.textContent = n.if;
    chip(r.n, n.state, n.state);
    r.v.textContent = `↓ ${F.rate(n.rx)} ↑ ${F.rate(n.tx)}`;
    r.d.textContent = [n.state ? 'link ' + n.state : 'link state absent', linkSpeed(n.speed)].filter(Boolean).join(' · ');
  });
}

function fsPct(f) {
  return f.used != null && f.used + f.avail > 0 ? (100 * f.used) / (f.used + f.avail) : null;
}

export function renderStorage(s) {
  const b = state.board;
  const meta = new Map((b.filesystems || []).map((f) => [f.mount, f]));
  const list = s.fs || [];
  $('storage-card').hidden = !list.length;
  rows($('filesystems'), list, (f, r) => {
    const m = meta.get(f.mount) || {};
    const pct = fsPct(f);
    r.li.dataset.mount = f.mount;
    r.n.textContent = f.mount;
    chip(r.n, f.ro ? 'read-only' : '', 'ro');
    r.v.textContent = f.size == null ? 'absent' : `${F.bytes(f.used)} / ${F.bytes(f.size)} · ${Math.round(pct)}%`;
    r.d.textContent = [m.device, m.type, f.avail != null ? F.bytes(f.avail) + ' free' : null].filter(Boolean).join(' · ');
    const lim = alertLimit(s, 'filesystem') ?? 90;
    meter(r.bar, pct == null ? 0 : pct / 100, pct == null ? undefined : pct > lim ? 'crit' : pct > lim - 15 ? 'warn' : 'ok');
  }, true);
}

export function renderDisks(s) {
  const list = s.disks || [];
  $('disk-card').hidden = !list.length;
  rows($('disks'), list, (d, r) => {
    r.li.dataset.dev = d.dev;
    r.n.textContent = d.dev;
    r.v.textContent = `R ${F.rate(d.rd)} W ${F.rate(d.wr)}`;
    r.d.textContent = `written since boot ${d.written == null ? 'absent' : F.bytes(d.written)} · busy ${F.pct(d.busy)}`;
  });
}

function alertLimit(s, name) {
  const a = (s.alerts || []).find((x) => x.name === name);
  return a && a.limit != null ? a.limit : null;
}

const kAlertText = {
  temperature: (a) => `Temperature ${F.temp(a.value, state.unit)} at or above ${F.temp(a.limit, state.unit)}${a.what ? ' (' + a.what + ')' : ''}`,
  power: (a) => ((a.value & 1) ? 'Under-voltage now: check the power supply' : 'Throttled now by the firmware'),
  filesystem: (a) => `Filesystem ${a.what || ''} ${Math.round(a.value)}% full (over ${Math.round(a.limit)}%)`,
  memory: (a) => `Memory available ${a.value.toFixed(1)}% (under ${Math.round(a.limit)}%)`,
  load: (a) => `Load ${F.load(a.value)} above ${a.limit} cores, sustained`,
};

/** The banner of firing alerts: text a phone user sees without hovering. */
export function renderAlerts(s) {
  const firing = (s.alerts || []).filter((a) => a.state === 'firing');
  const box = $('alerts');
  box.hidden = !firing.length;
  const ul = $('alert-list');
  while (ul.children.length > firing.length) ul.lastChild.remove();
  while (ul.children.length < firing.length) {
    const li = document.createElement('li');
    li.appendChild(document.createElement('span'));
    li.appendChild(document.createElement('small'));
    ul.appendChild(li);
  }
  firing.forEach((a, i) => {
    const li = ul.children[i];
    li.dataset.alert = a.name;
    li.firstChild.textContent = (kAlertText[a.name] || ((x) => x.name))(a);
    li.lastChild.textContent = a.since ? ' · since ' + new Date(a.since).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false }) : '';
  });
}

// ---- processes (only while the view is open) ---------------------------------

const kStates = { R: 'running', S: 'sleeping', D: 'disk wait', Z: 'zombie', T: 'stopped', I: 'idle', t: 'traced', X: 'dead' };

export function renderProcesses(p) {
  const fill = (x, r) => {
    r.li.dataset.pid = x.pid;
    r.n.textContent = x.name;
    chip(r.n, x.state === 'Z' ? 'zombie' : '', 'down');
    r.v.textContent = `${x.cpu == null ? F.DASH : x.cpu.toFixed(1) + '%'} · ${F.bytes(x.rss)}`;
    r.d.textContent = `pid ${x.pid} · ${x.user || (x.uid == null ? 'user absent' : 'uid ' + x.uid)} · ${kStates[x.state] || x.state}`;
  };
  rows($('proc-cpu'), p.cpu || [], fill);
  rows($('proc-rss'), p.rss || [], fill);
  const first = !(p.cpu || []).length;
  $('proc-hint').textContent = `${p.seen} processes${p.untracked ? `, ${p.untracked} beyond the table` : ''}` +
    (first ? ' · measuring CPU…' : '');
}
