// Template half of packet.h: for_each_payload_packet is a thin loop over a
// non-template cursor (packet.cpp) so the parsing code is compiled once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sbcmon::engineio::detail {

// Walks a polling payload one packet at a time.
class PayloadCursor {
 public:
  enum class Step : unsigned char { kPacket, kEnd, kError };

  // `validate_only`: check syntax (base64 included) without decoding binary,
  // so a whole body can be vetted before any packet is delivered.
  PayloadCursor(std::string_view body, Protocol proto, bool validate_only);
  // Produces the next packet into `out` (binary bytes go to `scratch`).
  // kEnd after the last packet; kError on malformed input (then stays in error).
  Step next(Packet& out, std::string& scratch);

 private:
  Step next_v4(Packet& out, std::string& scratch);
  Step next_v3_text(Packet& out, std::string& scratch);
  Step next_v3_binary(Packet& out);

  std::string_view body_;
  std::size_t pos_ = 0;
  Protocol proto_;
  bool validate_only_;
  bool v3_binary_form_ = false;
  bool failed_ = false;
};

}  // namespace sbcmon::engineio::detail

namespace sbcmon::engineio {

template <typename Fn>
bool for_each_payload_packet(std::string_view body, Protocol proto, std::string& scratch, Fn&& fn) {
  Packet packet;
  {
    // First pass: all-or-nothing, so a bad item late in a POST does not leave
    // earlier packets half-applied (the engine answers such a POST 400).
    detail::PayloadCursor check(body, proto, true);
    detail::PayloadCursor::Step step;
    while ((step = check.next(packet, scratch)) == detail::PayloadCursor::Step::kPacket) {
    }
    if (step == detail::PayloadCursor::Step::kError) return false;
  }
  detail::PayloadCursor cursor(body, proto, false);
  for (;;) {
    switch (cursor.next(packet, scratch)) {
      case detail::PayloadCursor::Step::kEnd:
        return true;
      case detail::PayloadCursor::Step::kError:
        return false;
      case detail::PayloadCursor::Step::kPacket:
        if (!fn(static_cast<const Packet&>(packet))) return true;
        break;
    }
  }
}

}  // namespace sbcmon::engineio
