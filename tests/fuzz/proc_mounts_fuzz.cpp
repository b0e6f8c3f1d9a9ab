// libFuzzer entry point: the mount-table parser (octal escapes, storage filter, dedup).
// Must never crash or over-read; at most kMaxMountParse entries, every field terminated,
// every kept mount point absolute and free of NULs.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "sampler/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sm = sbcmon::sampler;
  const std::string copy(reinterpret_cast<const char*>(data), size);
  static sm::MountReading r;
  r = sm::MountReading{};
  (void)sm::parse_mounts(copy, r);
  if (r.count > sm::kMaxMountParse) __builtin_trap();
  for (std::size_t i = 0; i < r.count; ++i) {
    const sm::MountEntry& e = r.entries[i];
    if (!std::memchr(e.device, '\0', sizeof e.device) || !std::memchr(e.mountpoint, '\0', sizeof e.mountpoint) ||
        !std::memchr(e.fstype, '\0', sizeof e.fstype)) {
      __builtin_trap();
    }
    if (e.mountpoint[0] != '/') __builtin_trap();
    if (!sm::is_storage_mount(e.fstype, e.device, e.mountpoint)) __builtin_trap();
  }
  return 0;
}
