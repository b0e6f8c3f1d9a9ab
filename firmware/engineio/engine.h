// The Engine.IO server without sockets: the fixed session table with generation
// handles, the one request verifier, handshakes, heartbeats and upgrades, fed
// one transport event at a time with the time as an argument. It reaches the
// transport only through Port; outbound data is pulled (take_payload,
// take_frame). It is the socketio::EngineLink the Socket.IO layer sends through.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/packet.h"
#include "engineio/query.h"
#include "engineio/session.h"
#include "engineio/sid.h"
#include "socketio/server.h"
#include "util/budget.h"
#include "util/live_list.h"

namespace sbcmon::engineio {

using socketio::SessionHandle;

// /socket.io/ (the Socket.IO layer) or /engine.io/ (raw echo, conformance mode).
enum class Endpoint : std::uint8_t { kSocketIo, kEcho };
// The connections a session can hold at once: a held GET, a POST, a websocket
// (the probe until the upgrade completes).
enum class Channel : std::uint8_t { kPoll, kPost, kWebSocket };
// Why the engine hangs up a websocket: normal close, or 1009 (message too big).
enum class Reason : std::uint8_t { kNormal, kMessageTooBig };
enum class Method : std::uint8_t { kGet, kPost, kHead, kOptions, kOther };

// What the engine needs from the transport glue.
class Port {
 public:
  virtual ~Port() = default;
  // `channel` of `session` has something to send: ask for a writeable callback.
  virtual void wake(SessionHandle session, Channel channel) = 0;
  // The engine dropped that connection from the session: close it.
  virtual void hang_up(SessionHandle session, Channel channel, Reason reason) = 0;
  // The Socket.IO layer refused (`ok` false) or accepted a token from `addr`.
  virtual void auth_result(std::string_view /*addr*/, bool /*ok*/) {}
};

struct EngineConfig {
  Limits limits;
  std::size_t max_sessions = 64;  // <= config::kMaxSessions
  // Everything clients make the process hold (queues, bodies, messages) is
  // reserved here when set; it must outlive the engine.
  util::MemoryBudget* budget = nullptr;
};

// One request as the glue saw it.
struct Request {
  Endpoint endpoint = Endpoint::kSocketIo;
  Method method = Method::kGet;
  bool websocket = false;        // a websocket handshake (Upgrade: websocket)
  bool origin_ok = true;         // the Origin is the board's own or allowed
  std::string_view query;        // without '?'
};

struct Verdict {
  enum class Kind : std::uint8_t { kHandshake, kSession, kPreflight, kError };
  Kind kind = Kind::kError;
  ErrorCode error = ErrorCode::kBadRequest;
  Query query;
  SessionHandle session = 0;  // kSession
};

// Counters for /metrics; all monotonic.
struct Counters {
  std::uint64_t sessions_opened = 0;   // sessions ever opened
  std::uint64_t sessions_refused = 0;  // handshakes refused because the table was full
  std::uint64_t sessions_dropped = 0;  // closed for falling behind (queue over its cap)
  std::uint64_t packets_queued = 0;    // packets queued to clients
  std::uint64_t over_budget = 0;       // sessions refused or closed by the memory budget
};

enum class Opened : std::uint8_t { kOk, kFull, kClosed };
enum class PollStart : std::uint8_t { kAnswer, kHold, kRefuse };
// kDrain: over maxPayload but small enough to read and drop before the 413;
// kTooLarge: answer 413 and hang up.
enum class PostStart : std::uint8_t { kRead, kDrain, kTooLarge, kRefuse };
enum class PostEnd : std::uint8_t { kOk, kBad, kUnknownSid };
// kTooBig also covers a message the memory budget has no room for.
enum class WsData : std::uint8_t { kOk, kTooBig };
enum class PostBody : std::uint8_t { kOk, kTooLarge, kOverBudget };

class Engine final : public socketio::EngineLink {
 public:
  // `sids` must outlive the engine. The Socket.IO layer is attached after.
  Engine(const EngineConfig& config, Port& port, SidGenerator& sids);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The Socket.IO layer that /socket.io/ sessions feed (nullptr: none).
  void attach(socketio::Server* sio) { sio_ = sio; }

  // Checks method, transport, EIO, sid, upgrade and origin of one request, in
  // the reference server's order. kError carries the code to answer with.
  Verdict verify(const Request& request) const;

  // False (and counted as refused) when the table has no room for a handshake.
  bool admit();
  // A handshake verify() accepted. kOk sets `out`; the open packet is queued and
  // the Socket.IO layer told. For a websocket the caller then asks for a
  // writeable callback itself. kClosed: the upper layer refused it at once.
  Opened open(Endpoint endpoint, Protocol protocol, bool websocket, bool b64,
              std::string_view query, std::uint64_t now, SessionHandle& out,
              std::string_view addr = {});
  // Sessions held by client address `addr`, and how many of them joined no
  // Socket.IO namespace yet.
  void count_from(std::string_view addr, std::size_t& sessions, std::size_t& unjoined) const;

  // A polling GET: answer now (take_payload), hold it, or refuse (400: a second
  // concurrent poll, which also closes the session, as the reference does).
  PollStart poll(SessionHandle h);
  // The response for a GET of `h` into `out`; kNone: keep holding. Detaches the GET.
  Payload take_payload(SessionHandle h, std::string& out);

  // A POST: `declared` is its Content-Length (0 when none).
  PostStart post_begin(SessionHandle h, std::uint64_t declared);
  // Part of the body. kTooLarge: over maxPayload (answer 413, hang up);
  // kOverBudget: no memory for it, the session is closed (answer 503, hang up).
  PostBody post_body(SessionHandle h, std::string_view part);
  // The body is complete: its packets are handled.
  PostEnd post_end(SessionHandle h, std::uint64_t now);

  // A probe websocket for a polling session. False: refuse it (close it at once).
  bool ws_attach(SessionHandle h, std::uint64_t now);
  // A websocket fragment. kTooBig: the session is closed, the caller closes
  // with 1009 (the engine does not call hang_up for it).
  WsData ws_data(SessionHandle h, std::string_view part, bool first, bool last, bool binary,
                 std::uint64_t now);
  // The next websocket message of `h`, written straight from the shared frame it
  // was encoded into (no copy per session); false when none.
  bool take_frame(SessionHandle h, WsFrame& out);

  // A connection of `h` went away.
  void closed(SessionHandle h, Channel channel);

  // Fires what fell due at `now`; returns the next deadline (kNever: none).
  std::uint64_t tick(std::uint64_t now);
  // The earliest deadline of any live session or of the Socket.IO layer (kNever:
  // none): the glue sleeps until then, with no periodic sweep. It only moves
  // earlier on open() and ws_attach(). O(live sessions).
  std::uint64_t next_deadline() const;
  // The table slot of a handle, < config::kMaxSessions (for the glue's own per-session table).
  static std::size_t slot_of(SessionHandle h);

  // socketio::EngineLink
  bool send(SessionHandle h, socketio::Buffer packet, bool binary) override;
  void close(SessionHandle h) override;
  void auth_failed(SessionHandle h) override;
  void auth_succeeded(SessionHandle h) override;

  const Counters& counters() const { return counters_; }
  std::size_t live() const { return live_; }
  // For tests and the fuzzer: the phase of `h`'s slot (kFree for a stale handle).
  Phase phase(SessionHandle h) const;
  std::size_t queued(SessionHandle h) const;
  // Every slot's invariants hold (queue within cap, channels consistent with the phase).
  bool consistent() const;

 private:
  Session* find_live(SessionHandle h);
  Session* find_any(SessionHandle h);
  const Session* find_any(SessionHandle h) const;
  const Session* find_sid(std::string_view sid, Endpoint endpoint) const;
  SessionHandle handle_of(const Session& s) const;
  bool push(Session& s, PacketType type, Buffer data, bool binary);
  bool reserve_outbound(Session& s, std::size_t size);
  bool reserve_inbound(Session& s, std::size_t size);
  void release(std::size_t size);
  void release_inbound(Session& s);
  // The session's inbound reservation, taken off it and returned to the budget when
  // the guard goes: a body or message stays reserved while its packets are handled.
  struct InboundHold {
    Engine* self;
    std::size_t n;
    InboundHold(const InboundHold&) = delete;  // released exactly once
    InboundHold& operator=(const InboundHold&) = delete;
    ~InboundHold() { self->release(n); }
  };
  InboundHold hold_inbound(Session& s);
  void close_session(Session& s, bool by_client);
  void maybe_release(Session& s);
  void on_packet(Session& s, const Packet& p, bool over_websocket, std::uint64_t now);
  void on_probe_packet(Session& s, const Packet& p);
  void drop_probe(Session& s);

  EngineConfig cfg_;
  Port& port_;
  SidGenerator& sids_;
  socketio::Server* sio_ = nullptr;
  // The session table: capacity for config::kMaxSessions is reserved up front and never
  // exceeded, so a Session never moves; a slot is constructed the first time no
  // constructed one is free. An unused slot costs address space, not memory: the
  // 1100-session bench build kept 272 KiB of constructed slots at 0 clients.
  std::vector<Session> sessions_;
  // The live sessions (sessions_ never moves them): tick, deadlines and lookups
  // by sid or address visit only these.
  util::LiveList<Session> live_list_;
  std::size_t live_ = 0;
  Counters counters_;
  std::string scratch_;
  Buffer empty_;  // the payload of packets that carry none (ping, close, noop)
  Buffer probe_;  // "probe", the payload of the probe's pong
};

}  // namespace sbcmon::engineio
