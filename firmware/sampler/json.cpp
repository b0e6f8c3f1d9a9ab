// JSON encoders: digits written straight into the caller's string (printf's only for the
// rare number that does not fit the fast path).
#include "sampler/json.h"

#include "sampler/alerts.h"
#include "sampler/parse.h"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace sbcmon::sampler {
namespace {

void lit(std::string& out, const char* s) { out.append(s); }

void str(std::string& out, const char* s, std::size_t len) {
  out.push_back('"');
  for (std::size_t i = 0; i < len; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out.append(buf);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}
void str(std::string& out, const std::string& s) { str(out, s.data(), s.size()); }
void str(std::string& out, const char* s) { str(out, s, std::strlen(s)); }

// "" (unknown) is null so the page can tell unknown from an empty name.
void str_or_null(std::string& out, const std::string& s) {
  if (s.empty()) {
    lit(out, "null");
  } else {
    str(out, s);
  }
}

// The decimal digits of `v`, most significant first, into the end of `buf`; returns
// where they start. Every tick formats a few dozen numbers for every sample: printf's
// general machinery cost 43k instructions a tick (callgrind), this a tenth of it.
char* digits(std::uint64_t v, char* end) {
  do {
    *--end = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return end;
}

void u64(std::string& out, std::uint64_t v) {
  char buf[24];
  const char* p = digits(v, buf + sizeof buf);
  out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

void i64(std::string& out, std::int64_t v) {
  if (v < 0) out.push_back('-');
  // The magnitude in unsigned arithmetic: -INT64_MIN does not fit an int64_t.
  u64(out, v < 0 ? ~static_cast<std::uint64_t>(v) + 1 : static_cast<std::uint64_t>(v));
}

// |v| * 10^decimals rounded to an integer exactly as printf's "%.*f" rounds |v|: to
// nearest, ties to even, judged on v's exact binary value. The product is rounded once;
// its error (fma) only matters on an exact tie, which it tells apart (0.15 is stored a
// hair below 0.15, so "%.1f" gives 0.1; 0.25 is exact and gives 0.2). False when the
// result would not be exact in a double (|v| * 10^decimals >= 2^52).
bool scaled_round(double mag_v, double scale, std::uint64_t& out) {
  const double mag = mag_v * scale;
  if (!(mag < 4503599627370496.0)) return false;  // 2^52
  std::uint64_t r = static_cast<std::uint64_t>(mag);
  const double frac = mag - static_cast<double>(r);  // exact: both are multiples of mag's ulp
  if (frac > 0.5) {
    ++r;
  } else if (frac == 0.5) {
    const double err = std::fma(mag_v, scale, -mag);  // the exact product is mag + err
    if (err > 0 || (err == 0 && (r & 1) != 0)) ++r;
  }
  out = r;
  return true;
}

// A number with up to `decimals` decimals, trailing zeros trimmed to one ("16.0", "52.67");
// NaN/inf are null because JSON has no spelling for them.
void num(std::string& out, double v, int decimals) {
  if (!std::isfinite(v)) {
    lit(out, "null");
    return;
  }
  // A tiny negative would print as "-0.0"; a reader sees a sign that is not there.
  // (Half a unit of the last decimal from a table: pow() costs the static firmware 7 KB.)
  static constexpr double kHalfUnit[] = {0.5, 0.05, 0.005, 0.0005, 0.00005, 0.000005, 0.0000005};
  static constexpr double kScale[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
  static constexpr std::uint64_t kUnit[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
  constexpr int kMaxDecimals = static_cast<int>(sizeof kHalfUnit / sizeof kHalfUnit[0]) - 1;
  decimals = std::clamp(decimals, 0, kMaxDecimals);
  if (std::fabs(v) < kHalfUnit[decimals]) v = 0.0;
  std::uint64_t r = 0;
  if (std::fabs(v) < 1e15 && scaled_round(std::fabs(v), kScale[decimals], r)) {
    char buf[32];
    char* end = buf + sizeof buf;
    char* p = end;
    if (decimals > 0) {
      std::uint64_t frac = r % kUnit[decimals];
      for (int i = 0; i < decimals; ++i, frac /= 10) *--p = static_cast<char>('0' + frac % 10);
      // Trailing zeros go, but one decimal stays when there were more than one.
      if (decimals > 1) {
        while (end - p > 1 && end[-1] == '0') --end;
      }
      *--p = '.';
    }
    p = digits(r / kUnit[decimals], p);
    if (v < 0) *--p = '-';
    out.append(p, static_cast<std::size_t>(end - p));
    return;
  }
  char buf[48];
  int n;
  if (std::fabs(v) >= 1e15) {
    n = std::snprintf(buf, sizeof buf, "%.6e", v);
  } else {
    n = std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    if (decimals > 1) {
      while (n > 0 && buf[n - 1] == '0' && buf[n - 2] != '.') --n;
    }
  }
  out.append(buf, static_cast<std::size_t>(n));
}

// Integral MHz for clocks (1500, not 1500.0).
void mhz(std::string& out, float v) {
  if (absent(v)) {
    lit(out, "null");
    return;
  }
  i64(out, static_cast<std::int64_t>(std::lround(v)));
}

void flag(std::string& out, const Throttle& t, std::uint32_t bit) {
  lit(out, !t.knows(bit) ? "null" : t.is(bit) ? "true" : "false");
}

double net_sum(const double* rates, std::size_t n) {
  double sum = 0;
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) {
    if (!absent(rates[i])) {
      sum += rates[i];
      any = true;
    }
  }
  return any ? sum : kAbsentD;
}

// Walks the history oldest first, skipping samples at or before since_ms: f(index, first).
template <typename F>
void each(const History& h, std::int64_t since, F&& f) {
  bool first = true;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (h.point(i).t_ms > since) {
      f(i, first);
      first = false;
    }
  }
}

}  // namespace

void encode_board(const BoardInfo& b, std::uint32_t period_ms, std::size_t capacity,
                  std::string& out) {
  lit(out, "{\"model\":");
  str_or_null(out, b.model);
  lit(out, ",\"hostname\":");
  str_or_null(out, b.hostname);
  lit(out, ",\"kernel\":");
  str_or_null(out, b.kernel);
  lit(out, ",\"arch\":");
  str_or_null(out, b.arch);
  lit(out, ",\"cores\":");
  i64(out, b.cores);
  lit(out, ",\"version\":");
  str(out, SBCMON_VERSION);
  lit(out, ",\"board\":");
  str(out, config::kBoard);
  lit(out, ",\"period_ms\":");
  u64(out, period_ms);
  lit(out, ",\"capacity\":");
  u64(out, capacity);
  lit(out, ",\"temp_names\":[");
  for (std::size_t i = 0; i < b.ntemp; ++i) {
    if (i) out.push_back(',');
    str(out, b.temp_names[i].s);
  }
  lit(out, "],\"temp_limits\":");
  if (absent(b.temp_warn_c) && absent(b.temp_crit_c)) {
    lit(out, "null");
  } else {
    lit(out, "{\"warn\":");
    num(out, b.temp_warn_c, 1);
    lit(out, ",\"crit\":");
    num(out, b.temp_crit_c, 1);
    out.push_back('}');
  }
  lit(out, ",\"net_ifaces\":[");
  for (std::size_t i = 0; i < b.nifaces; ++i) {
    if (i) out.push_back(',');
    str(out, b.ifaces[i].s);
  }
  lit(out, "],\"disks\":[");
  for (std::size_t i = 0; i < b.ndisks && i < kMaxDisks; ++i) {
    if (i) out.push_back(',');
    str(out, b.disks[i].s);
  }
  lit(out, "],\"filesystems\":[");
  for (std::size_t i = 0; i < b.nfs && i < kMaxFs; ++i) {
    if (i) out.push_back(',');
    lit(out, "{\"mount\":");
    str(out, b.fs[i].mount);
    lit(out, ",\"device\":");
    str(out, b.fs[i].device);
    lit(out, ",\"type\":");
    str(out, b.fs[i].type);
    out.push_back('}');
  }
  lit(out, "],\"freq_max_mhz\":");
  mhz(out, b.freq_max_mhz);
  out.push_back('}');
}

void encode_sample(const Sample& s, const BoardInfo& b, std::string& out) {
  lit(out, "{\"t\":");
  i64(out, s.t_ms);
  lit(out, ",\"seq\":");
  u64(out, s.seq);
  lit(out, ",\"total\":");
  num(out, s.total_pct, 2);
  lit(out, ",\"cpu\":[");
  for (std::size_t i = 0; i < s.ncpu && i < kMaxCpus; ++i) {
    if (i) out.push_back(',');
    num(out, s.cpu_pct[i], 2);
  }
  // Indexes of offline cores: a null in "cpu" without one here is "no data yet".
  lit(out, "],\"cpu_offline\":[");
  bool first = true;
  for (std::size_t i = 0; i < s.ncpu && i < kMaxCpus; ++i) {
    if (!s.cpu_offline.test(i)) continue;
    if (!first) out.push_back(',');
    first = false;
    u64(out, i);
  }
  lit(out, "],\"freq_mhz\":[");
  for (std::size_t i = 0; i < s.ncpu && i < kMaxCpus; ++i) {
    if (i) out.push_back(',');
    mhz(out, s.freq_mhz[i]);
  }
  lit(out, "],\"mem\":");
  if (s.mem_valid) {
    lit(out, "{\"total\":");
    u64(out, s.mem_total);
    lit(out, ",\"used\":");
    u64(out, s.mem_used);
    lit(out, ",\"avail\":");
    u64(out, s.mem_avail);
    out.push_back('}');
  } else {
    lit(out, "null");
  }
  lit(out, ",\"swap\":");
  if (s.swap_valid) {
    lit(out, "{\"total\":");
    u64(out, s.swap_total);
    lit(out, ",\"used\":");
    u64(out, s.swap_used);
    out.push_back('}');
  } else {
    lit(out, "null");
  }
  lit(out, ",\"load\":");
  if (absent(s.load[0])) {
    lit(out, "null");
  } else {
    out.push_back('[');
    for (int i = 0; i < 3; ++i) {
      if (i) out.push_back(',');
      num(out, s.load[i], 2);
    }
    out.push_back(']');
  }
  lit(out, ",\"uptime\":");
  num(out, s.uptime_s, 2);
  lit(out, ",\"temp\":");
  if (s.ntemp == 0) {
    lit(out, "null");  // no sensor on this board: absent, never 0
  } else {
    out.push_back('[');
    for (std::size_t i = 0; i < s.ntemp && i < kMaxTemps; ++i) {
      if (i) out.push_back(',');
      lit(out, "{\"name\":");
      str(out, i < b.ntemp ? b.temp_names[i].s : "");
      lit(out, ",\"c\":");
      num(out, s.temp_c[i], 1);
      out.push_back('}');
    }
    out.push_back(']');
  }
  lit(out, ",\"throttled\":");
  const Throttle& t = s.throttle;
  if (!t.valid) {
    lit(out, "null");
  } else {
    lit(out, "{\"raw\":");
    if (t.raw_valid) {
      u64(out, t.raw);
    } else {
      lit(out, "null");
    }
    lit(out, ",\"uv_now\":");
    flag(out, t, Throttle::kUvNow);
    lit(out, ",\"capped_now\":");
    flag(out, t, Throttle::kCappedNow);
    lit(out, ",\"throttled_now\":");
    flag(out, t, Throttle::kThrottledNow);
    lit(out, ",\"soft_now\":");
    flag(out, t, Throttle::kSoftNow);
    lit(out, ",\"uv_boot\":");
    flag(out, t, Throttle::kUvBoot);
    lit(out, ",\"capped_boot\":");
    flag(out, t, Throttle::kCappedBoot);
    lit(out, ",\"throttled_boot\":");
    flag(out, t, Throttle::kThrottledBoot);
    lit(out, ",\"soft_boot\":");
    flag(out, t, Throttle::kSoftBoot);
    out.push_back('}');
  }
  lit(out, ",\"net\":[");
  for (std::size_t i = 0; i < s.nnet && i < kMaxIfaces; ++i) {
    if (i) out.push_back(',');
    lit(out, "{\"if\":");
    str(out, i < b.nifaces ? b.ifaces[i].s : "");
    lit(out, ",\"rx\":");
    num(out, s.net_rx[i], 1);
    lit(out, ",\"tx\":");
    num(out, s.net_tx[i], 1);
    lit(out, ",\"state\":");
    const auto oper = static_cast<OperState>(s.net_oper[i]);
    if (oper == OperState::kAbsent) {
      lit(out, "null");
    } else {
      str(out, operstate_name(oper));
    }
    lit(out, ",\"speed\":");
    num(out, s.net_speed[i], 0);
    out.push_back('}');
  }
  lit(out, "],\"fs\":[");
  for (std::size_t i = 0; i < s.nfs && i < kMaxFs; ++i) {
    if (i) out.push_back(',');
    const bool valid = (s.fs_flags[i] & Sample::kFsValid) != 0;
    lit(out, "{\"mount\":");
    str(out, i < b.nfs ? b.fs[i].mount : "");
    if (!valid) {
      lit(out, ",\"size\":null,\"used\":null,\"avail\":null,\"ro\":null}");
      continue;
    }
    lit(out, ",\"size\":");
    u64(out, s.fs_size[i]);
    lit(out, ",\"used\":");
    u64(out, s.fs_used[i]);
    lit(out, ",\"avail\":");
    u64(out, s.fs_avail[i]);
    lit(out, (s.fs_flags[i] & Sample::kFsReadOnly) ? ",\"ro\":true}" : ",\"ro\":false}");
  }
  lit(out, "],\"disks\":[");
  for (std::size_t i = 0; i < s.ndisk && i < kMaxDisks; ++i) {
    if (i) out.push_back(',');
    lit(out, "{\"dev\":");
    str(out, i < b.ndisks ? b.disks[i].s : "");
    lit(out, ",\"rd\":");
    num(out, s.disk_rd[i], 1);
    lit(out, ",\"wr\":");
    num(out, s.disk_wr[i], 1);
    lit(out, ",\"busy\":");
    num(out, s.disk_busy[i], 1);
    lit(out, ",\"written\":");
    num(out, s.disk_written[i], 0);
    out.push_back('}');
  }
  lit(out, "],\"alerts\":[");
  for (std::size_t i = 0; i < kAlertCount; ++i) {
    const AlertStatus& a = s.alerts[i];
    const auto id = static_cast<AlertId>(i);
    if (i) out.push_back(',');
    lit(out, "{\"name\":");
    str(out, alert_name(id));
    lit(out, ",\"state\":");
    lit(out, a.state == AlertState::kFiring ? "\"firing\"" : a.state == AlertState::kOk ? "\"ok\"" : "null");
    lit(out, ",\"since\":");
    if (a.state == AlertState::kFiring) {
      i64(out, a.since_ms);
    } else {
      lit(out, "null");
    }
    lit(out, ",\"value\":");
    num(out, a.state == AlertState::kAbsent ? kAbsent : a.value, 1);
    lit(out, ",\"limit\":");
    num(out, a.state == AlertState::kAbsent ? kAbsent : a.limit, 1);
    lit(out, ",\"what\":");
    if (a.state != AlertState::kAbsent && id == AlertId::kTemperature && a.which < b.ntemp) {
      str(out, b.temp_names[a.which].s);
    } else if (a.state != AlertState::kAbsent && id == AlertId::kFilesystem && a.which < b.nfs) {
      str(out, b.fs[a.which].mount);
    } else {
      lit(out, "null");
    }
    out.push_back('}');
  }
  lit(out, "]}");
}

void encode_history(const History& h, const BoardInfo& board, std::uint32_t period_ms,
                    std::int64_t since, std::string& out) {
  auto sep = [&out](bool first) {
    if (!first) out.push_back(',');
  };
  // One array of the samples after `since`; put(point, index) appends one value.
  auto column = [&](const char* key, auto&& put) {
    lit(out, key);
    out.push_back('[');
    each(h, since, [&](std::size_t i, bool first) {
      sep(first);
      put(h.point(i), i);
    });
    out.push_back(']');
  };
  lit(out, "{\"period_ms\":");
  u64(out, period_ms);
  lit(out, ",\"capacity\":");
  u64(out, h.capacity());
  column(",\"t\":", [&](const HistoryPoint& p, std::size_t) { i64(out, p.t_ms); });
  column(",\"seq\":", [&](const HistoryPoint& p, std::size_t) { u64(out, p.seq); });
  column(",\"total\":", [&](const HistoryPoint& p, std::size_t) { num(out, p.total_pct, 2); });
  std::size_t ncpu = static_cast<std::size_t>(board.cores);
  lit(out, ",\"cpu\":[");
  for (std::size_t c = 0; c < ncpu && c < kMaxCpus; ++c) {
    if (c) out.push_back(',');
    column("", [&](const HistoryPoint&, std::size_t i) {
      num(out, c < h.ncpu() ? h.cpu_pct(i)[c] : kAbsent, 2);
    });
  }
  lit(out, "],\"freq_mhz\":[");
  for (std::size_t c = 0; c < ncpu && c < kMaxCpus; ++c) {
    if (c) out.push_back(',');
    column("", [&](const HistoryPoint&, std::size_t i) {
      mhz(out, c < h.ncpu() ? h.freq_mhz(i)[c] : kAbsent);
    });
  }
  out.push_back(']');
  column(",\"mem_used\":", [&](const HistoryPoint& p, std::size_t) {
    if (p.mem_valid) {
      u64(out, p.mem_used);
    } else {
      lit(out, "null");
    }
  });
  column(",\"swap_used\":", [&](const HistoryPoint& p, std::size_t) {
    if (p.swap_valid) {
      u64(out, p.swap_used);
    } else {
      lit(out, "null");
    }
  });
  lit(out, ",\"temp\":[");
  for (std::size_t z = 0; z < board.ntemp && z < kMaxTemps; ++z) {
    if (z) out.push_back(',');
    column("", [&](const HistoryPoint& p, std::size_t) {
      num(out, z < p.ntemp ? p.temp_c[z] : kAbsent, 1);
    });
  }
  out.push_back(']');
  column(",\"load1\":", [&](const HistoryPoint& p, std::size_t) { num(out, p.load1, 2); });
  column(",\"net_rx\":",
         [&](const HistoryPoint& p, std::size_t) { num(out, net_sum(p.net_rx, p.nnet), 1); });
  column(",\"net_tx\":",
         [&](const HistoryPoint& p, std::size_t) { num(out, net_sum(p.net_tx, p.nnet), 1); });
  // Per interface and per disk, in board order (a slot a sample predates is null).
  auto per_slot = [&](const char* key, std::size_t n, auto&& value) {
    lit(out, key);
    out.push_back('[');
    for (std::size_t k = 0; k < n; ++k) {
      if (k) out.push_back(',');
      column("", [&](const HistoryPoint& p, std::size_t) { value(p, k); });
    }
    out.push_back(']');
  };
  const std::size_t nif = std::min(board.nifaces, kMaxIfaces);
  per_slot(",\"net_if_rx\":", nif, [&](const HistoryPoint& p, std::size_t k) {
    num(out, k < p.nnet ? p.net_rx[k] : kAbsentD, 1);
  });
  per_slot(",\"net_if_tx\":", nif, [&](const HistoryPoint& p, std::size_t k) {
    num(out, k < p.nnet ? p.net_tx[k] : kAbsentD, 1);
  });
  const std::size_t nd = std::min(board.ndisks, kMaxDisks);
  per_slot(",\"disk_rd\":", nd, [&](const HistoryPoint& p, std::size_t k) {
    num(out, k < p.ndisk ? p.disk_rd[k] : kAbsent, 1);
  });
  per_slot(",\"disk_wr\":", nd, [&](const HistoryPoint& p, std::size_t k) {
    num(out, k < p.ndisk ? p.disk_wr[k] : kAbsent, 1);
  });
  out.push_back('}');
}

void encode_processes(const ProcTop& top, std::string& out) {
  auto rows = [&out](const ProcRow* r, std::size_t n) {
    out.push_back('[');
    for (std::size_t i = 0; i < n; ++i) {
      if (i) out.push_back(',');
      lit(out, "{\"pid\":");
      i64(out, r[i].pid);
      lit(out, ",\"name\":");
      str(out, r[i].name);
      lit(out, ",\"state\":");
      str(out, &r[i].state, 1);
      lit(out, ",\"cpu\":");
      num(out, r[i].cpu_pct, 1);
      lit(out, ",\"rss\":");
      u64(out, r[i].rss);
      lit(out, ",\"uid\":");
      if (r[i].uid == 0xFFFFFFFFu) {
        lit(out, "null");
      } else {
        u64(out, r[i].uid);
      }
      lit(out, ",\"user\":");
      if (r[i].user[0]) {
        str(out, r[i].user);
      } else {
        lit(out, "null");
      }
      out.push_back('}');
    }
    out.push_back(']');
  };
  lit(out, "{\"t\":");
  i64(out, top.t_ms);
  lit(out, ",\"seen\":");
  u64(out, top.seen);
  lit(out, ",\"untracked\":");
  u64(out, top.untracked);
  lit(out, ",\"cpu\":");
  rows(top.by_cpu, top.ncpu);
  lit(out, ",\"rss\":");
  rows(top.by_rss, top.nrss);
  out.push_back('}');
}

void encode_seed(const Sample& s, std::uint64_t count, std::string& out) {
  time_t secs = static_cast<time_t>(s.t_ms / 1000);
  struct tm lt;
  char mmss[8] = "00:00";
  if (localtime_r(&secs, &lt)) std::snprintf(mmss, sizeof mmss, "%02d:%02d", lt.tm_min, lt.tm_sec);
  lit(out, "{\"data\":[");
  str(out, mmss);
  lit(out, ",[");
  for (std::size_t i = 0; i < s.ncpu && i < kMaxCpus; ++i) {
    if (i) out.push_back(',');
    num(out, s.cpu_pct[i], 2);
  }
  lit(out, "]],\"count\":");
  u64(out, count);
  out.push_back('}');
}

void encode_number(double v, int decimals, std::string& out) { num(out, v, decimals); }

}  // namespace sbcmon::sampler
