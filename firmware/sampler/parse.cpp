// Allocation-free parsers for /proc and /sys text (see parse.h for contracts).
#include "sampler/parse.h"

#include <cstring>

namespace sbcmon::sampler {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0'; }
bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

void skip_blanks(const char*& p, const char* end) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  // /proc/net/dev, meminfo and diskstats pad their columns with runs of spaces: skipping
  // them 8 bytes at a time was a quarter of a tick's parsing. Within [p, end) only.
  while (end - p >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w);
    const std::uint64_t x = w ^ 0x2020202020202020ull;  // a zero byte per space
    if (x != 0) {
      p += __builtin_ctzll(x) / 8;  // the first byte that is not a space
      break;
    }
    p += 8;
  }
#endif
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
}

// Reads decimal digits at p; false if none or on overflow.
bool read_u64(const char*& p, const char* end, std::uint64_t& v) {
  if (p >= end || !is_digit(*p)) return false;
  std::uint64_t acc = 0;
  // 19 digits always fit in 64 bits: the overflow test (a division) only runs past them.
  // Every tick parses a few hundred counters, so this loop is most of the parsing.
  int digits = 0;
  while (p < end && is_digit(*p)) {
    std::uint64_t d = static_cast<std::uint64_t>(*p - '0');
    if (++digits > 19 && acc > (UINT64_MAX - d) / 10) return false;
    acc = acc * 10 + d;
    ++p;
  }
  v = acc;
  return true;
}

// Steps over a counter that is checked but not used: what read_u64 accepts, without the
// arithmetic (the exact test only for 20 digits or more, where overflow is possible).
bool skip_u64(const char*& p, const char* end) {
  const char* start = p;
  while (p < end && is_digit(*p)) ++p;
  if (p == start) return false;
  if (p - start < 20) return true;
  std::uint64_t unused;
  p = start;
  return read_u64(p, end, unused);
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
  // Summed as doubles: a counter read as up to 2^64-1 (a corrupt or hostile line; the
  // fuzzer found one) made the 64-bit sums wrap, and busy exceeded the total. A double
  // sum cannot wrap, and busy <= busy + idle holds after rounding, so this stays in
  // 0..100; real deltas are far below 2^53, where the doubles are exact.
  auto d = [](std::uint64_t cur, std::uint64_t prev) { return static_cast<double>(sub0(cur, prev)); };
  const double busy = d(b.user, a.user) + d(b.nice, a.nice) + d(b.system, a.system) + d(b.irq, a.irq) +
                      d(b.softirq, a.softirq) + d(b.steal, a.steal);
  const double total = busy + d(b.idle, a.idle) + d(b.iowait, a.iowait);
  if (total == 0) return kAbsent;
  return static_cast<float>(100.0 * busy / total);
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
      if (!*k.has && *p == k.name[0] && static_cast<std::size_t>(le - p) > k.len &&
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
          // Bytes lead each direction (columns 0 and 8); the rest are only checked.
          if (!(n == 0 || n == 8 ? read_u64(q, le, col[n]) : skip_u64(q, le))) break;
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

namespace {

// Next space-separated field of a mount-table line, octal escapes decoded into `dst`
// (cap bytes incl. NUL). False when the line has no further field or it does not fit.
bool mount_field(const char*& p, const char* end, char* dst, std::size_t cap, bool& fits) {
  skip_blanks(p, end);
  if (p >= end) return false;
  std::size_t n = 0;
  fits = true;
  while (p < end && *p != ' ' && *p != '\t') {
    char c = *p++;
    if (c == '\\' && end - p >= 3 && p[0] >= '0' && p[0] <= '3' && p[1] >= '0' && p[1] <= '7' &&
        p[2] >= '0' && p[2] <= '7') {
      c = static_cast<char>((p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0'));
      p += 3;
    }
    if (c == '\0') fits = false;  // an escaped NUL cannot be a path
    if (n + 1 < cap) {
      dst[n++] = c;
    } else {
      fits = false;
    }
  }
  dst[n] = '\0';
  return true;
}

bool has_prefix(std::string_view s, std::string_view pre) {
  // The first letter decides most calls (is_whole_disk runs for every diskstats line).
  return s.size() >= pre.size() && (pre.empty() || (s[0] == pre[0] && s.compare(0, pre.size(), pre) == 0));
}

// Digits from i to the end (at least one).
bool all_digits_from(std::string_view s, std::size_t i) {
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i) {
    if (!is_digit(s[i])) return false;
  }
  return true;
}

}  // namespace

bool is_storage_mount(std::string_view fstype, std::string_view device, std::string_view mountpoint) {
  // An overlay is storage only as the root of a read-only Pi (overlayroot): container
  // engines mount one per container elsewhere.
  if (fstype == "overlay") return mountpoint == "/";
  static constexpr std::string_view kTypes[] = {"ext2", "ext3", "ext4",  "vfat",  "msdos", "exfat",
                                                "f2fs", "btrfs", "xfs", "ntfs", "ntfs3", "jfs",
                                                "reiserfs", "fuseblk", "nilfs2"};
  bool known = false;
  for (std::string_view t : kTypes) known = known || fstype == t;
  return known && !device.empty() && device.front() == '/';
}

bool parse_mounts(std::string_view text, MountReading& out) {
  out.count = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  bool any = false;
  MountEntry e;
  char opts[64];
  while (p < end) {
    const char* le = line_end(p, end);
    const char* q = p;
    bool f1 = true, f2 = true, f3 = true, f4 = true;
    bool ok = mount_field(q, le, e.device, sizeof e.device, f1) &&
              mount_field(q, le, e.mountpoint, sizeof e.mountpoint, f2) &&
              mount_field(q, le, e.fstype, sizeof e.fstype, f3) &&
              mount_field(q, le, opts, sizeof opts, f4);
    p = le + 1;
    if (!ok) continue;
    any = true;
    if (!f1 || !f2 || !f3 || e.mountpoint[0] != '/') continue;  // truncated: cannot be statvfs'd
    if (!is_storage_mount(e.fstype, e.device, e.mountpoint)) continue;
    // "ro" is the first option when set; a long option list may be cut, the head is kept.
    std::string_view o(opts);
    e.ro = o == "ro" || has_prefix(o, "ro,");
    bool dup = false;
    for (std::size_t i = 0; i < out.count && !dup; ++i) {
      dup = std::strcmp(out.entries[i].device, e.device) == 0 && std::strcmp(e.fstype, "overlay") != 0;
    }
    if (dup || out.count >= kMaxMountParse) continue;
    out.entries[out.count++] = e;
  }
  return any;
}

bool is_whole_disk(std::string_view n) {
  if (n.empty() || n.size() >= kNameLen) return false;
  if (has_prefix(n, "loop") || has_prefix(n, "ram") || has_prefix(n, "fd")) return false;
  if (has_prefix(n, "mmcblk")) {
    // mmcblk0 is the card; mmcblk0p1 a partition; mmcblk0boot0/rpmb hidden eMMC areas.
    return all_digits_from(n, 6);
  }
  if (has_prefix(n, "nvme")) {
    std::size_t pp = n.rfind('p');
    return n.find('n', 4) != std::string_view::npos && (pp == std::string_view::npos || pp < 5 || !all_digits_from(n, pp + 1));
  }
  if (has_prefix(n, "sd") || has_prefix(n, "hd") || has_prefix(n, "vd") || has_prefix(n, "xvd")) {
    // Letters name the disk (sda, sdaa), a trailing number the partition.
    return !is_digit(n.back());
  }
  // zram0, md0, dm-0, mtdblock0, nbd0 and the rest: whole devices.
  return true;
}

namespace {
// The 11 counters after a device's name (diskstats) or alone (/sys/block/<dev>/stat):
// reads, merged, sectors read, ms, writes, merged, sectors written, ms, in flight, io ms,
// weighted. Keeps sectors read and written and io ms; false unless all 11 are numbers.
bool read_disk_fields(const char*& q, const char* le, DiskEntry& e) {
  for (int n = 0; n < 11; ++n) {
    skip_blanks(q, le);
    std::uint64_t* keep = n == 2 ? &e.read_sectors : n == 6 ? &e.written_sectors : n == 9 ? &e.io_ms : nullptr;
    if (!(keep ? read_u64(q, le, *keep) : skip_u64(q, le))) return false;
  }
  return true;
}
}  // namespace

bool parse_block_stat(std::string_view text, DiskEntry& e) {
  const char* q = text.data();
  DiskEntry got;
  if (!read_disk_fields(q, q + text.size(), got)) return false;
  e.read_sectors = got.read_sectors;
  e.written_sectors = got.written_sectors;
  e.io_ms = got.io_ms;
  return true;
}

bool parse_diskstats(std::string_view text, DiskReading& out) {
  out.count = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  bool any = false;
  while (p < end) {
    const char* le = line_end(p, end);
    const char* q = p;
    std::uint64_t major = 0, minor = 0;
    skip_blanks(q, le);
    bool ok = read_u64(q, le, major);
    skip_blanks(q, le);
    ok = ok && read_u64(q, le, minor);
    skip_blanks(q, le);
    const char* ns = q;
    bool printable = true;
    while (q < le && *q != ' ' && *q != '\t') {
      printable = printable && static_cast<unsigned char>(*q) > 0x20 && *q != 0x7f;
      ++q;
    }
    std::string_view name(ns, static_cast<std::size_t>(q - ns));
    ok = ok && printable;  // a NUL or control byte cannot be in a kernel device name
    // Partitions and loop devices are most of the file; once a good line has been seen
    // they change nothing, so their 11 counters are not parsed.
    if (any && (!ok || out.count >= kMaxDiskParse || !is_whole_disk(name))) {
      p = le + 1;
      continue;
    }
    DiskEntry got;
    ok = ok && read_disk_fields(q, le, got);
    p = le + 1;
    if (!ok || name.empty()) continue;
    any = true;
    if (!is_whole_disk(name) || out.count >= kMaxDiskParse) continue;
    DiskEntry& e = out.entries[out.count++];
    e = got;
    std::memcpy(e.name, name.data(), name.size());
    e.name[name.size()] = '\0';
  }
  return any;
}

OperState parse_operstate(std::string_view text) {
  text = trim(text);
  struct Name {
    std::string_view word;
    OperState state;
  };
  static constexpr Name kNames[] = {
      {"up", OperState::kUp},           {"down", OperState::kDown},
      {"dormant", OperState::kDormant}, {"lowerlayerdown", OperState::kLowerLayerDown},
      {"notpresent", OperState::kNotPresent}, {"testing", OperState::kTesting},
      {"unknown", OperState::kUnknown}};
  for (const Name& n : kNames) {
    if (text == n.word) return n.state;
  }
  return OperState::kAbsent;
}

const char* operstate_name(OperState s) {
  switch (s) {
    case OperState::kUp: return "up";
    case OperState::kDown: return "down";
    case OperState::kDormant: return "dormant";
    case OperState::kLowerLayerDown: return "lowerlayerdown";
    case OperState::kNotPresent: return "notpresent";
    case OperState::kTesting: return "testing";
    case OperState::kUnknown: return "unknown";
    case OperState::kAbsent: break;
  }
  return "";
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
