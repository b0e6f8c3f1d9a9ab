// libFuzzer entry point: the /proc/diskstats and /sys/block/<dev>/stat parsers and the
// whole-device filter.
// Must never crash or over-read; at most kMaxDiskParse entries, each a whole device
// with a terminated name, and counter deltas between any two entries defined.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "sampler/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sm = sbcmon::sampler;
  const std::string copy(reinterpret_cast<const char*>(data), size);
  static sm::DiskReading r;
  r = sm::DiskReading{};
  (void)sm::parse_diskstats(copy, r);
  if (r.count > sm::kMaxDiskParse) __builtin_trap();
  for (std::size_t i = 0; i < r.count; ++i) {
    const sm::DiskEntry& e = r.entries[i];
    if (!std::memchr(e.name, '\0', sizeof e.name)) __builtin_trap();
    if (!sm::is_whole_disk(e.name)) __builtin_trap();
    (void)sm::counter_delta(e.written_sectors, e.read_sectors);
  }
  // A per-disk stat file: counters only, the entry's name untouched.
  sm::DiskEntry one;
  std::memcpy(one.name, "sda", 4);
  if (sm::parse_block_stat(copy, one) && std::strcmp(one.name, "sda") != 0) __builtin_trap();
  (void)sm::is_whole_disk(copy.substr(0, 40));
  return 0;
}
