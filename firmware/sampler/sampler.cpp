// The sampler: discovery at construction (allocates), then fixed-buffer reads per tick.
#include "sampler/sampler.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "sampler/parse.h"

namespace sbcmon::sampler {

struct SamplerState {
  StatReading stat[2];
  int cur = 0;              // index of the reading taken this tick
  bool have_prev = false;   // stat[cur ^ 1] holds the previous reading
  MemReading mem;
  NetReading net;
  struct NetPrev {
    bool valid = false;
    std::uint64_t rx = 0, tx = 0;
  } net_prev[kMaxIfaces];
  bool have_net_mono = false;
  std::int64_t net_mono_ns = 0;
  MountReading mounts;
  bool mounts_valid = false;  // `mounts` holds the table as last read
  DiskReading disks;
  struct DiskPrev {
    bool valid = false;
    std::uint64_t rd = 0, wr = 0, io_ms = 0;
  } disk_prev[kMaxDisks];
  bool have_disk_mono = false;
  std::int64_t disk_mono_ns = 0;
  // Link state per interface slot, as last read. The files are read again only when due:
  // every slot after the kernel announced a link change (each tick when it cannot
  // announce: a fixture tree, no AF_NETLINK), a new or reused slot, and an operstate
  // that could not be read (a device not there yet, or gone: KeptFile's back-off bounds
  // the retries). A link that gives no speed (down, wireless, virtual) is asked again
  // after 1, 2, 4 ... kMaxSpeedBackoff ticks, once per announcement, or at once when its
  // operstate changes, which is how a link that comes up shows itself.
  struct LinkPrev {
    std::uint8_t oper = 0;
    float speed = kAbsent;
    bool oper_due = true;
    bool speed_due = true;  // read once the back-off allows
    std::uint32_t backoff = 1;
    std::uint64_t retry_tick = 0;  // earliest tick to read speed again
  } link_prev[kMaxIfaces];
  // Per table slot: whether its entry was missing from the last good reading, and since
  // when (monotonic ns). A full table reuses the slot gone longest once that is kReuseAfterNs.
  struct Gone {
    bool gone = false;
    std::int64_t since_ns = 0;
  };
  Gone net_gone[kMaxIfaces];
  Gone fs_gone[kMaxFs];
  Gone disk_gone[kMaxDisks];
};

namespace {
constexpr std::uint32_t kMaxSpeedBackoff = 16;
// A stick or NIC unplugged for a moment comes back to its own slot; only an entry gone
// for a minute gives its slot away (veth pairs, tun devices, renamed USB NICs).
constexpr std::int64_t kReuseAfterNs = 60 * std::int64_t{1000000000};
constexpr std::uint8_t kNoSlot = 0xFF;  // "no slot" in the per-entry slot maps below
static_assert(kMaxIfaces < kNoSlot && kMaxFs < kNoSlot && kMaxDisks < kNoSlot,
              "slot numbers are kept in a uint8_t with 0xFF for none");

// After a good reading of a table with `n` slots: a slot not `seen` starts (or keeps) its
// gone clock, a seen one stops it.
void note_gone(SamplerState::Gone* g, const bool* seen, std::size_t n, std::int64_t mono_ns) {
  for (std::size_t i = 0; i < n; ++i) {
    if (seen[i]) {
      g[i].gone = false;
    } else if (!g[i].gone) {
      g[i].gone = true;
      g[i].since_ns = mono_ns;
    }
  }
}

// The slot, of `n`, gone longest and for at least kReuseAfterNs and not `seen` in this
// reading; `n` when there is none.
std::size_t stale_slot(const SamplerState::Gone* g, const bool* seen, std::size_t n,
                       std::int64_t mono_ns) {
  std::size_t best = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (seen[i] || !g[i].gone || mono_ns - g[i].since_ns < kReuseAfterNs) continue;
    if (best == n || g[i].since_ns < g[best].since_ns) best = i;
  }
  return best;
}

// Known names first: for each of a reading's `count` entries, the slot of the `n` in use
// that has its name (kNoSlot for none), marking those slots seen, so an entry that is
// back keeps its slot whatever is listed before it.
template <typename EntryName, typename SlotName>
void match_slots(std::size_t count, EntryName entry_name, std::size_t n, SlotName slot_name,
                 std::uint8_t* slot_of, bool* seen) {
  for (std::size_t e = 0; e < count; ++e) {
    slot_of[e] = kNoSlot;
    for (std::size_t i = 0; i < n; ++i) {
      if (std::strcmp(slot_name(i), entry_name(e)) == 0) {
        slot_of[e] = static_cast<std::uint8_t>(i);
        seen[i] = true;
        break;
      }
    }
  }
}
}  // namespace

namespace {

// /proc/stat on a 256-core box with many IRQs is tens of kB, but only the cpu lines at
// the top matter; a truncated tail is dropped by trimming to the last full line.
constexpr std::size_t kBigBuf = 64 * 1024;

template <std::size_t N>
void set_text(char (&dst)[N], std::string_view s) {
  std::size_t len = std::min(s.size(), N - 1);
  std::memcpy(dst, s.data(), len);
  dst[len] = '\0';
}

void set_name(Name& n, std::string_view s) { set_text(n.s, s); }

std::string_view trim_view(std::string_view s) {
  auto junk = [](char c) { return c == '\n' || c == '\r' || c == ' ' || c == '\t' || c == '\0'; };
  while (!s.empty() && junk(s.back())) s.remove_suffix(1);
  while (!s.empty() && junk(s.front())) s.remove_prefix(1);
  return s;
}

// Start-up only: a whole small file as trimmed text; "" when missing.
std::string slurp(const std::string& path) {
  KeptFile f(path);
  char buf[512];
  std::string_view v;
  if (!f.read(0, buf, sizeof buf, v)) return {};
  v = trim_view(v);
  // device-tree strings are NUL-terminated; keep only the first string.
  std::size_t nul = v.find('\0');
  if (nul != std::string_view::npos) v = v.substr(0, nul);
  return std::string(v);
}

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Start-up only: the entries of dir (not "." and ".."), unsorted; none when it cannot be
// read. Plain readdir rather than std::filesystem, which drags locale and wide-character
// conversion into the static firmware.
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    out.emplace_back(e->d_name);
  }
  ::closedir(d);
  return out;
}

std::string child(const std::string& dir, const std::string& name) {
  return !dir.empty() && dir.back() == '/' ? dir + name : dir + "/" + name;
}

// Numbered children "prefixN" of dir, sorted by N (readdir order is arbitrary).
std::vector<std::pair<int, std::string>> numbered(const std::string& dir, std::string_view prefix) {
  std::vector<std::pair<int, std::string>> out;
  for (const std::string& name : entries(dir)) {
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    std::uint64_t n = 0;
    if (!parse_u64(std::string_view(name).substr(prefix.size()), n) || n > 100000) continue;
    out.emplace_back(static_cast<int>(n), child(dir, name));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Lines complete in a buffer that may have been filled to the brim.
std::string_view whole_lines(std::string_view v, std::size_t cap) {
  if (v.size() < cap) return v;
  std::size_t nl = v.rfind('\n');
  return nl == std::string_view::npos ? std::string_view{} : v.substr(0, nl + 1);
}

std::int64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

Sampler::Sampler(std::string proc_root, std::string sys_root)
    : proc_root_(std::move(proc_root)),
      sys_root_(std::move(sys_root)),
      stat_(proc_root_ + "/stat"),
      meminfo_(proc_root_ + "/meminfo"),
      loadavg_(proc_root_ + "/loadavg"),
      uptime_(proc_root_ + "/uptime"),
      net_dev_(proc_root_ + "/net/dev"),
      mounts_(proc_root_ + "/mounts"),
      diskstats_(proc_root_ + "/diskstats"),
      // /proc/self/root is this process's root directory: "/" on a board, a folder of
      // the tree under a fixture root, so statvfs never leaves the tree it was given.
      // On the real /proc a mount point is statvfs'd as it is: the same directory
      // without the magic link's lookup (2.4 of 3.9 µs per mount here).
      fs_prefix_(live_proc() ? std::string() : proc_root_ + "/self/root"),
      // Not zero-filled: only the pages a read reaches become resident (a read defines
      // every byte the parsers look at).
      big_(new char[kBigBuf]),
      st_(std::make_unique<SamplerState>()) {
  if (sys_root_ == "/sys") link_events_.open();  // refused: the files are read every tick
  discover_cpus();
  discover_thermal();
  discover_hwmon();
  discover_power();
  read_identity();
  // Raspberry Pi kernels expose only a critical trip far above where the firmware
  // acts; the limits a Pi user cares about are the firmware's: soft throttling
  // from 80 C, the hard cap at 85 C.
  if (board_.ntemp > 0 && board_.model.rfind("Raspberry Pi", 0) == 0) {
    if (absent(board_.temp_warn_c)) board_.temp_warn_c = 80.0f;
    if (absent(board_.temp_crit_c) || board_.temp_crit_c > 85.0f) board_.temp_crit_c = 85.0f;
  }
  // Learn interface names now so the board message lists them before the first tick.
  std::string_view v;
  if (net_dev_.read(0, big_.get(), kBigBuf, v) &&
      parse_net_dev(whole_lines(v, kBigBuf), st_->net)) {
    for (std::size_t i = 0; i < st_->net.count && board_.nifaces < kMaxIfaces; ++i) {
      add_iface(st_->net.entries[i].name);
    }
  }
  // Same for filesystems and disks: read them once so the board message names them.
  Sample first{};
  read_filesystems(first, 0);
  read_disks(first, 0);
  for (auto& p : st_->disk_prev) p = SamplerState::DiskPrev{};
  st_->have_disk_mono = false;
}

bool Sampler::add_iface(std::string_view name) {
  if (board_.nifaces >= kMaxIfaces) return false;
  if (operstate_.capacity() < kMaxIfaces) {
    operstate_.reserve(kMaxIfaces);
    speed_.reserve(kMaxIfaces);
  }
  set_name(board_.ifaces[board_.nifaces++], name);
  std::string dir = sys_root_ + "/class/net/" + std::string(name) + "/";
  operstate_.emplace_back(dir + "operstate");
  speed_.emplace_back(dir + "speed");
  st_->link_prev[board_.nifaces - 1] = SamplerState::LinkPrev{};  // due: read on the next tick
  ++board_.generation;
  return true;
}

void Sampler::reuse_iface(std::size_t slot, std::string_view name) {
  set_name(board_.ifaces[slot], name);
  std::string dir = sys_root_ + "/class/net/" + std::string(name) + "/";
  operstate_[slot] = KeptFile(dir + "operstate");
  speed_[slot] = KeptFile(dir + "speed");
  st_->net_prev[slot] = SamplerState::NetPrev{};
  st_->link_prev[slot] = SamplerState::LinkPrev{};
  st_->net_gone[slot] = SamplerState::Gone{};
  board_.iface_reused[slot] = ++board_.generation;
}

Sampler::~Sampler() = default;

const StatReading* Sampler::last_stat() const {
  // cur is flipped after every good parse, so the latest good reading is the other slot.
  return st_->have_prev ? &st_->stat[st_->cur ^ 1] : nullptr;
}

bool Sampler::disk_counters(std::size_t slot, std::uint64_t& read_bytes,
                            std::uint64_t& written_bytes, std::uint64_t& io_ms) const {
  if (slot >= kMaxDisks || !st_->disk_prev[slot].valid) return false;
  read_bytes = st_->disk_prev[slot].rd * 512;
  written_bytes = st_->disk_prev[slot].wr * 512;
  io_ms = st_->disk_prev[slot].io_ms;
  return true;
}

bool Sampler::net_bytes(std::size_t slot, std::uint64_t& rx, std::uint64_t& tx) const {
  if (slot >= kMaxIfaces || !st_->net_prev[slot].valid) return false;
  rx = st_->net_prev[slot].rx;
  tx = st_->net_prev[slot].tx;
  return true;
}

void Sampler::discover_cpus() {
  // Possible CPUs, not online ones: a core that is offline now still has a column.
  int max_index = -1;
  std::string possible = slurp(sys_root_ + "/devices/system/cpu/possible");
  if (!parse_cpu_list(possible, max_index)) {
    std::string_view v;
    if (stat_.read(0, big_.get(), kBigBuf, v) &&
        parse_stat(whole_lines(v, kBigBuf), st_->stat[0])) {
      max_index = st_->stat[0].max_index;
    }
  }
  long n = max_index >= 0 ? max_index + 1 : sysconf(_SC_NPROCESSORS_CONF);
  if (n < 1) n = 1;
  board_.cores = static_cast<int>(std::min<long>(n, static_cast<long>(kMaxCpus)));

  bool any_freq = false;
  std::vector<KeptFile> freq;
  for (int i = 0; i < board_.cores; ++i) {
    std::string dir = sys_root_ + "/devices/system/cpu/cpu" + std::to_string(i) + "/cpufreq/";
    freq.emplace_back(dir + "scaling_cur_freq");
    std::uint64_t khz = 0;
    if (parse_u64(slurp(dir + "cpuinfo_max_freq"), khz)) {
      float mhz = static_cast<float>(khz / 1000.0);
      if (absent(board_.freq_max_mhz) || mhz > board_.freq_max_mhz) board_.freq_max_mhz = mhz;
    }
    if (exists(dir + "scaling_cur_freq")) any_freq = true;
  }
  // No cpufreq anywhere (VMs, some SoCs): do not keep retrying kMaxCpus paths.
  if (any_freq) freq_ = std::move(freq);
}

void Sampler::discover_thermal() {
  bool limits_done = false;
  for (auto& [n, dir] : numbered(sys_root_ + "/class/thermal", "thermal_zone")) {
    (void)n;
    if (board_.ntemp >= kMaxTemps) break;
    std::string type = slurp(dir + "/type");
    if (type.empty()) type = "thermal_zone" + std::to_string(n);
    set_name(board_.temp_names[board_.ntemp++], type);
    temps_.emplace_back(dir + "/temp");
    // Limits come from the first zone that declares trips (zone 0 is the SoC on ARM
    // boards); mixing zones could pair a battery's critical point with the CPU's.
    if (limits_done) continue;
    for (int k = 0; k < 32; ++k) {
      std::string base = dir + "/trip_point_" + std::to_string(k);
      std::string ttype = slurp(base + "_type");
      if (ttype.empty()) break;
      std::int64_t milli = 0;
      if (!parse_i64(slurp(base + "_temp"), milli)) continue;
      float c = static_cast<float>(milli / 1000.0);
      float* slot = ttype == "passive" || ttype == "hot" ? &board_.temp_warn_c
                    : ttype == "critical"                ? &board_.temp_crit_c
                                                         : nullptr;
      if (slot && (absent(*slot) || c < *slot)) *slot = c;
      limits_done = true;
    }
  }
}

void Sampler::discover_hwmon() {
  for (auto& [n, dir] : numbered(sys_root_ + "/class/hwmon", "hwmon")) {
    (void)n;
    std::string name = slurp(dir + "/name");
    // The Pi's under-voltage alarm is found by name: hwmon numbering follows probe order.
    if (name == "rpi_volt") {
      if (exists(dir + "/in0_lcrit_alarm") && rpi_volt_.path().empty()) {
        rpi_volt_ = KeptFile(dir + "/in0_lcrit_alarm");
      }
      continue;
    }
    // thermal_hwmon mirrors every thermal zone as hwmon "<type with - as _>"; skip the copy.
    std::string as_zone = name;
    std::replace(as_zone.begin(), as_zone.end(), '_', '-');
    bool mirror = false;
    for (std::size_t i = 0; i < board_.ntemp; ++i) {
      if (as_zone == board_.temp_names[i].s || name == board_.temp_names[i].s) mirror = true;
    }
    if (mirror) continue;
    std::vector<std::pair<int, std::string>> inputs;
    for (const std::string& f : entries(dir)) {
      std::uint64_t k = 0;
      if (f.size() > 10 && f.compare(0, 4, "temp") == 0 &&
          f.compare(f.size() - 6, 6, "_input") == 0 &&
          parse_u64(std::string_view(f).substr(4, f.size() - 10), k) && k < 1000) {
        inputs.emplace_back(static_cast<int>(k), child(dir, f));
      }
    }
    std::sort(inputs.begin(), inputs.end());
    for (auto& [k, path] : inputs) {
      if (board_.ntemp >= kMaxTemps) return;
      std::string label = slurp(dir + "/temp" + std::to_string(k) + "_label");
      std::string shown = name.empty() ? "hwmon" + std::to_string(n) : name;
      if (!label.empty()) {
        shown += " " + label;
      } else if (inputs.size() > 1) {
        shown += " temp" + std::to_string(k);
      }
      set_name(board_.temp_names[board_.ntemp++], shown);
      temps_.emplace_back(path);
    }
  }
}

void Sampler::discover_power() {
  std::string path = sys_root_ + "/devices/platform/soc/soc:firmware/get_throttled";
  if (exists(path)) throttled_ = KeptFile(path);
}

void Sampler::read_identity() {
  board_.model = slurp(proc_root_ + "/device-tree/model");
  if (board_.model.empty()) board_.model = slurp(sys_root_ + "/class/dmi/id/product_name");
  board_.hostname = slurp(proc_root_ + "/sys/kernel/hostname");
  board_.kernel = slurp(proc_root_ + "/sys/kernel/osrelease");
  struct utsname u;
  if (uname(&u) == 0) {
    if (board_.hostname.empty()) board_.hostname = u.nodename;
    if (board_.kernel.empty()) board_.kernel = u.release;
    board_.arch = u.machine;
  }
}

bool Sampler::read_small(KeptFile& f, std::string_view& out) {
  return f.read_trimmed(tick_, small_, sizeof small_ - 1, out);
}

void Sampler::sample(Sample& out) {
  sample(out, clock_ns(CLOCK_REALTIME) / 1000000, clock_ns(CLOCK_MONOTONIC));
}

void Sampler::sample(Sample& out, std::int64_t wall_ms, std::int64_t mono_ns) {
  ++tick_;
  out.t_ms = wall_ms;
  out.seq = tick_;
  read_cpu(out);
  read_memory(out);
  read_sensors(out);
  read_power(out);
  read_net(out, mono_ns);
  read_links(out);
  read_filesystems(out, mono_ns);
  read_disks(out, mono_ns);
}

void Sampler::read_cpu(Sample& out) {
  SamplerState& s = *st_;
  out.ncpu = static_cast<std::uint16_t>(board_.cores);
  out.total_pct = kAbsent;
  std::fill(std::begin(out.cpu_pct), std::end(out.cpu_pct), kAbsent);
  std::fill(std::begin(out.freq_mhz), std::end(out.freq_mhz), kAbsent);

  std::string_view v;
  const StatReading* now = nullptr;
  if (stat_.read(tick_, big_.get(), kBigBuf, v)) {
    StatReading& cur = s.stat[s.cur];
    if (parse_stat(whole_lines(v, kBigBuf), cur)) {
      now = &cur;
      if (s.have_prev) {
        const StatReading& prev = s.stat[s.cur ^ 1];
        if (prev.all_valid && cur.all_valid) out.total_pct = cpu_percent(prev.all, cur.all);
        for (int i = 0; i < board_.cores; ++i) {
          // Keyed by N in "cpuN": an offline core is absent and no other core moves.
          if (prev.online[i] && cur.online[i]) out.cpu_pct[i] = cpu_percent(prev.cpu[i], cur.cpu[i]);
        }
      }
      s.have_prev = true;
      s.cur ^= 1;
    }
  }
  // An unreadable /proc/stat keeps the old baseline: the next good tick averages over both.
  // Offline only when /proc/stat was read and lacks the core; NaN alone may be a baseline.
  out.cpu_offline.reset();
  for (int i = 0; now && i < board_.cores; ++i) {
    if (!now->online[i]) out.cpu_offline.set(i);
  }

  for (std::size_t i = 0; i < freq_.size(); ++i) {
    if (now && !now->online[i]) continue;  // an offline core has no clock worth showing
    std::string_view fv;
    std::uint64_t khz = 0;
    if (read_small(freq_[i], fv) && parse_u64(fv, khz)) {
      out.freq_mhz[i] = static_cast<float>(khz / 1000.0);
    }
  }
}

void Sampler::read_memory(Sample& out) {
  SamplerState& s = *st_;
  out.mem_valid = out.swap_valid = false;
  out.mem_total = out.mem_used = out.mem_avail = out.swap_total = out.swap_used = 0;
  std::string_view v;
  if (meminfo_.read(tick_, big_.get(), kBigBuf, v) &&
      parse_meminfo(whole_lines(v, kBigBuf), s.mem)) {
    const MemReading& m = s.mem;
    if (m.has_total && m.has_avail) {
      out.mem_valid = true;
      out.mem_total = m.total_kb * 1024;  // "kB" in meminfo is KiB
      out.mem_avail = std::min(m.avail_kb, m.total_kb) * 1024;
      out.mem_used = out.mem_total - out.mem_avail;
    }
    if (m.has_swap_total && m.has_swap_free) {
      out.swap_valid = true;
      out.swap_total = m.swap_total_kb * 1024;
      out.swap_used = (m.swap_total_kb - std::min(m.swap_free_kb, m.swap_total_kb)) * 1024;
    }
  }

  for (float& l : out.load) l = kAbsent;
  if (read_small(loadavg_, v)) parse_loadavg(v, out.load);
  out.uptime_s = kAbsentD;
  if (live_proc()) {
    // /proc/uptime's first figure is CLOCK_BOOTTIME in centiseconds (time namespaces
    // included); the vDSO gives it without a file read.
    struct timespec ts;
    if (clock_gettime(CLOCK_BOOTTIME, &ts) == 0) {
      out.uptime_s = static_cast<double>(static_cast<std::int64_t>(ts.tv_sec) * 100 + ts.tv_nsec / 10000000) / 100.0;
    }
  } else if (read_small(uptime_, v)) {
    parse_uptime(v, out.uptime_s);
  }
}

void Sampler::read_sensors(Sample& out) {
  out.ntemp = static_cast<std::uint16_t>(board_.ntemp);
  std::fill(std::begin(out.temp_c), std::end(out.temp_c), kAbsent);
  for (std::size_t i = 0; i < temps_.size() && i < kMaxTemps; ++i) {
    std::string_view v;
    std::int64_t milli = 0;
    if (read_small(temps_[i], v) && parse_i64(v, milli)) {
      out.temp_c[i] = static_cast<float>(milli / 1000.0);
    }
  }
}

void Sampler::read_power(Sample& out) {
  out.throttle = Throttle{};
  std::string_view v;
  std::uint32_t raw = 0;
  if (!throttled_.path().empty() && read_small(throttled_, v) && parse_hex_u32(v, raw)) {
    out.throttle = decode_throttled(raw);
  }
  std::uint64_t alarm = 0;
  if (!rpi_volt_.path().empty() && read_small(rpi_volt_, v) && parse_u64(v, alarm) && alarm <= 1) {
    // The hwmon alarm is the kernel's live view of under-voltage; it is all newer
    // kernels offer once get_throttled is gone.
    out.throttle.valid = true;
    out.throttle.known |= Throttle::kUvNow;
    if (alarm) out.throttle.flags |= Throttle::kUvNow;
  }
}

void Sampler::read_net(Sample& out, std::int64_t mono_ns) {
  SamplerState& s = *st_;
  std::fill(std::begin(out.net_rx), std::end(out.net_rx), kAbsentD);
  std::fill(std::begin(out.net_tx), std::end(out.net_tx), kAbsentD);
  bool seen[kMaxIfaces] = {};
  std::string_view v;
  double dt = s.have_net_mono ? static_cast<double>(mono_ns - s.net_mono_ns) / 1e9 : 0.0;
  if (net_dev_.read(tick_, big_.get(), kBigBuf, v) &&
      parse_net_dev(whole_lines(v, kBigBuf), s.net)) {
    std::uint8_t slot_of[kMaxNetParse];
    match_slots(
        s.net.count, [&](std::size_t e) { return s.net.entries[e].name; }, board_.nifaces,
        [&](std::size_t i) { return board_.ifaces[i].s; }, slot_of, seen);
    for (std::size_t e = 0; e < s.net.count; ++e) {
      if (slot_of[e] != kNoSlot) continue;
      const char* name = s.net.entries[e].name;
      std::size_t slot = board_.nifaces;
      if (!add_iface(name)) {
        slot = stale_slot(s.net_gone, seen, board_.nifaces, mono_ns);
        if (slot == board_.nifaces) continue;  // full, none gone a minute: not shown
        reuse_iface(slot, name);
      }
      slot_of[e] = static_cast<std::uint8_t>(slot);
      seen[slot] = true;
    }
    for (std::size_t e = 0; e < s.net.count; ++e) {
      if (slot_of[e] == kNoSlot) continue;
      const NetEntry& ent = s.net.entries[e];
      const std::size_t slot = slot_of[e];
      SamplerState::NetPrev& p = s.net_prev[slot];
      if (p.valid && dt > 0) {
        out.net_rx[slot] = static_cast<double>(counter_delta(p.rx, ent.rx)) / dt;
        out.net_tx[slot] = static_cast<double>(counter_delta(p.tx, ent.tx)) / dt;
      }
      p.valid = true;
      p.rx = ent.rx;
      p.tx = ent.tx;
    }
    s.have_net_mono = true;
    s.net_mono_ns = mono_ns;
    note_gone(s.net_gone, seen, board_.nifaces, mono_ns);
  }
  for (std::size_t i = 0; i < kMaxIfaces; ++i) {
    if (!seen[i]) s.net_prev[i].valid = false;  // gone: its next sighting is a new baseline
  }
  out.nnet = static_cast<std::uint16_t>(board_.nifaces);
}

void Sampler::read_links(Sample& out) {
  std::fill(std::begin(out.net_oper), std::end(out.net_oper), std::uint8_t{0});
  std::fill(std::begin(out.net_speed), std::end(out.net_speed), kAbsent);
  // Drained every tick, before any file is read: a change made after the drain is read
  // now and announced again next tick, so none is missed. big_ is free by now.
  const bool announced = link_events_.changed(big_.get(), kBigBuf);
  for (std::size_t i = 0; i < board_.nifaces && i < operstate_.size(); ++i) {
    SamplerState::LinkPrev& lp = st_->link_prev[i];
    if (announced) lp.oper_due = lp.speed_due = true;
    std::string_view v;
    if (lp.oper_due) {
      const bool got = read_small(operstate_[i], v);
      const std::uint8_t oper = got ? static_cast<std::uint8_t>(parse_operstate(v)) : 0;
      lp.oper_due = !got;  // missing: looked for again next tick, not only on news
      if (oper != lp.oper) {
        lp.oper = oper;
        lp.speed_due = true;
        // A device back after it was gone: its speed file answers now, whatever back-off
        // the failed tries while it was away built up.
        speed_[i].retry_now();
        lp.backoff = 1;
        lp.retry_tick = 0;
      }
    }
    if (lp.speed_due && tick_ >= lp.retry_tick) {
      lp.speed_due = false;
      std::int64_t mbps = 0;
      // A link that is down, or wireless, answers -1 or EINVAL: no speed, not 0.
      if (read_small(speed_[i], v) && parse_i64(v, mbps) && mbps > 0 && mbps < 10000000) {
        lp.speed = static_cast<float>(mbps);
        lp.backoff = 1;  // read again on every announcement: a bond's changes with its ports
      } else {
        lp.speed = kAbsent;
        lp.retry_tick = tick_ + lp.backoff;
        if (lp.backoff < kMaxSpeedBackoff) lp.backoff *= 2;
      }
    }
    out.net_oper[i] = lp.oper;
    out.net_speed[i] = lp.speed;
  }
}

void Sampler::read_filesystems(Sample& out, std::int64_t mono_ns) {
  SamplerState& s = *st_;
  std::fill(std::begin(out.fs_flags), std::end(out.fs_flags), std::uint8_t{0});
  std::fill(std::begin(out.fs_size), std::end(out.fs_size), std::uint64_t{0});
  std::fill(std::begin(out.fs_used), std::end(out.fs_used), std::uint64_t{0});
  std::fill(std::begin(out.fs_avail), std::end(out.fs_avail), std::uint64_t{0});
  // The mount table is read and parsed again only when the kernel says it changed (a
  // USB stick plugged in, a remount); the figures below are statvfs's, every tick.
  if (!s.mounts_valid || mounts_.changed(tick_)) {
    std::string_view v;
    s.mounts_valid = mounts_.read(tick_, big_.get(), kBigBuf, v) &&
                     parse_mounts(whole_lines(v, kBigBuf), s.mounts);
  }
  if (s.mounts_valid) {
    bool seen[kMaxFs] = {};
    std::uint8_t slot_of[kMaxMountParse];
    match_slots(
        s.mounts.count, [&](std::size_t e) { return s.mounts.entries[e].mountpoint; }, board_.nfs,
        [&](std::size_t i) { return board_.fs[i].mount; }, slot_of, seen);
    for (std::size_t e = 0; e < s.mounts.count; ++e) {
      if (slot_of[e] != kNoSlot) continue;
      const MountEntry& m = s.mounts.entries[e];
      std::size_t slot = board_.nfs;
      if (board_.nfs < kMaxFs) {
        ++board_.nfs;
        ++board_.generation;
      } else {
        slot = stale_slot(s.fs_gone, seen, board_.nfs, mono_ns);
        if (slot == board_.nfs) continue;  // full, none gone a minute: not shown
        s.fs_gone[slot] = SamplerState::Gone{};
        board_.fs_reused[slot] = ++board_.generation;
      }
      BoardInfo::Fs& f = board_.fs[slot];
      set_text(f.mount, m.mountpoint);
      set_text(f.device, m.device);
      set_text(f.type, m.fstype);
      slot_of[e] = static_cast<std::uint8_t>(slot);
      seen[slot] = true;
    }
    note_gone(s.fs_gone, seen, board_.nfs, mono_ns);
    for (std::size_t e = 0; e < s.mounts.count; ++e) {
      if (slot_of[e] == kNoSlot) continue;
      const MountEntry& m = s.mounts.entries[e];
      const std::size_t slot = slot_of[e];
      BoardInfo::Fs& f = board_.fs[slot];
      if (std::strcmp(f.device, m.device) != 0 || std::strcmp(f.type, m.fstype) != 0) {
        set_text(f.device, m.device);  // a USB stick swapped under the same mount point
        set_text(f.type, m.fstype);
        ++board_.generation;
      }
      std::size_t plen = fs_prefix_.size();
      std::size_t mlen = std::strlen(m.mountpoint);
      if (plen + mlen + 1 > sizeof path_) continue;
      std::memcpy(path_, fs_prefix_.data(), plen);
      std::memcpy(path_ + plen, m.mountpoint, mlen + 1);
      struct statvfs sv;
      if (::statvfs(path_, &sv) != 0 || sv.f_blocks == 0) continue;  // gone or not a disk: absent
      const std::uint64_t unit = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
      const std::uint64_t free_blocks = std::min<std::uint64_t>(sv.f_bfree, sv.f_blocks);
      out.fs_size[slot] = static_cast<std::uint64_t>(sv.f_blocks) * unit;
      out.fs_used[slot] = (static_cast<std::uint64_t>(sv.f_blocks) - free_blocks) * unit;
      out.fs_avail[slot] = std::min<std::uint64_t>(sv.f_bavail, free_blocks) * unit;
      out.fs_flags[slot] = Sample::kFsValid;
      if (m.ro || (sv.f_flag & ST_RDONLY)) out.fs_flags[slot] |= Sample::kFsReadOnly;
    }
  }
  out.nfs = static_cast<std::uint16_t>(board_.nfs);
}

// /proc/diskstats formats every block device, loop and ram devices included: 29 µs cold
// (once a second) on the bench VM against 6 µs for one /sys/block/<disk>/stat.
// A file that fails (a disk gone, or a tree without them) sends that tick back to
// diskstats; KeptFile's back-off keeps a missing one from costing an open every tick.
bool Sampler::read_disk_table(DiskReading& disks) {
  if (disk_files_ok_ && tick_ % kDiskRescanTicks != 0) {
    std::string_view v;
    std::size_t e = 0;
    while (e < disks.count && read_small(disk_stat_[e], v) && parse_block_stat(v, disks.entries[e])) ++e;
    if (e == disks.count) return true;
  }
  std::string_view v;
  if (!diskstats_.read(tick_, big_.get(), kBigBuf, v) || !parse_diskstats(whole_lines(v, kBigBuf), disks)) {
    disk_files_ok_ = false;
    return false;
  }
  bind_disk_files(disks);
  return true;
}

void Sampler::bind_disk_files(const DiskReading& disks) {
  if (disk_stat_.size() < disks.count) disk_stat_.resize(disks.count);  // the table grew (rare)
  const std::string_view dir = "/block/";
  for (std::size_t e = 0; e < disks.count; ++e) {
    // Already <sys>/block/<name>/stat? Compared in place: a rescan allocates nothing.
    const std::string_view name = disks.entries[e].name;
    const std::string& path = disk_stat_[e].path();
    const bool same = path.size() == sys_root_.size() + dir.size() + name.size() + 5 &&
                      path.compare(sys_root_.size() + dir.size(), name.size(), name) == 0;
    if (!same) disk_stat_[e] = KeptFile(sys_root_ + "/block/" + std::string(name) + "/stat");  // allocates (rare)
  }
  disk_files_ok_ = disks.count > 0;
}

void Sampler::read_disks(Sample& out, std::int64_t mono_ns) {
  SamplerState& s = *st_;
  std::fill(std::begin(out.disk_rd), std::end(out.disk_rd), kAbsent);
  std::fill(std::begin(out.disk_wr), std::end(out.disk_wr), kAbsent);
  std::fill(std::begin(out.disk_busy), std::end(out.disk_busy), kAbsent);
  std::fill(std::begin(out.disk_written), std::end(out.disk_written), kAbsentD);
  bool seen[kMaxDisks] = {};
  std::string_view v;
  double dt = s.have_disk_mono ? static_cast<double>(mono_ns - s.disk_mono_ns) / 1e9 : 0.0;
  if (read_disk_table(s.disks)) {
    std::uint8_t slot_of[kMaxDiskParse];
    match_slots(
        s.disks.count, [&](std::size_t e) { return s.disks.entries[e].name; }, board_.ndisks,
        [&](std::size_t i) { return board_.disks[i].s; }, slot_of, seen);
    for (std::size_t e = 0; e < s.disks.count; ++e) {
      if (slot_of[e] != kNoSlot) continue;
      std::size_t slot = board_.ndisks;
      if (board_.ndisks < kMaxDisks) {
        ++board_.ndisks;
        ++board_.generation;
      } else {
        slot = stale_slot(s.disk_gone, seen, board_.ndisks, mono_ns);
        if (slot == board_.ndisks) continue;  // full, none gone a minute: not shown
        s.disk_prev[slot] = SamplerState::DiskPrev{};
        s.disk_gone[slot] = SamplerState::Gone{};
        board_.disk_reused[slot] = ++board_.generation;
      }
      set_name(board_.disks[slot], s.disks.entries[e].name);
      slot_of[e] = static_cast<std::uint8_t>(slot);
      seen[slot] = true;
    }
    for (std::size_t e = 0; e < s.disks.count; ++e) {
      if (slot_of[e] == kNoSlot) continue;
      const DiskEntry& d = s.disks.entries[e];
      const std::size_t slot = slot_of[e];
      SamplerState::DiskPrev& p = s.disk_prev[slot];
      if (p.valid && dt > 0) {
        out.disk_rd[slot] = static_cast<float>(static_cast<double>(counter_delta(p.rd, d.read_sectors)) * 512 / dt);
        out.disk_wr[slot] = static_cast<float>(static_cast<double>(counter_delta(p.wr, d.written_sectors)) * 512 / dt);
        double busy = static_cast<double>(counter_delta(p.io_ms, d.io_ms)) / (dt * 1000.0) * 100.0;
        out.disk_busy[slot] = static_cast<float>(std::min(busy, 100.0));
      }
      out.disk_written[slot] = static_cast<double>(d.written_sectors) * 512.0;
      p.valid = true;
      p.rd = d.read_sectors;
      p.wr = d.written_sectors;
      p.io_ms = d.io_ms;
    }
    s.have_disk_mono = true;
    s.disk_mono_ns = mono_ns;
    note_gone(s.disk_gone, seen, board_.ndisks, mono_ns);
  }
  for (std::size_t i = 0; i < kMaxDisks; ++i) {
    if (!seen[i]) s.disk_prev[i].valid = false;  // gone: its next sighting is a new baseline
  }
  out.ndisk = static_cast<std::uint16_t>(board_.ndisks);
}

}  // namespace sbcmon::sampler
