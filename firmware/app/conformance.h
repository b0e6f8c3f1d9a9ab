// --conformance: what socket.io's own conformance tests expect of a server.
#pragma once

#include "socketio/server.h"

namespace sbcmon::app {

// Registers "/" and "/custom": on connect emit("auth", <connect payload>);
// "message" -> emit("message-back", same args); "message-with-ack" -> ack(same args).
// False if the namespaces could not be registered.
bool install_conformance(socketio::Server& sio);

}  // namespace sbcmon::app
