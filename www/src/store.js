// Columnar history of samples, the shape uPlot draws from: one array per series,
// oldest first, trimmed to the server's ring capacity. Merging is idempotent, so
// the `history` event, a backfill ack and live samples can overlap freely.

// A time step longer than this many periods is drawn as a gap, not a line.
const kGapPeriods = 2.5;

export class Store {
  /** board: the server's `board` event; sizes every column. */
  constructor(board) {
    this.capacity = Math.max(10, board.capacity || 600);
    this.period = board.period_ms || 1000;
    this.cores = board.cores || 1;
    this.zones = (board.temp_names || []).map(String);
    this.ts = [];        // seconds, for uPlot's x axis
    this.seq = [];
    this.total = [];
    this.cpu = cols(this.cores);
    this.freq = cols(this.cores);
    this.mem = [];
    this.swap = [];
    this.temp = cols(this.zones.length);
    this.load1 = [];
    this.rx = [];
    this.tx = [];
    this.ifaces = [];    // per interface (board order): nrx[k], ntx[k]
    this.nrx = [];
    this.ntx = [];
    this.disks = [];     // per whole disk (board order): drd[k], dwr[k]
    this.drd = [];
    this.dwr = [];
    this.grow(board);
    this.lastT = null;   // wall ms of the newest real sample (gap rows excluded)
    this.latest = null;  // the newest `sample` event as received
  }

  /** True when a new `board` event describes the same column layout. */
  fits(board) {
    return board.cores === this.cores &&
      (board.capacity || 600) === this.capacity &&
      (board.period_ms || 1000) === this.period &&
      (board.temp_names || []).join('\n') === this.zones.join('\n');
  }

  get length() { return this.ts.length; }

  /** Adds columns (null so far) for interfaces and disks a newer `board` names, and
   *  empties the column of a slot the board gave to another name (a full table hands
   *  the slot of one gone a minute to a newcomer); returns true when any changed. */
  grow(board) {
    let grew = false;
    const add = (names, have, cols) => {
      for (let k = 0; k < names.length; k++) {
        const name = String(names[k]);
        if (k < have.length && have[k] === name) continue;
        if (k < have.length) {
          have[k] = name;
          for (const c of cols) c[k] = this.ts.map(() => null);
        } else {
          have.push(name);
          for (const c of cols) c.push(this.ts.map(() => null));
        }
        grew = true;
      }
    };
    add(board.net_ifaces || [], this.ifaces, [this.nrx, this.ntx]);
    add(board.disks || [], this.disks, [this.drd, this.dwr]);
    return grew;
  }

  /** Appends one live `sample` event; returns false when it is not newer. */
  addSample(s) {
    const temps = this.zones.map((name, z) => {
      if (!s.temp) return null;
      const hit = s.temp.find((x) => x.name === name) || s.temp[z];
      return hit ? num(hit.c) : null;
    });
    let rx = 0, tx = 0, anyNet = false;
    for (const n of s.net || []) { rx += n.rx || 0; tx += n.tx || 0; anyNet = true; }
    const byName = (list, names, key) => names.map((name) => {
      const hit = (list || []).find((x) => x[key] === name);
      return hit || null;
    });
    const nets = byName(s.net, this.ifaces, 'if');
    const disks = byName(s.disks, this.disks, 'dev');
    const ok = this.push({
      nrx: nets.map((n) => (n ? num(n.rx) : null)), ntx: nets.map((n) => (n ? num(n.tx) : null)),
      drd: disks.map((d) => (d ? num(d.rd) : null)), dwr: disks.map((d) => (d ? num(d.wr) : null)),
      t: s.t, seq: s.seq, total: num(s.total),
      cpu: s.cpu || [], freq: s.freq_mhz || [],
      mem: s.mem ? num(s.mem.used) : null, swap: s.swap ? num(s.swap.used) : null,
      temp: temps, load1: s.load ? num(s.load[0]) : null,
      rx: anyNet ? rx : null, tx: anyNet ? tx : null,
    });
    if (ok) this.latest = s;
    return ok;
  }

  /** Appends the rows of a columnar `history` object newer than what is held;
   *  returns how many were added. */
  addHistory(h) {
    if (!h || !Array.isArray(h.t)) return 0;
    let added = 0;
    for (let i = 0; i < h.t.length; i++) {
      const row = {
        t: h.t[i], seq: at(h.seq, i), total: num(at(h.total, i)),
        cpu: (h.cpu || []).map((c) => at(c, i)),
        freq: (h.freq_mhz || []).map((c) => at(c, i)),
        mem: num(at(h.mem_used, i)), swap: num(at(h.swap_used, i)),
        temp: (h.temp || []).map((c) => num(at(c, i))),
        load1: num(at(h.load1, i)), rx: num(at(h.net_rx, i)), tx: num(at(h.net_tx, i)),
        nrx: this.ifaces.map((_, k) => num(at((h.net_if_rx || [])[k], i))),
        ntx: this.ifaces.map((_, k) => num(at((h.net_if_tx || [])[k], i))),
        drd: this.disks.map((_, k) => num(at((h.disk_rd || [])[k], i))),
        dwr: this.disks.map((_, k) => num(at((h.disk_wr || [])[k], i))),
      };
      if (this.push(row)) added++;
    }
    return added;
  }

  push(r) {
    if (typeof r.t !== 'number' || (this.lastT !== null && r.t <= this.lastT)) return false;
    if (this.lastT !== null && r.t - this.lastT > kGapPeriods * this.period) {
      this.row(this.lastT + this.period, null, () => null);  // breaks the line
    }
    this.row(r.t, r, (col, i) => (r[col] ? r[col][i] : null));
    this.lastT = r.t;
    const over = this.ts.length - this.capacity;
    if (over > 0) this.trim(over);
    return true;
  }

  row(t, r, per) {
    this.ts.push(t / 1000);
    this.seq.push(r ? r.seq : null);
    this.total.push(r ? r.total : null);
    this.mem.push(r ? r.mem : null);
    this.swap.push(r ? r.swap : null);
    this.load1.push(r ? r.load1 : null);
    this.rx.push(r ? r.rx : null);
    this.tx.push(r ? r.tx : null);
    this.cpu.forEach((c, i) => c.push(num(per('cpu', i))));
    this.freq.forEach((c, i) => c.push(num(per('freq', i))));
    this.temp.forEach((c, i) => c.push(num(per('temp', i))));
    for (const key of ['nrx', 'ntx', 'drd', 'dwr']) this[key].forEach((c, i) => c.push(num(per(key, i))));
  }

  trim(n) {
    for (const c of [this.ts, this.seq, this.total, this.mem, this.swap, this.load1, this.rx, this.tx,
      ...this.cpu, ...this.freq, ...this.temp, ...this.nrx, ...this.ntx, ...this.drd, ...this.dwr]) c.splice(0, n);
  }
}

function cols(n) { return Array.from({ length: n }, () => []); }
function at(a, i) { return Array.isArray(a) ? a[i] : null; }
function num(v) { return typeof v === 'number' && Number.isFinite(v) ? v : null; }
