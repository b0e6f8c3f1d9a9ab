// libFuzzer entry point: the /proc/<pid> parsers (stat with any comm, statm, status).
// Must never crash or over-read; a parsed comm is terminated and fits kCommLen.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "sampler/procs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sm = sbcmon::sampler;
  const std::string copy(reinterpret_cast<const char*>(data), size);
  sm::ProcStat ps;
  if (sm::parse_proc_stat(copy, ps)) {
    if (!std::memchr(ps.comm, '\0', sizeof ps.comm)) __builtin_trap();
  }
  std::uint64_t pages = 0;
  (void)sm::parse_statm_rss(copy, pages);
  std::uint32_t uid = 0;
  (void)sm::parse_status_uid(copy, uid);
  return 0;
}
