// The Engine.IO server as a state machine over the session table (see engine.h).
#include "engineio/engine.h"

#include <algorithm>
#include <string_view>
#include <memory>
#include <utility>

namespace sbcmon::engineio {
namespace {

constexpr std::uint32_t kIndexBits = 12;  // up to 4096 sessions (Kconfig range)
constexpr std::uint32_t kIndexMask = (1u << kIndexBits) - 1;
constexpr std::uint32_t kGenerationMask = (1u << (32 - kIndexBits)) - 1;
static_assert(config::kMaxSessions <= (1u << kIndexBits), "session index does not fit the handle");

Buffer make_buffer(std::string_view s) { return Frame::copy(s); }

}  // namespace

Engine::Engine(const EngineConfig& config, Port& port, SidGenerator& sids)
    : cfg_(config),
      port_(port),
      sids_(sids),
      empty_(Frame::copy({})),
      probe_(Frame::copy("probe")) {
  cfg_.max_sessions = std::min(cfg_.max_sessions, config::kMaxSessions);
  sessions_.reserve(config::kMaxSessions);
  live_list_.reserve(cfg_.max_sessions);
}

// ---- the table ----------------------------------------------------------------
Session* Engine::find_any(SessionHandle h) {
  return const_cast<Session*>(static_cast<const Engine*>(this)->find_any(h));
}

const Session* Engine::find_any(SessionHandle h) const {
  const std::uint32_t index = h & kIndexMask;
  if (index >= sessions_.size()) return nullptr;
  const Session& s = sessions_[index];
  if (s.phase() == Phase::kFree || s.generation != (h >> kIndexBits)) return nullptr;
  return &s;
}

Session* Engine::find_live(SessionHandle h) {
  Session* s = find_any(h);
  return s != nullptr && s->live() ? s : nullptr;
}

const Session* Engine::find_sid(std::string_view sid, Endpoint endpoint) const {
  if (sid.size() != kSidLength) return nullptr;
  for (const Session* ls : live_list_) {
    const Session& s = *ls;
    if (s.endpoint == static_cast<std::uint8_t>(endpoint) && view(s.sid) == sid) return &s;
  }
  return nullptr;
}

SessionHandle Engine::handle_of(const Session& s) const {
  const auto index = static_cast<std::uint32_t>(&s - sessions_.data());
  return (s.generation << kIndexBits) | index;
}

std::size_t Engine::slot_of(SessionHandle h) { return h & kIndexMask; }

Phase Engine::phase(SessionHandle h) const {
  const Session* s = find_any(h);
  return s != nullptr ? s->phase() : Phase::kFree;
}

std::size_t Engine::queued(SessionHandle h) const {
  const Session* s = find_any(h);
  return s != nullptr ? s->queued() : 0;
}

bool Engine::consistent() const {
  std::size_t live = 0;
  for (std::size_t i = 0; i < live_list_.size(); ++i) {
    const Session& s = *live_list_[i];
    if (!s.live() || s.live_pos != i) return false;
  }
  for (const Session& s : sessions_) {
    if (s.queued() > std::min(Session::Queue::capacity(), cfg_.limits.max_queue)) return false;
    switch (s.phase()) {
      case Phase::kFree:
        if (s.has_get || s.has_post || s.has_ws) return false;
        break;
      case Phase::kClosed:
        // A closed session lingers only for a connection it still holds.
        if (s.queued() != 0 || s.has_ws || !(s.has_get || s.has_post)) return false;
        break;
      case Phase::kPolling:
        if (s.has_ws) return false;
        ++live;
        break;
      case Phase::kProbing:
      case Phase::kUpgrading:
        if (!s.has_ws) return false;
        ++live;
        break;
      case Phase::kWebSocket:
        // A poll or POST from before the upgrade may still be finishing.
        if (!s.has_ws) return false;
        ++live;
        break;
    }
  }
  return live == live_ && live == live_list_.size() && live_ <= cfg_.max_sessions;
}

// ---- verification and handshake -------------------------------------------------
Verdict Engine::verify(const Request& r) const {
  Verdict v;
  v.query = parse_query(r.query);
  const Query& q = v.query;
  auto fail = [&v](ErrorCode code) {
    v.kind = Verdict::Kind::kError;
    v.error = code;
    return v;
  };
  if (!q.transport) return fail(ErrorCode::kUnknownTransport);
  if (r.websocket && *q.transport != Transport::kWebSocket) return fail(ErrorCode::kUnknownTransport);
  if (!r.origin_ok) return fail(ErrorCode::kForbidden);
  if (!r.websocket && r.method == Method::kOptions) {
    v.kind = Verdict::Kind::kPreflight;
    return v;
  }
  // A websocket handshake that arrived without the Upgrade header.
  if (!r.websocket && *q.transport != Transport::kPolling) return fail(ErrorCode::kBadRequest);
  if (q.sid.empty()) {
    if (!r.websocket && r.method != Method::kGet) return fail(ErrorCode::kBadHandshakeMethod);
    if (!q.protocol) return fail(ErrorCode::kUnsupportedProtocolVersion);
    v.kind = Verdict::Kind::kHandshake;
    return v;
  }
  const Session* s = find_sid(q.sid, r.endpoint);
  if (s == nullptr) return fail(ErrorCode::kUnknownSid);
  v.session = handle_of(*s);
  if (!r.websocket) {
    if (s->phase() == Phase::kWebSocket) return fail(ErrorCode::kBadRequest);
    if (r.method != Method::kGet && r.method != Method::kPost) return fail(ErrorCode::kBadRequest);
  }
  v.kind = Verdict::Kind::kSession;
  return v;
}

bool Engine::admit() {
  if (live_ < cfg_.max_sessions) return true;
  ++counters_.sessions_refused;
  return false;
}

Opened Engine::open(Endpoint endpoint, Protocol protocol, bool websocket, bool b64,
                    std::string_view query, std::uint64_t now, SessionHandle& out,
                    std::string_view addr) {
  Session* slot = nullptr;
  if (live_ < cfg_.max_sessions) {
    for (Session& s : sessions_) {
      if (s.phase() == Phase::kFree) {
        slot = &s;
        break;
      }
    }
    // Within the reserved capacity, so no Session moves.
    if (slot == nullptr && sessions_.size() < config::kMaxSessions) slot = &sessions_.emplace_back();
  }
  if (slot == nullptr || !sids_.next(slot->sid)) {
    ++counters_.sessions_refused;
    return Opened::kFull;
  }
  Session& s = *slot;
  s.endpoint = static_cast<std::uint8_t>(endpoint);
  s.addr.fill('\0');
  addr.copy(s.addr.data(), std::min(addr.size(), s.addr.size() - 1));
  s.inbound_reserved = 0;
  s.open(protocol, websocket, protocol == Protocol::kV3 && !b64, now, cfg_.limits);
  live_list_.add(s);
  ++live_;
  ++counters_.sessions_opened;
  const SessionHandle h = handle_of(s);
  out = h;
  const Limits& l = cfg_.limits;
  push(s, PacketType::kOpen,
       make_buffer(open_json(view(s.sid), !websocket, l.ping_interval_ms, l.ping_timeout_ms,
                             l.max_payload)),
       false);
  if (endpoint == Endpoint::kSocketIo && sio_ != nullptr) sio_->on_open(h, protocol, now, query);
  if (find_live(h) == nullptr) {
    // Refused before anything was sent: nothing lingers.
    if (Session* gone = find_any(h)) {
      gone->has_get = gone->has_post = gone->has_ws = false;
      maybe_release(*gone);
    }
    return Opened::kClosed;
  }
  return Opened::kOk;
}

void Engine::count_from(std::string_view addr, std::size_t& sessions, std::size_t& unjoined) const {
  sessions = unjoined = 0;
  for (const Session* ls : live_list_) {
    const Session& s = *ls;
    if (std::string_view(s.addr.data()) != addr) continue;
    ++sessions;
    if (s.endpoint == static_cast<std::uint8_t>(Endpoint::kSocketIo) && sio_ != nullptr &&
        !sio_->joined_any(handle_of(s))) {
      ++unjoined;
    }
  }
}

void Engine::auth_failed(SessionHandle h) {
  if (const Session* s = find_any(h)) port_.auth_result(s->addr.data(), false);
}

void Engine::auth_succeeded(SessionHandle h) {
  if (const Session* s = find_any(h)) port_.auth_result(s->addr.data(), true);
}

// ---- the memory budget -------------------------------------------------------------
// Outbound bytes for `s`. When the budget is full, the session with the longest
// queue (the reader furthest behind) is closed to make room; false when that
// is `s` itself.
bool Engine::reserve_outbound(Session& s, std::size_t size) {
  if (cfg_.budget == nullptr) return true;
  while (!cfg_.budget->reserve(size, util::Use::kOutbound)) {
    Session* worst = &s;
    for (Session* lo : live_list_) {
      Session& o = *lo;
      if (o.queued_bytes() > worst->queued_bytes()) worst = &o;
    }
    ++counters_.over_budget;
    if (worst == &s) return false;
    ++counters_.sessions_dropped;
    close_session(*worst, false);
  }
  return true;
}

// Inbound bytes (a POST body or websocket message being read); false when over budget.
bool Engine::reserve_inbound(Session& s, std::size_t size) {
  if (cfg_.budget == nullptr) return true;
  if (!cfg_.budget->reserve(size, util::Use::kInbound)) {
    ++counters_.over_budget;
    return false;
  }
  s.inbound_reserved += size;
  return true;
}

void Engine::release(std::size_t size) {
  if (cfg_.budget != nullptr) cfg_.budget->release(size);
}

void Engine::release_inbound(Session& s) {
  release(s.inbound_reserved);
  s.inbound_reserved = 0;
}

Engine::InboundHold Engine::hold_inbound(Session& s) {
  const std::size_t n = s.inbound_reserved;
  s.inbound_reserved = 0;
  return InboundHold{this, n};
}

// ---- queue and close -------------------------------------------------------------
bool Engine::push(Session& s, PacketType type, Buffer data, bool binary) {
  const std::size_t size = data ? data->size() : 0;
  const bool reserved = s.live() && reserve_outbound(s, size);
  if (!reserved || !s.push(type, std::move(data), binary, cfg_.limits)) {
    if (reserved) release(size);
    if (s.live()) {
      // A client that cannot keep up reconnects and backfills from the history
      // ack instead of holding memory for everyone.
      ++counters_.sessions_dropped;
      close_session(s, false);
    }
    return false;
  }
  ++counters_.packets_queued;
  const SessionHandle h = handle_of(s);
  if (s.phase() == Phase::kWebSocket) {
    if (s.has_ws) port_.wake(h, Channel::kWebSocket);
  } else if (s.has_get) {
    port_.wake(h, Channel::kPoll);
  }
  return true;
}

void Engine::close_session(Session& s, bool by_client) {
  if (!s.live()) return;
  const SessionHandle h = handle_of(s);
  release(s.queued_bytes());
  release_inbound(s);
  s.close(by_client);
  live_list_.remove(s);
  --live_;
  if (s.endpoint == static_cast<std::uint8_t>(Endpoint::kSocketIo) && sio_ != nullptr) {
    sio_->on_close(h);
  }
  if (s.has_ws) {
    s.has_ws = false;
    port_.hang_up(h, Channel::kWebSocket, Reason::kNormal);
  }
  // A held poll is answered (close packet or noop) so the client learns at once.
  if (s.has_get) port_.wake(h, Channel::kPoll);
  maybe_release(s);
}

void Engine::maybe_release(Session& s) {
  if (s.phase() != Phase::kClosed || s.has_get || s.has_post || s.has_ws) return;
  s.release();
  s.generation = (s.generation + 1) & kGenerationMask;
}

bool Engine::send(SessionHandle h, socketio::Buffer packet, bool binary) {
  Session* s = find_live(h);
  if (s == nullptr) return false;
  return push(*s, PacketType::kMessage, std::move(packet), binary);
}

void Engine::close(SessionHandle h) {
  if (Session* s = find_live(h)) close_session(*s, false);
}

// ---- polling ----------------------------------------------------------------------
PollStart Engine::poll(SessionHandle h) {
  Session* s = find_live(h);
  if (s == nullptr || s->phase() == Phase::kWebSocket) return PollStart::kRefuse;
  if (s->has_get) {
    // A second concurrent poll: the reference server treats it as a broken client.
    close_session(*s, false);
    return PollStart::kRefuse;
  }
  if (s->phase() == Phase::kUpgrading || s->queued() > 0) return PollStart::kAnswer;
  s->has_get = true;
  return PollStart::kHold;
}

Payload Engine::take_payload(SessionHandle h, std::string& out) {
  Session* s = find_any(h);
  if (s == nullptr) return Payload::kNone;
  const std::size_t before = s->queued_bytes();
  const Payload p = s->take_payload(out, cfg_.limits);
  release(before - s->queued_bytes());
  if (p == Payload::kNone) return p;
  s->has_get = false;
  maybe_release(*s);
  return p;
}

PostStart Engine::post_begin(SessionHandle h, std::uint64_t declared) {
  Session* s = find_live(h);
  if (s == nullptr || s->phase() == Phase::kWebSocket) return PostStart::kRefuse;
  if (s->has_post) {
    close_session(*s, false);
    return PostStart::kRefuse;
  }
  const std::size_t max = cfg_.limits.max_payload;
  if (declared > max) return declared > 4ull * max ? PostStart::kTooLarge : PostStart::kDrain;
  s->has_post = true;
  s->body().clear();
  release_inbound(*s);
  return PostStart::kRead;
}

PostBody Engine::post_body(SessionHandle h, std::string_view part) {
  Session* s = find_any(h);
  if (s == nullptr || !s->has_post || !s->live()) return PostBody::kOk;  // session gone: drain quietly
  if (s->body().size() + part.size() > cfg_.limits.max_payload) {
    s->has_post = false;
    s->body().clear();
    release_inbound(*s);
    return PostBody::kTooLarge;
  }
  if (!reserve_inbound(*s, part.size())) {
    // Over the memory budget: this session, the one asking, is closed.
    s->has_post = false;
    close_session(*s, false);
    return PostBody::kOverBudget;
  }
  s->append_body(part, cfg_.limits.max_payload);
  return PostBody::kOk;
}

PostEnd Engine::post_end(SessionHandle h, std::uint64_t now) {
  Session* s = find_any(h);
  if (s == nullptr || !s->has_post) return PostEnd::kUnknownSid;
  s->has_post = false;
  if (!s->live()) {
    maybe_release(*s);
    return PostEnd::kUnknownSid;
  }
  std::string body = std::move(s->body());
  s->body().clear();
  const InboundHold held_body = hold_inbound(*s);
  const bool ok = for_each_payload_packet(body, s->protocol(), scratch_, [&](const Packet& p) {
    Session* live = find_live(h);
    if (live == nullptr) return false;
    on_packet(*live, p, false, now);
    return find_live(h) != nullptr;
  });
  Session* live = find_live(h);
  if (!ok) {
    if (live != nullptr) close_session(*live, false);
    return PostEnd::kBad;
  }
  if (live != nullptr) {
    live->body() = std::move(body);  // keep the capacity for the next POST
    live->body().clear();
  }
  return PostEnd::kOk;
}

// ---- packets ----------------------------------------------------------------------
void Engine::on_packet(Session& s, const Packet& p, bool over_websocket, std::uint64_t now) {
  const SessionHandle h = handle_of(s);
  switch (p.type) {
    case PacketType::kMessage:
      if (s.endpoint == static_cast<std::uint8_t>(Endpoint::kEcho)) {
        push(s, PacketType::kMessage, make_buffer(p.data), p.binary);
      } else if (sio_ != nullptr) {
        sio_->on_message(h, p.data, p.binary);
      }
      break;
    case PacketType::kPong:
      s.on_pong(now, cfg_.limits);
      break;
    case PacketType::kPing:
      if (s.protocol() == Protocol::kV3) {
        // v3 clients drive the heartbeat: answer with the same data.
        s.on_client_ping(now, cfg_.limits);
        push(s, PacketType::kPong, p.data.empty() ? nullptr : make_buffer(p.data), false);
      } else {
        close_session(s, false);  // a v4 client never pings outside the probe
      }
      break;
    case PacketType::kClose:
      close_session(s, true);
      break;
    case PacketType::kNoop:
      break;
    case PacketType::kUpgrade:
      if (!over_websocket) close_session(s, false);
      break;
    case PacketType::kOpen:
      close_session(s, false);
      break;
  }
}

void Engine::on_probe_packet(Session& s, const Packet& p) {
  const SessionHandle h = handle_of(s);
  if (p.type == PacketType::kPing && p.data == "probe" && s.probe_ping()) {
    port_.wake(h, Channel::kWebSocket);
    // Release the held poll (with a noop) so the client can pause polling.
    if (s.has_get) port_.wake(h, Channel::kPoll);
    return;
  }
  if (p.type == PacketType::kUpgrade && s.upgrade()) {
    if (s.has_get) port_.wake(h, Channel::kPoll);
    if (s.queued() > 0) port_.wake(h, Channel::kWebSocket);
    return;
  }
  drop_probe(s);
}

void Engine::drop_probe(Session& s) {
  // Anything else on the probe ends the probe only, as in the reference: the
  // session carries on polling.
  if (!s.has_ws) return;
  s.has_ws = false;
  s.probe_gone();
  port_.hang_up(handle_of(s), Channel::kWebSocket, Reason::kNormal);
}

// ---- websocket --------------------------------------------------------------------
bool Engine::ws_attach(SessionHandle h, std::uint64_t now) {
  Session* s = find_live(h);
  // A second websocket for a session is accepted and then closed at once, as
  // the reference server does.
  if (s == nullptr || s->phase() != Phase::kPolling || s->has_ws) return false;
  s->has_ws = true;
  s->probe_attached(now, cfg_.limits);
  return true;
}

WsData Engine::ws_data(SessionHandle h, std::string_view part, bool first, bool last, bool binary,
                       std::uint64_t now) {
  Session* s = find_live(h);
  if (s == nullptr || !s->has_ws) return WsData::kOk;
  if (first) release_inbound(*s);
  if (!s->append_message(part, first, cfg_.limits.max_payload) ||
      !reserve_inbound(*s, part.size())) {
    // Over maxPayload (or the memory budget): this client alone is dropped
    // (close 1009, as the reference does).
    s->has_ws = false;
    close_session(*s, false);
    return WsData::kTooBig;
  }
  if (!last) return WsData::kOk;
  std::string msg = std::move(s->message());
  s->message().clear();
  const InboundHold held_msg = hold_inbound(*s);
  const auto p = binary ? decode_binary_frame(msg, s->protocol()) : decode_text_packet(msg);
  if (!p && s->phase() != Phase::kWebSocket) {
    drop_probe(*s);
  } else if (!p) {
    close_session(*s, false);
  } else if (s->phase() != Phase::kWebSocket) {
    on_probe_packet(*s, *p);
  } else {
    on_packet(*s, *p, true, now);
  }
  if (Session* live = find_live(h)) {
    live->message() = std::move(msg);  // keep the capacity
    live->message().clear();
  }
  return WsData::kOk;
}

bool Engine::take_frame(SessionHandle h, WsFrame& out) {
  Session* s = find_live(h);
  if (s == nullptr || !s->has_ws) return false;
  const std::size_t before = s->queued_bytes();
  Outgoing o;
  const bool got = s->take_frame(o, probe_);
  release(before - s->queued_bytes());
  if (!got) return false;
  out = Frame::wire(o.data ? std::move(o.data) : empty_, o.type, o.binary, s->protocol());
  return true;
}

void Engine::closed(SessionHandle h, Channel channel) {
  Session* s = find_any(h);
  if (s == nullptr) return;
  switch (channel) {
    case Channel::kPost:
      s->has_post = false;
      break;
    case Channel::kPoll:
      if (!s->has_get) break;
      s->has_get = false;
      // The client gave up on its poll: the session is gone, as in the reference.
      close_session(*s, false);
      break;
    case Channel::kWebSocket:
      if (!s->has_ws) break;
      s->has_ws = false;
      if (s->phase() == Phase::kWebSocket) {
        close_session(*s, false);
      } else {
        s->probe_gone();  // a failed probe: carry on polling
      }
      break;
  }
  maybe_release(*s);
}

// ---- time -------------------------------------------------------------------------
std::uint64_t Engine::tick(std::uint64_t now) {
  // Closing a session (or a handler it runs) may close others: walk a copy.
  for (Session* ls : live_list_.snapshot()) {
    Session& s = *ls;
    for (;;) {
      const Due d = s.due(now, cfg_.limits);
      if (d == Due::kNothing) break;
      if (d == Due::kPing) {
        push(s, PacketType::kPing, nullptr, false);
      } else if (d == Due::kPingTimeout) {
        close_session(s, false);
      } else if (d == Due::kUpgradeTimeout) {
        drop_probe(s);
      }
    }
  }
  if (sio_ != nullptr) sio_->tick(now);
  return next_deadline();
}

std::uint64_t Engine::next_deadline() const {
  std::uint64_t next = kNever;
  for (const Session* s : live_list_) next = std::min(next, s->next_deadline());
  // The Socket.IO layer's connect timeouts: its own deadline, no polling grid.
  static_assert(socketio::kNoDeadline == kNever, "one value means no deadline in both layers");
  if (sio_ != nullptr) next = std::min(next, sio_->next_deadline());
  return next;
}

}  // namespace sbcmon::engineio
