// Socket.IO server logic: namespaces, events, acks, broadcast — protocol v5
// (over Engine.IO v4) and v4 (over Engine.IO v3). Pure: no lws; it reaches the
// wire only through EngineLink, which firmware/net implements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engineio/frame.h"
#include "engineio/packet.h"
#include "engineio/sid.h"
#include "util/budget.h"

namespace sbcmon::socketio {

// Opaque handle of one Engine.IO session, chosen by the engine layer.
using SessionHandle = std::uint32_t;
// An encoded packet shared by every session it is queued on (encode once, send many).
using Buffer = engineio::Buffer;
// No deadline pending (next_deadline()).
inline constexpr std::uint64_t kNoDeadline = UINT64_MAX;

// What the Socket.IO layer needs from the Engine.IO layer.
class EngineLink {
 public:
  virtual ~EngineLink() = default;
  // Queues one Engine.IO message packet (type 4) whose payload is `packet`.
  // False when the session is gone or over its queue cap; the engine layer then
  // closes it (the slow-client policy), so callers need not retry.
  virtual bool send(SessionHandle session, Buffer packet, bool binary) = 0;
  // Closes the Engine.IO session; Server::on_close follows.
  virtual void close(SessionHandle session) = 0;
  // A CONNECT on `session` was refused for a wrong or missing token; the engine
  // layer may make that client address back off.
  virtual void auth_failed(SessionHandle /*session*/) {}
  // A CONNECT on `session` passed the token check.
  virtual void auth_succeeded(SessionHandle /*session*/) {}
};

// One socket: a session joined to one namespace.
struct SocketId {
  SessionHandle session = 0;
  std::uint16_t nsp = 0;
  bool operator==(const SocketId& o) const { return session == o.session && nsp == o.nsp; }
};

// Binary attachments of a BINARY_EVENT / BINARY_ACK, in placeholder order.
struct Attachments {
  const std::string_view* items = nullptr;
  std::size_t count = 0;
};

// An event as received. `args` is the raw JSON of the arguments after the
// event name, comma-separated and byte-exact as the client sent them ("" for none).
struct Event {
  SocketId socket;
  std::string_view name;
  std::string_view args;
  Attachments attachments;
  std::optional<std::uint64_t> ack_id;  // set when the client wants an ack
};

struct NamespaceHandlers {
  // Decides a CONNECT. `auth` is the raw JSON of the auth payload (v5), or a
  // JSON object made from the namespace query (v4 clients), or "" when none.
  // Return false to refuse: the client gets CONNECT_ERROR {"message":<refusal>}.
  std::function<bool(SocketId, std::string_view auth)> authorize;
  // After the CONNECT reply went out; emits made here follow it on the wire.
  std::function<void(SocketId, std::string_view auth)> on_connect;
  std::function<void(SocketId)> on_disconnect;
  std::function<void(const Event&)> on_event;
  std::string refusal = "unauthorized";
};

struct ServerOptions {
  std::uint32_t connect_timeout_ms = 45000;  // no CONNECT in time -> session closed
  // When set, every CONNECT must carry auth {"token": <this>} (v5) or ?token= in
  // the namespace or handshake query (v4); otherwise CONNECT_ERROR "unauthorized"
  // and no handler runs. Compared in constant time; never logged.
  std::string token;
  // Refused CONNECTs (token or authorize) one session may make before it is closed.
  std::uint32_t max_auth_failures = 3;
  // Partial binary attachments are reserved here (inbound); nullptr = unbounded.
  util::MemoryBudget* budget = nullptr;
  // Socket ids come from here (the Engine.IO layer's generator, shared);
  // nullptr = the server makes its own. Must outlive it.
  engineio::SidGenerator* sids = nullptr;
};

// True when the auth JSON carries {"token": <token>}; constant time in the token.
bool auth_has_token(std::string_view auth_json, std::string_view token);

class Server {
 public:
  static constexpr std::size_t kMaxNamespaces = 8;
  // Pending server->client acks per socket; the oldest is forgotten when full.
  static constexpr std::size_t kMaxPendingAcks = 16;

  Server(EngineLink& link, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Registers a namespace ("/" or "/name"). Returns its index, or nullopt when
  // the name is invalid, already taken, or kMaxNamespaces are registered.
  std::optional<std::uint16_t> add_namespace(std::string_view name, NamespaceHandlers handlers);

  // --- called by the engine layer -----------------------------------------
  // A new Engine.IO session. A v3 session is a Socket.IO v4 client: it is
  // connected to "/" at once (CONNECT "0" sent), as the 2.x servers do.
  // `handshake_query` is the Engine.IO handshake's query string; a v3 client's
  // token for "/" travels there.
  void on_open(SessionHandle session, engineio::Protocol protocol, std::uint64_t now_ms,
               std::string_view handshake_query = {});
  // One Engine.IO message. Anything malformed closes that session only.
  void on_message(SessionHandle session, std::string_view data, bool binary);
  // The session is gone: every socket on it is disconnected (handlers run).
  void on_close(SessionHandle session);
  // Closes sessions that joined no namespace within connect_timeout_ms.
  void tick(std::uint64_t now_ms);
  // When tick() next has something to do: the earliest connect timeout of a
  // session not yet joined; kNoDeadline when none is pending.
  std::uint64_t next_deadline() const;
  // True once the session joined a namespace (so passed the token, if any).
  bool joined_any(SessionHandle session) const;
  // Replaces the token CONNECTs must carry ("" = open); sessions already joined stay.
  void set_token(std::string token);

  // --- API for the rest of the firmware ------------------------------------
  // Emits `event` with raw JSON `args` ("a,b" without brackets; "" for none) to one socket.
  bool emit(SocketId to, std::string_view event, std::string_view args, Attachments att = {});
  // Emits expecting an ack; `on_ack(args)` runs with the raw JSON of the ack's arguments.
  bool emit_with_ack(SocketId to, std::string_view event, std::string_view args,
                     std::function<void(std::string_view args)> on_ack);
  // Answers a client's ack request with raw JSON `args`.
  bool ack(SocketId to, std::uint64_t id, std::string_view args, Attachments att = {});
  // Encodes once and queues to every socket of namespace `nsp`; returns how many got it.
  std::size_t broadcast(std::uint16_t nsp, std::string_view event, std::string_view args);
  // Server-side disconnect of one socket (DISCONNECT sent; handlers run).
  void disconnect(SocketId socket);
  // Sockets currently connected to namespace `nsp`.
  std::size_t connected(std::uint16_t nsp) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sbcmon::socketio
