// Parsers for the /proc and /sys text the sampler reads. Each takes a string_view,
// never allocates, and returns false (or leaves a figure unset) on malformed input.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sampler/sample.h"

namespace sbcmon::sampler {

// One /proc/stat cpu line, in USER_HZ ticks.
struct CpuTimes {
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0;
  std::uint64_t irq = 0, softirq = 0, steal = 0, guest = 0, guest_nice = 0;
};

// The cpu lines of /proc/stat. cpu[N] is valid iff online[N] ("cpuN" present).
struct StatReading {
  bool all_valid = false;
  CpuTimes all;
  std::bitset<kMaxCpus> online;
  CpuTimes cpu[kMaxCpus];
  int max_index = -1;  // highest N seen in "cpuN" (even if >= kMaxCpus)
};

// Busy % from prev to cur: busy = user+nice+system+irq+softirq+steal (guest is already
// inside user/nice), idle = idle+iowait; each field's delta clamped at 0. NaN if no tick.
float cpu_percent(const CpuTimes& prev, const CpuTimes& cur);

// Parses the cpu lines of /proc/stat (64-bit counters). False if no "cpu" line at all.
bool parse_stat(std::string_view text, StatReading& out);

struct MemReading {
  bool has_total = false, has_avail = false, has_swap_total = false, has_swap_free = false;
  std::uint64_t total_kb = 0, avail_kb = 0, swap_total_kb = 0, swap_free_kb = 0;
};
// Picks MemTotal/MemAvailable/SwapTotal/SwapFree (kB) from /proc/meminfo. False if none.
bool parse_meminfo(std::string_view text, MemReading& out);

// Reads the three load averages of /proc/loadavg. False if malformed.
bool parse_loadavg(std::string_view text, float (&out)[3]);

// Reads the first number of /proc/uptime (seconds). False if malformed.
bool parse_uptime(std::string_view text, double& out);

// A single decimal unsigned value with optional surrounding whitespace. False otherwise.
bool parse_u64(std::string_view text, std::uint64_t& out);

// A single decimal signed value (sysfs temperatures can be negative). False otherwise.
bool parse_i64(std::string_view text, std::int64_t& out);

// Hex without "0x" (get_throttled); a "0x" prefix is tolerated. False if malformed/too big.
bool parse_hex_u32(std::string_view text, std::uint32_t& out);

// A kernel CPU list ("0-3", "0-1,3", "0"); sets the highest index. False if malformed/empty.
bool parse_cpu_list(std::string_view text, int& max_index);

// One interface's byte counters from /proc/net/dev.
struct NetEntry {
  char name[kNameLen] = {};
  std::uint64_t rx = 0, tx = 0;
};
inline constexpr std::size_t kMaxNetParse = 32;  // lines looked at; the rest are ignored
struct NetReading {
  std::size_t count = 0;
  NetEntry entries[kMaxNetParse];
};
// Parses /proc/net/dev, skipping the two header lines and loopback. False if no header.
bool parse_net_dev(std::string_view text, NetReading& out);

// One line of the mount table (/proc/self/mounts), octal escapes (\040) decoded.
struct MountEntry {
  char device[kPathLen] = {};
  char mountpoint[kPathLen] = {};
  char fstype[kFsTypeLen] = {};
  bool ro = false;
};
inline constexpr std::size_t kMaxMountParse = 64;  // storage mounts kept; the rest are ignored
struct MountReading {
  std::size_t count = 0;
  MountEntry entries[kMaxMountParse];
};
// True for a filesystem on a block device that holds data (ext4, vfat, f2fs, btrfs, xfs,
// exfat, ...), or the overlay root of a read-only setup; false for proc, tmpfs, cgroup...
bool is_storage_mount(std::string_view fstype, std::string_view device, std::string_view mountpoint);
// Parses the mount table keeping storage mounts only, one per device (the first mount of a
// device; bind mounts repeat it). False if a line is malformed before any entry is kept.
bool parse_mounts(std::string_view text, MountReading& out);

// One whole block device's counters from /proc/diskstats (sectors are 512 bytes there).
struct DiskEntry {
  char name[kNameLen] = {};
  std::uint64_t read_sectors = 0, written_sectors = 0, io_ms = 0;
};
inline constexpr std::size_t kMaxDiskParse = 32;
struct DiskReading {
  std::size_t count = 0;
  DiskEntry entries[kMaxDiskParse];
};
// True for a whole device (mmcblk0, sda, nvme0n1, zram0, vda, md0); false for partitions
// (mmcblk0p1, sda1, nvme0n1p2), mmc boot areas, loop and ram devices.
bool is_whole_disk(std::string_view name);
// Parses /proc/diskstats keeping whole devices. False if no line has the 14 leading fields.
bool parse_diskstats(std::string_view text, DiskReading& out);
// Parses /sys/block/<dev>/stat (diskstats' counters without the name) into e's counters;
// e's name is left alone. False unless the 11 leading fields are there.
bool parse_block_stat(std::string_view text, DiskEntry& e);

// /sys/class/net/<if>/operstate as a small code; kOperAbsent when the text is unknown.
enum class OperState : std::uint8_t { kAbsent = 0, kUp, kDown, kDormant, kLowerLayerDown, kNotPresent, kTesting, kUnknown };
OperState parse_operstate(std::string_view text);
// The kernel's word for a code ("up", "down", ...); "" for kAbsent.
const char* operstate_name(OperState s);

// Decodes a get_throttled word; every bit is known.
Throttle decode_throttled(std::uint32_t raw);

// Bytes between two readings of a counter that may be 32-bit on armhf kernels:
// a drop from near 2^32 to near 0 is a wrap, any other drop counts as 0 (reset).
std::uint64_t counter_delta(std::uint64_t prev, std::uint64_t cur);

}  // namespace sbcmon::sampler
