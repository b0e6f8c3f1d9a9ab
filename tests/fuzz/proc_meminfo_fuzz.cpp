// libFuzzer entry point: the /proc/meminfo parser. Must never crash or over-read;
// a figure is only set when its line was there.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sampler/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sm = sbcmon::sampler;
  const std::string copy(reinterpret_cast<const char*>(data), size);
  sm::MemReading m;
  const bool ok = sm::parse_meminfo(copy, m);
  if (ok != (m.has_total || m.has_avail || m.has_swap_total || m.has_swap_free)) __builtin_trap();
  return 0;
}
