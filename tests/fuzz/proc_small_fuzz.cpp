// libFuzzer entry point: the one-value /proc and /sys parsers (loadavg, uptime,
// cpu lists, hex get_throttled, decimal u64/i64, operstate). Each runs on the same bytes;
// none may crash, over-read or hit undefined behaviour (e.g. float->int casts).
#include <cstddef>
#include <cstdint>
#include <string>

#include "sampler/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sm = sbcmon::sampler;
  const std::string copy(reinterpret_cast<const char*>(data), size);
  const std::string_view in(copy);
  float load[3];
  (void)sm::parse_loadavg(in, load);
  double up = 0;
  (void)sm::parse_uptime(in, up);
  int max_index = -1;
  if (sm::parse_cpu_list(in, max_index) && max_index < 0) __builtin_trap();
  std::uint32_t raw = 0;
  if (sm::parse_hex_u32(in, raw)) (void)sm::decode_throttled(raw);
  std::uint64_t u = 0;
  (void)sm::parse_u64(in, u);
  std::int64_t i = 0;
  (void)sm::parse_i64(in, i);
  const sm::OperState st = sm::parse_operstate(in);
  if ((st == sm::OperState::kAbsent) != (*sm::operstate_name(st) == '\0')) __builtin_trap();
  return 0;
}
