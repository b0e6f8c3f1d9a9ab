// libFuzzer entry point: the Socket.IO packet codec and JSON scanner on arbitrary
// text. Decoding must never crash or over-read; a header that decodes must
// re-encode to a header that decodes to the same type, namespace and id.
#include <cstddef>
#include <cstdint>
#include <string>

#include "socketio/packet.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sio = sbcmon::socketio;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (const auto h = sio::decode_header(in)) {
    (void)sio::split_event(h->payload);
    (void)sio::split_ack(h->payload);
    (void)sio::is_json_object(h->payload);
    std::string out;
    sio::append_header(out, h->type, h->attachments, h->nsp, h->id);
    out += h->payload;
    const auto again = sio::decode_header(out);
    if (!again || again->type != h->type || again->id != h->id) __builtin_trap();
    if (auto ev = sio::split_event(h->payload)) {
      std::string name;
      (void)sio::unescape_json_string(ev->name_token, name);
    }
  }
  (void)sio::scan_json_value(in, 0);
  if (sio::is_json(in)) {
    std::string s;
    (void)sio::unescape_json_string(in, s);
  }
  std::string quoted;
  sio::append_json_string(quoted, in);
  std::string back;
  // Escaping then unescaping is the identity (for any bytes, valid UTF-8 or not).
  if (!sio::unescape_json_string(quoted, back) || back != in) __builtin_trap();
  (void)sio::query_to_json(in);
  return 0;
}
