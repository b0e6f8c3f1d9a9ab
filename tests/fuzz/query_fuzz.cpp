// libFuzzer entry point: Engine.IO request query parsing. Never fails, never
// over-reads; whatever it returns views the input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engineio/query.h"

namespace {
bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace eio = sbcmon::engineio;
  // A heap copy of exactly `size` bytes, so ASan sees any read past the end.
  const std::string copy(reinterpret_cast<const char*>(data), size);
  const std::string_view in(copy);
  const eio::Query q = eio::parse_query(in);
  if (!inside(q.sid, in) || !inside(q.transport_raw, in)) __builtin_trap();
  for (const char* key : {"EIO", "transport", "sid", "b64", "t", "", "&", "="}) {
    if (auto v = eio::query_param(in, key)) {
      if (!inside(*v, in)) __builtin_trap();
    }
  }
  return 0;
}
