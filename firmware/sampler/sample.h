// One reading of the board's vitals as a fixed-size, trivially copyable record,
// plus the identity read once at start-up. Absent figures are NaN or a false flag, never 0.
#pragma once

#include <bitset>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "config/config.h"

namespace sbcmon::sampler {

inline constexpr std::size_t kMaxCpus = config::kMaxCpus;
inline constexpr std::size_t kMaxTemps = 8;    // thermal zones + hwmon inputs shown
inline constexpr std::size_t kMaxIfaces = 8;   // network interfaces shown (loopback excluded)
inline constexpr std::size_t kNameLen = 32;    // zone/interface label incl. NUL (IFNAMSIZ is 16)
inline constexpr std::size_t kMaxFs = config::kMaxFilesystems;  // storage mounts shown
inline constexpr std::size_t kMaxDisks = config::kMaxDisks;     // whole block devices shown
inline constexpr std::size_t kPathLen = 96;    // mount point / device incl. NUL; longer: not shown
inline constexpr std::size_t kFsTypeLen = 16;

inline constexpr float kAbsent = std::numeric_limits<float>::quiet_NaN();
inline constexpr double kAbsentD = std::numeric_limits<double>::quiet_NaN();

// True when a float figure carries no value.
inline bool absent(double v) { return std::isnan(v); }

// Raspberry Pi firmware throttle word (get_throttled) and which bits are known.
struct Throttle {
  bool valid = false;       // false: not a Pi / no source -> JSON null
  bool raw_valid = false;   // get_throttled was read (rpi_volt alone gives only bit 0)
  std::uint32_t raw = 0;    // the firmware word as read (0 when !raw_valid)
  std::uint32_t flags = 0;  // raw, plus bit 0 when rpi_volt's in0_lcrit_alarm is 1
  std::uint32_t known = 0;  // mask of the bits below that were actually observed

  static constexpr std::uint32_t kUvNow = 1u << 0;
  static constexpr std::uint32_t kCappedNow = 1u << 1;
  static constexpr std::uint32_t kThrottledNow = 1u << 2;
  static constexpr std::uint32_t kSoftNow = 1u << 3;
  static constexpr std::uint32_t kUvBoot = 1u << 16;
  static constexpr std::uint32_t kCappedBoot = 1u << 17;
  static constexpr std::uint32_t kThrottledBoot = 1u << 18;
  static constexpr std::uint32_t kSoftBoot = 1u << 19;
  static constexpr std::uint32_t kAllBits = 0x000F000Fu;

  // True when `bit` is known and set.
  bool is(std::uint32_t bit) const { return (known & bit) != 0 && (flags & bit) != 0; }
  // True when `bit` was observed (set or clear).
  bool knows(std::uint32_t bit) const { return (known & bit) != 0; }
};

// The built-in alerts, in the order they are listed everywhere.
enum class AlertId : std::uint8_t { kTemperature = 0, kPower, kFilesystem, kMemory, kLoad };
inline constexpr std::size_t kAlertCount = 5;
// absent: no input on this board or turned off; never reported as ok.
enum class AlertState : std::uint8_t { kAbsent = 0, kOk, kFiring };

struct AlertStatus {
  AlertState state = AlertState::kAbsent;
  std::uint8_t which = 0;        // sensor / filesystem slot `value` belongs to
  float value = kAbsent;         // the figure compared (°C, % used, % available, load)
  float limit = kAbsent;         // what it is compared with
  std::int64_t since_ms = 0;     // wall ms the alert started firing (0 unless firing)
};

struct Sample {
  std::int64_t t_ms = 0;      // wall clock, ms since the epoch
  std::uint64_t seq = 0;      // tick number, 1 for the first sample
  float total_pct = kAbsent;  // all possible CPUs, busy %; NaN on the first (baseline) tick
  std::uint16_t ncpu = 0;     // possible CPUs, capped at kMaxCpus (length of cpu_pct/freq_mhz)
  std::uint16_t ntemp = 0;    // entries used in temp_c (same order as BoardInfo::temp_names)
  std::uint16_t nnet = 0;     // entries used in net_rx/net_tx (same order as BoardInfo::ifaces)
  float cpu_pct[kMaxCpus];    // per core busy %, indexed by N of "cpuN"; NaN offline/baseline
  float freq_mhz[kMaxCpus];   // scaling_cur_freq in MHz; NaN when missing or core offline
  std::bitset<kMaxCpus> cpu_offline;  // core N absent from a readable /proc/stat (hotplugged out)
  float temp_c[kMaxTemps];    // degrees C; NaN when that sensor could not be read this tick
  float load[3] = {kAbsent, kAbsent, kAbsent};
  double uptime_s = kAbsentD;
  double net_rx[kMaxIfaces];  // bytes/s; NaN on an interface's first sighting or when gone
  double net_tx[kMaxIfaces];
  bool mem_valid = false;     // MemTotal and MemAvailable both read
  bool swap_valid = false;    // SwapTotal and SwapFree both read (total 0 = no swap)
  std::uint64_t mem_total = 0, mem_used = 0, mem_avail = 0;  // bytes
  std::uint64_t swap_total = 0, swap_used = 0;               // bytes
  Throttle throttle;
  std::uint8_t net_oper[kMaxIfaces];  // OperState of /sys/class/net/<if>/operstate; 0 absent
  float net_speed[kMaxIfaces];        // link speed, Mb/s; NaN when the kernel gives none
  // Filesystems, in BoardInfo::fs order; figures are statvfs's, in bytes.
  std::uint16_t nfs = 0;
  std::uint8_t fs_flags[kMaxFs];      // kFsValid when read this tick, kFsReadOnly
  std::uint64_t fs_size[kMaxFs];
  std::uint64_t fs_used[kMaxFs];      // size - free (root's reserve counts as used, as df)
  std::uint64_t fs_avail[kMaxFs];     // what an ordinary user can still write
  static constexpr std::uint8_t kFsValid = 1, kFsReadOnly = 2;
  // Whole block devices, in BoardInfo::disks order.
  std::uint16_t ndisk = 0;
  float disk_rd[kMaxDisks];           // bytes/s read; NaN on a device's first sighting or gone
  float disk_wr[kMaxDisks];           // bytes/s written
  float disk_busy[kMaxDisks];         // % of the period with I/O in flight (io_ticks)
  double disk_written[kMaxDisks];     // bytes written since boot; NaN when not in the reading
  AlertStatus alerts[kAlertCount];    // filled by Alerts::update, not by the Sampler
};

// Samples are copied by value (the history keeps its own compact record of each).
static_assert(std::is_trivially_copyable_v<Sample>, "Sample must be memcpy-able");
static_assert(kMaxCpus <= 0xFFFF && kMaxTemps <= 0xFFFF && kMaxIfaces <= 0xFFFF,
              "counts are stored as uint16_t");
static_assert(kMaxFs <= 0xFFFF && kMaxDisks <= 0xFFFF, "counts are stored as uint16_t");
static_assert(sizeof(Sample) <= 2 * sizeof(float) * kMaxCpus + 32 * kMaxFs + 24 * kMaxDisks +
                                    sizeof(AlertStatus) * kAlertCount + 640,
              "Sample grew beyond its per-core, per-filesystem and per-disk arrays plus a small "
              "fixed part; check what it costs");

// A fixed label (zone type, interface name); NUL-terminated, truncated to fit.
struct Name {
  char s[kNameLen] = {};
};

// What the board is; read once by the Sampler (interfaces, mounts, disks may come later).
struct BoardInfo {
  std::string model;     // device-tree model or DMI product name; "" = unknown
  std::string hostname;  // "" = unknown
  std::string kernel;    // kernel release, e.g. "6.6.51+rpt-rpi-v8"
  std::string arch;      // uname machine, e.g. "aarch64"
  int cores = 0;         // possible CPUs, capped at kMaxCpus
  std::size_t ntemp = 0;
  Name temp_names[kMaxTemps];
  std::size_t nifaces = 0;
  Name ifaces[kMaxIfaces];
  float temp_warn_c = kAbsent;  // lowest passive trip point of the first zone with trips
  float temp_crit_c = kAbsent;  // lowest critical trip point of that zone
  float freq_max_mhz = kAbsent; // highest cpuinfo_max_freq over cores
  // Storage mounts and whole disks seen so far (added as they appear, like interfaces).
  struct Fs {
    char mount[kPathLen] = {};
    char device[kPathLen] = {};
    char type[kFsTypeLen] = {};
  };
  std::size_t nfs = 0;
  Fs fs[kMaxFs];
  std::size_t ndisks = 0;
  Name disks[kMaxDisks];
  // Bumped whenever a name above is appended or replaced: pages need names before figures.
  std::uint32_t generation = 0;
  // A full table gives the slot of the entry gone longest (at least a minute) to a new
  // one. Per slot: the generation that did so last, 0 = never. Figures kept from before
  // that generation belong to the old name (histories blank them).
  std::uint32_t iface_reused[kMaxIfaces] = {};
  std::uint32_t fs_reused[kMaxFs] = {};
  std::uint32_t disk_reused[kMaxDisks] = {};
};

}  // namespace sbcmon::sampler
