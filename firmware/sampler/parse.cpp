// Allocation-free parsers for /proc and /sys text (see parse.h for contracts).
#include "sampler/parse.h"

#include <cstring>

namespace sbcmon::sampler {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

void skip_blanks(const char*& p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
}

// Reads decimal digits at p; false if none or on overflow.
bool read_u64(const char*& p, const char* end, std::uint64_t& v) {
  if (p >= end || !is_digit(*p)) return false;
  std::uint64_t acc = 0;
  while (p < end && is_digit(*p)) {
    std::uint64_t d = static_cast<std::uint64_t>(*p - '0');
    if (acc > (UINT64_MAX - d) / 10) return false;
    acc = acc * 10 + d;
    ++p;
  }
  v = acc;
  return true;
}

// Reads "123", "123.45" or ".5" as a double; false if no digits.
bool read_decimal(const char*& p, const char* end, double& v) {
  bool neg = false;
  if (p < end && *p == '-') {
    neg = true;
    ++p;
  }
  double acc = 0;
  bool any = false;
  while (p < end && is_digit(*p)) {
    acc = acc * 10 + (*p - '0');
    ++p;
    any = true;
  }
  if (p < end && *p == '.') {
    ++p;
    double scale = 0.1;
    while (p < end && is_digit(*p)) {
      acc += (*p - '0') * scale;
      scale *= 0.1;
      ++p;
      any = true;
    }
  }
  if (!any) return false;
  v = neg ? -acc : acc;
  return true;
}

const char* line_end(const char* p, const char* end) {
  const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
  return nl ? static_cast<const char*>(nl) : end;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::uint64_t sub0(std::uint64_t cur, std::uint64_t prev) { return cur > prev ? cur - prev : 0; }

// Fills up to 10 columns; the kernel has added columns over time, so fewer than 10
// is fine but fewer than 4 (through idle) is not a cpu line.
bool read_cpu_fields(const char* p, const char* end, CpuTimes& t) {
  std::uint64_t* f[] = {&t.user, &t.nice,    &t.system, &t.idle,  &t.iowait,
                        &t.irq,  &t.softirq, &t.steal,  &t.guest, &t.guest_nice};
  int n = 0;
  for (std::uint64_t* dst : f) {
    skip_blanks(p, end);
    if (!read_u64(p, end, *dst)) break;
    ++n;
  }
  for (int i = n; i < 10; ++i) *f[i] = 0;
  return n >= 4;
}

}  // namespace

float cpu_percent(const CpuTimes& a, const CpuTimes& b) {
  std::uint64_t busy = sub0(b.user, a.user) + sub0(b.nice, a.nice) + sub0(b.system, a.system) +
                       sub0(b.irq, a.irq) + sub0(b.softirq, a.softirq) + sub0(b.steal, a.steal);
  std::uint64_t idle = sub0(b.idle, a.idle) + sub0(b.iowait, a.iowait);
  std::uint64_t total = busy + idle;
  if (total == 0) return kAbsent;
  return static_cast<float>(100.0 * static_cast<double>(busy) / static_cast<double>(total));
}

bool parse_stat(std::string_view text, StatReading& out) {
  out.all_valid = false;
  out.online.reset();
  out.max_index = -1;
  const char* p = text.data();
  const char* end = p + text.size();
  bool seen_cpu = false;
  while (p < end) {
    const char* le = line_end(p, end);
    std::size_t len = static_cast<std::size_t>(le - p);
    if (len >= 4 && std::memcmp(p, "cpu", 3) == 0) {
      seen_cpu = true;
      const char* q = p + 3;
      if (*q == ' ' || *q == '\t') {
        out.all_valid = read_cpu_fields(q, le, out.all);
      } else {
        std::uint64_t n = 0;
        if (read_u64(q, le, n) && n < 65536) {
          int idx = static_cast<int>(n);
          if (idx > out.max_index) out.max_index = idx;
          if (n < kMaxCpus && read_cpu_fields(q, le, out.cpu[n])) out.online.set(n);
        }
      }
    } else if (seen_cpu) {
      break;  // cpu lines come first; the rest (intr...) can be long and is not needed
    }
    p = le + 1;
  }
  return out.all_valid || out.online.any();
}

bool parse_meminfo(std::string_view text, MemReading& out) {
  out = MemReading{};
  struct Key {
    const char* name;
    std::size_t len;
    bool* has;
    std::uint64_t* val;
  } keys[] = {
      {"MemTotal:", 9, &out.has_total, &out.total_kb},
      {"MemAvailable:", 13, &out.has_avail, &out.avail_kb},
      {"SwapTotal:", 10, &out.has_swap_total, &out.swap_total_kb},
      {"SwapFree:", 9, &out.has_swap_free, &out.swap_free_kb},
  };
  const char* p = text.data();
  const char* end = p + text.size();
  int found = 0;
  while (p < end && found < 4) {
    const char* le = line_end(p, end);
    for (Key& k : keys) {
      if (!*k.has && static_cast<std::size_t>(le - p) > k.len &&
          std::memcmp(p, k.name, k.len) == 0) {
        const char* q = p + k.len;
        skip_blanks(q, le);
        if (read_u64(q, le, *k.val)) {
          *k.has = true;
          ++found;
        }
        break;
      }
    }
    p = le + 1;
  }
  return found > 0;
}

bool parse_loadavg(std::string_view text, float (&out)[3]) {
  const char* p = text.data();
  const char* end = p + text.size();
  double v[3];
  for (double& x : v) {
    skip_blanks(p, end);
    if (!read_decimal(p, end, x) || x < 0) return false;
  }
  for (int i = 0; i < 3; ++i) out[i] = static_cast<float>(v[i]);
  return true;
}

bool parse_uptime(std::string_view text, double& out) {
  const char* p = text.data();
  const char* end = p + text.size();
  skip_blanks(p, end);
  double v = 0;
  if (!read_decimal(p, end, v) || v < 0) return false;
  if (p < end && !is_space(*p)) return false;
  out = v;
  return true;
}

bool parse_u64(std::string_view text, std::uint64_t& out) {
  text = trim(text);
  const char* p = text.data();
  const char* end = p + text.size();
  std::uint64_t v = 0;
  if (!read_u64(p, end, v) || p != end) return false;
  out = v;
  return true;
}

bool parse_i64(std::string_view text, std::int64_t& out) {
  text = trim(text);
  bool neg = !text.empty() && text.front() == '-';
  if (neg) text.remove_prefix(1);
  std::uint64_t v = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  if (!read_u64(p, end, v) || p != end || v > static_cast<std::uint64_t>(INT64_MAX)) return false;
  out = neg ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  return true;
}

bool parse_hex_u32(std::string_view text, std::uint32_t& out) {
  text = trim(text);
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  if (text.empty() || text.size() > 8) return false;
  std::uint32_t v = 0;
  for (char c : text) {
    std::uint32_t d;
    if (c >= '0' && c <= '9') {
      d = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
    v = (v << 4) | d;
  }
  out = v;
  return true;
}

bool parse_cpu_list(std::string_view text, int& max_index) {
  text = trim(text);
  const char* p = text.data();
  const char* end = p + text.size();
  if (p == end) return false;
  std::uint64_t hi = 0;
  bool any = false;
  while (p < end) {
    std::uint64_t a = 0, b = 0;
    if (!read_u64(p, end, a)) return false;
    b = a;
    if (p < end && *p == '-') {
      ++p;
      if (!read_u64(p, end, b) || b < a) return false;
    }
    if (b > 65535) return false;
    if (!any || b > hi) hi = b;
    any = true;
    if (p < end) {
      if (*p != ',') return false;
      ++p;
    }
  }
  max_index = static_cast<int>(hi);
  return true;
}

bool parse_net_dev(std::string_view text, NetReading& out) {
  out.count = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  for (int header = 0; header < 2; ++header) {
    const char* le = line_end(p, end);
    if (le == end) return false;
    p = le + 1;
  }
  while (p < end && out.count < kMaxNetParse) {
    const char* le = line_end(p, end);
    const char* colon = static_cast<const char*>(std::memchr(p, ':', static_cast<std::size_t>(le - p)));
    if (colon) {
      const char* ns = p;
      while (ns < colon && (*ns == ' ' || *ns == '\t')) ++ns;
      std::size_t nlen = static_cast<std::size_t>(colon - ns);
      bool loopback = nlen == 2 && ns[0] == 'l' && ns[1] == 'o';
      if (nlen > 0 && nlen < kNameLen && !loopback) {
        // Columns after the colon: 8 receive fields then 8 transmit fields; bytes lead each.
        const char* q = colon + 1;
        std::uint64_t col[9];
        int n = 0;
        for (; n < 9; ++n) {
          skip_blanks(q, le);
          if (!read_u64(q, le, col[n])) break;
        }
        if (n == 9) {
          NetEntry& e = out.entries[out.count++];
          std::memcpy(e.name, ns, nlen);
          e.name[nlen] = '\0';
          e.rx = col[0];
          e.tx = col[8];
        }
      }
    }
    p = le + 1;
  }
  return true;
}

Throttle decode_throttled(std::uint32_t raw) {
  Throttle t;
  t.valid = true;
  t.raw_valid = true;
  t.raw = raw;
  t.flags = raw;
  t.known = Throttle::kAllBits;
  return t;
}

std::uint64_t counter_delta(std::uint64_t prev, std::uint64_t cur) {
  if (cur >= prev) return cur - prev;
  constexpr std::uint64_t k32 = 1ull << 32;
  // Only a near-top -> near-bottom drop of a 32-bit counter is a wrap; a big drop
  // anywhere else means the interface was re-created, which is not traffic.
  if (prev < k32 && prev - cur > k32 / 2) return (k32 - prev) + cur;
  return 0;
}

}  // namespace sbcmon::sampler
