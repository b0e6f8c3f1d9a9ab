// libFuzzer entry point: a Socket.IO Server fed arbitrary messages on a few
// sessions (both protocols). Must never crash; malformed input only closes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "socketio/packet.h"
#include "socketio/server.h"

namespace {
class NullLink : public sbcmon::socketio::EngineLink {
 public:
  sbcmon::socketio::Server* server = nullptr;
  bool send(sbcmon::socketio::SessionHandle, sbcmon::socketio::Buffer, bool) override { return true; }
  void close(sbcmon::socketio::SessionHandle s) override { server->on_close(s); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sio = sbcmon::socketio;
  NullLink link;
  sio::Server server(link, sio::ServerOptions{});
  link.server = &server;
  sio::NamespaceHandlers h;
  h.on_event = [&](const sio::Event& ev) {
    if (ev.ack_id) server.ack(ev.socket, *ev.ack_id, ev.args, ev.attachments);
    server.emit(ev.socket, ev.name, ev.args, ev.attachments);
  };
  server.add_namespace("/", h);
  server.add_namespace("/test", h);
  server.on_open(1, sbcmon::engineio::Protocol::kV4, 0);
  server.on_open(2, sbcmon::engineio::Protocol::kV3, 0);
  // Messages are separated by 0xFE; a leading 0xFD marks a binary message and
  // bit 0 of the next byte picks the session.
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty()) {
    const std::size_t cut = in.find('\xfe');
    std::string_view msg = in.substr(0, cut);
    in = cut == std::string_view::npos ? std::string_view{} : in.substr(cut + 1);
    if (msg.empty()) continue;
    const bool binary = msg[0] == '\xfd';
    if (binary) msg.remove_prefix(1);
    if (msg.empty()) continue;
    const sio::SessionHandle s = (static_cast<unsigned char>(msg[0]) & 1) + 1;
    server.on_message(s, msg.substr(1), binary);
  }
  server.broadcast(0, "x", "1");
  server.tick(1u << 30);
  (void)sio::is_json(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
