// libFuzzer entry point: the /proc/stat parser and the busy-% arithmetic on what
// it reads. Must never crash, over-read or hit undefined behaviour (overflow in
// the tick sums, index past kMaxCpus); a percentage is NaN or within 0..100.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "sampler/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sm = sbcmon::sampler;
  const std::string copy(reinterpret_cast<const char*>(data), size);
  // The input is two readings one after the other, cut at the first '\f'.
  const std::string_view all(copy);
  const std::size_t cut = all.find('\f');
  const std::string_view a = all.substr(0, cut);
  const std::string_view b = cut == std::string_view::npos ? all : all.substr(cut + 1);
  static sm::StatReading prev, cur;
  prev = sm::StatReading{};
  cur = sm::StatReading{};
  const bool ok1 = sm::parse_stat(a, prev);
  const bool ok2 = sm::parse_stat(b, cur);
  if (ok1 && ok2) {
    auto check = [](float p) {
      if (!std::isnan(p) && (p < 0.0f || p > 100.0f)) __builtin_trap();
    };
    if (prev.all_valid && cur.all_valid) check(sm::cpu_percent(prev.all, cur.all));
    for (std::size_t i = 0; i < sm::kMaxCpus; ++i) {
      if (prev.online[i] && cur.online[i]) check(sm::cpu_percent(prev.cpu[i], cur.cpu[i]));
    }
  }
  return 0;
}
