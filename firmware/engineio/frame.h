// An outgoing packet encoded once and shared by every session it is queued on,
// laid out so a websocket writes it without a copy: spare bytes in front (the
// transport writes its frame header there, in place), a slot for the Engine.IO
// type byte, then the payload. No libwebsockets here: net/ checks LWS_PRE fits.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "engineio/packet.h"

namespace sbcmon::engineio {

class Frame;
// Shared by every queue it is on; freed when the last session has written it.
using Buffer = std::shared_ptr<Frame>;

// One session's websocket message, pointing into a Frame it keeps alive:
// `data` has Frame::kHeadroom writable bytes in front of it.
struct WsFrame {
  Buffer frame;
  char* data = nullptr;
  std::size_t size = 0;
  bool binary = false;
};

class Frame {
 public:
  // Bytes in front of the type slot that a transport may overwrite.
  static constexpr std::size_t kHeadroom = 16;

  // The start of a frame's bytes (headroom and type slot) for an encoder to
  // append the payload to, with room reserved for `payload` more bytes.
  static std::string begin(std::size_t payload = 0) {
    std::string bytes;
    bytes.reserve(kHeadroom + 1 + payload);
    bytes.assign(kHeadroom + 1, '\0');
    return bytes;
  }
  // A frame made from begin()'s bytes with the payload appended (not copied again).
  static Buffer adopt(std::string bytes) {
    if (bytes.size() < kHeadroom + 1) bytes.insert(0, kHeadroom + 1 - bytes.size(), '\0');
    return std::make_shared<Frame>(Private{}, std::move(bytes));
  }
  // A frame holding a copy of `payload`.
  static Buffer copy(std::string_view payload) {
    std::string bytes = begin(payload.size());
    bytes.append(payload);
    return adopt(std::move(bytes));
  }

  // The packet's payload (what a polling response or the memory budget sees).
  std::string_view payload() const { return std::string_view(bytes_).substr(kHeadroom + 1); }
  std::size_t size() const { return bytes_.size() - kHeadroom - 1; }

  // The websocket message of packet `type` for a session of `protocol`: a text
  // frame is the type digit and the payload; a binary one is the payload, after
  // a raw type byte for v3. Writes the type slot in place: the caller hands the
  // message to the kernel before asking for the next one (one thread).
  static WsFrame wire(Buffer frame, PacketType type, bool binary, Protocol protocol) {
    WsFrame out;
    Frame& f = *frame;
    char* slot = &f.bytes_[kHeadroom];
    if (!binary) {
      *slot = static_cast<char>('0' + static_cast<int>(type));
      out.data = slot;
    } else if (protocol == Protocol::kV3) {
      *slot = static_cast<char>(type);
      out.data = slot;
    } else {
      out.data = slot + 1;
    }
    out.size = f.bytes_.size() - static_cast<std::size_t>(out.data - f.bytes_.data());
    out.binary = binary;
    out.frame = std::move(frame);
    return out;
  }

  // Only through adopt()/copy(): a frame always has its headroom.
  struct Private {};
  Frame(Private, std::string bytes) : bytes_(std::move(bytes)) {}

 private:
  std::string bytes_;
};

}  // namespace sbcmon::engineio
