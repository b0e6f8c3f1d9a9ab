// libFuzzer entry point: Engine.IO payload/packet decoders on arbitrary bytes.
// First byte picks the protocol; decoding must never crash or over-read.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engineio/packet.h"
#include "engineio/query.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace eio = sbcmon::engineio;
  if (size == 0) return 0;
  const auto proto = (data[0] & 1) ? eio::Protocol::kV3 : eio::Protocol::kV4;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string scratch;
  std::string reencoded;
  bool first = true;
  // A body that decodes must re-encode and decode again to the same packets count.
  std::size_t count = 0;
  const bool ok = eio::for_each_payload_packet(in, proto, scratch, [&](const eio::Packet& p) {
    eio::append_payload_packet(reencoded, proto, p.type, p.binary, p.data, first);
    first = false;
    ++count;
    return true;
  });
  if (ok && count > 0) {
    std::size_t again = 0;
    const bool ok2 = eio::for_each_payload_packet(reencoded, proto, scratch, [&](const eio::Packet&) {
      ++again;
      return true;
    });
    if (!ok2 || again != count) __builtin_trap();
  }
  (void)eio::decode_text_packet(in);
  (void)eio::decode_binary_frame(in, proto);
  (void)eio::parse_query(in);
  (void)eio::utf16_length(in);
  std::string bytes;
  if (eio::base64_decode(in, bytes)) {
    // Whatever decodes re-encodes (canonically) to text that decodes to the same bytes.
    std::string text, again;
    eio::base64_encode(bytes, text);
    if (!eio::base64_decode(text, again) || again != bytes) __builtin_trap();
  }
  return 0;
}
