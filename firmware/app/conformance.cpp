// The conformance server: echoes what a conformance client sends, nothing else.
#include "app/conformance.h"

namespace sbcmon::app {

bool install_conformance(socketio::Server& sio) {
  for (const char* name : {"/", "/custom"}) {
    socketio::NamespaceHandlers h;
    h.authorize = [](socketio::SocketId, std::string_view) { return true; };
    h.on_connect = [&sio](socketio::SocketId s, std::string_view auth) {
      // The reference server's handshake.auth is {} when the client sent none.
      sio.emit(s, "auth", auth.empty() ? std::string_view("{}") : auth);
    };
    h.on_event = [&sio](const socketio::Event& e) {
      if (e.name == "message") {
        sio.emit(e.socket, "message-back", e.args, e.attachments);
      } else if (e.name == "message-with-ack" && e.ack_id) {
        sio.ack(e.socket, *e.ack_id, e.args, e.attachments);
      }
    };
    if (!sio.add_namespace(name, std::move(h))) return false;
  }
  return true;
}

}  // namespace sbcmon::app
