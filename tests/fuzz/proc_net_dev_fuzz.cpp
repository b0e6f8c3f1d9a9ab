// libFuzzer entry point: the /proc/net/dev parser and the counter-wrap arithmetic.
// Must never crash or over-read; at most kMaxNetParse entries, names terminated.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "sampler/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sm = sbcmon::sampler;
  const std::string copy(reinterpret_cast<const char*>(data), size);
  static sm::NetReading r;
  r = sm::NetReading{};
  if (sm::parse_net_dev(copy, r)) {
    if (r.count > sm::kMaxNetParse) __builtin_trap();
    for (std::size_t i = 0; i < r.count; ++i) {
      if (std::memchr(r.entries[i].name, '\0', sizeof r.entries[i].name) == nullptr) __builtin_trap();
      (void)sm::counter_delta(r.entries[i].rx, r.entries[i].tx);
      (void)sm::counter_delta(r.entries[i].tx, r.entries[i].rx);
    }
  }
  return 0;
}
