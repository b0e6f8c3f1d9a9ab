// Reads the board's vitals from a proc root and a sys root (the real /proc and /sys, or
// a fixture tree) into fixed-size Samples. After construction a tick never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sampler/kept_file.h"
#include "sampler/link_events.h"
#include "sampler/parse.h"
#include "sampler/sample.h"

namespace sbcmon::sampler {

struct SamplerState;  // previous readings and parse scratch (large; kept off the stack)

class Sampler {
 public:
  // Discovers cores, sensors, cpufreq, Pi power and interfaces under the two roots and
  // reads the board identity. Never fails: whatever is missing is reported absent.
  explicit Sampler(std::string proc_root = "/proc", std::string sys_root = "/sys");
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Board identity and sensor/interface names; interfaces, mounts and disks seen later are
  // appended, or take the slot of one gone for a minute when their table is full.
  const BoardInfo& board() const { return board_; }

  // Takes one reading stamped with the current wall clock; fills every field of `out`.
  // The first call is the CPU/network baseline: those figures are absent (NaN).
  void sample(Sample& out);

  // Same, with explicit clocks (ms since epoch for `t`, monotonic ns for rates) so tests
  // and replays are deterministic.
  void sample(Sample& out, std::int64_t wall_ms, std::int64_t mono_ns);

  // The /proc/stat counters (USER_HZ ticks) of the last good reading; nullptr before one.
  // For cumulative exports (Prometheus): the Sample carries only percentages.
  const StatReading* last_stat() const;

  // Byte counters of interface `slot` (BoardInfo::ifaces order) as last read, raw (they may
  // wrap at 2^32 on armhf). False when that interface was not in the last reading.
  bool net_bytes(std::size_t slot, std::uint64_t& rx, std::uint64_t& tx) const;

  // Cumulative counters of disk `slot` (BoardInfo::disks order) as last read: bytes read,
  // bytes written, ms with I/O in flight. False when that device was not in the last reading.
  bool disk_counters(std::size_t slot, std::uint64_t& read_bytes, std::uint64_t& written_bytes,
                     std::uint64_t& io_ms) const;

 private:
  void discover_cpus();
  void discover_thermal();
  void discover_hwmon();
  void discover_power();
  void read_identity();
  void read_cpu(Sample& out);
  void read_memory(Sample& out);
  void read_sensors(Sample& out);
  void read_power(Sample& out);
  void read_net(Sample& out, std::int64_t mono_ns);
  // Operstate and speed per interface slot: read on the ticks the kernel announced a link
  // change (every tick without the announcements), else last reading's figures again.
  void read_links(Sample& out);
  void read_filesystems(Sample& out, std::int64_t mono_ns);
  void read_disks(Sample& out, std::int64_t mono_ns);
  // The whole-disk counters into `disks`: from each known disk's /sys/block/<name>/stat on
  // most ticks, from /proc/diskstats every kDiskRescanTicks (new disks), whenever one of
  // those files fails, and always where they are not there (a fixture tree).
  bool read_disk_table(DiskReading& disks);
  // Points disk_stat_[e] at entry e's stat file (made again only when the name at e
  // changed) after a full read of diskstats.
  void bind_disk_files(const DiskReading& disks);
  // Appends interface `name` (and its link-state files, read on the next tick); false when
  // the table is full.
  bool add_iface(std::string_view name);
  // Gives interface slot `slot` to `name`: its link-state files re-pointed (read on the
  // next tick), its counters and link backoff forgotten (the next reading is a baseline).
  // Allocates (rare).
  void reuse_iface(std::size_t slot, std::string_view name);
  // Reads a small sysfs value into the scratch buffer; false when absent/unreadable.
  bool read_small(KeptFile& f, std::string_view& out);
  // True when the proc root is the real /proc (not a fixture tree).
  bool live_proc() const { return proc_root_ == "/proc"; }

  std::string proc_root_;
  std::string sys_root_;
  BoardInfo board_;
  std::uint64_t tick_ = 0;

  KeptFile stat_, meminfo_, loadavg_, uptime_, net_dev_, mounts_, diskstats_;
  // /sys/block/<name>/stat per DiskReading entry; ok while bound to the last full read.
  std::vector<KeptFile> disk_stat_;
  bool disk_files_ok_ = false;
  static constexpr std::uint64_t kDiskRescanTicks = 10;
  std::vector<KeptFile> operstate_, speed_;  // per BoardInfo::ifaces slot
  // Open only on the real /sys: a fixture tree's files change with no kernel to tell.
  LinkEvents link_events_;
  std::string fs_prefix_;  // statvfs path of mount point M is fs_prefix_ + M
  KeptFile throttled_;  // get_throttled, when present at start-up
  KeptFile rpi_volt_;   // in0_lcrit_alarm of the hwmon named "rpi_volt", when present
  std::vector<KeptFile> freq_;   // per core, empty when the board has no cpufreq
  std::vector<KeptFile> temps_;  // one per BoardInfo::temp_names entry

  std::unique_ptr<char[]> big_;  // /proc/stat, /proc/meminfo, /proc/net/dev (kBigBuf bytes)
  char small_[256] = {};   // sysfs single values
  char path_[512] = {};    // statvfs path scratch
  std::unique_ptr<SamplerState> st_;
};

}  // namespace sbcmon::sampler
