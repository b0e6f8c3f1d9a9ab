// Socket.IO server state machine over fixed tables (see server.h). Every call in
// from a handler or the link may re-enter (a handler emits, link.close runs
// on_close at once), so sessions are looked up again after any outside call.
#include "socketio/server.h"

#include <cJSON.h>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "config/config.h"
#include "engineio/sid.h"
#include "socketio/packet.h"
#include "util/ct.h"
#include "util/live_list.h"

namespace sbcmon::socketio {
namespace {

using engineio::Protocol;

constexpr std::size_t kMaxSessions = config::kMaxSessions;
// Namespace names end up in every packet header; keep them short and free of the
// characters that delimit a header (',' ends it, '?' starts a v4 query).
constexpr std::size_t kMaxNamespaceName = 64;

bool valid_namespace_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNamespaceName || name.front() != '/') return false;
  for (char c : name) {
    if (c == ',' || c == '?' || static_cast<unsigned char>(c) < 0x21) return false;
  }
  return true;
}

}  // namespace

struct Server::Impl {
  struct PendingAck {
    bool used = false;
    std::uint64_t id = 0;
    std::function<void(std::string_view)> fn;
  };
  // A ring in insertion order: the slot at `next` is always the oldest, so a
  // full table forgets its oldest request (the documented policy).
  struct AckTable {
    std::array<PendingAck, kMaxPendingAcks> slots;
    std::size_t next = 0;
  };
  struct Socket {
    bool connected = false;
    engineio::Sid sid{};
    std::uint64_t next_ack_id = 0;
    std::unique_ptr<AckTable> acks;  // made on the first emit_with_ack only
  };
  struct Session {
    bool used = false;
    bool closing = false;          // link.close asked; on_close not yet seen
    bool ever_connected = false;   // joined a namespace once: connect timer off
    SessionHandle handle = 0;
    Protocol proto = Protocol::kV4;
    std::uint64_t opened_ms = 0;
    // One per registered namespace (indexed like Impl::nsps), not kMaxNamespaces: a
    // board registers two, and a thousand sessions pay for what they can join.
    std::vector<Socket> sockets;
    // A BINARY_EVENT/BINARY_ACK waiting for its attachments.
    std::string bin_header;
    std::size_t bin_expected = 0;
    std::size_t bin_count = 0;
    std::size_t bin_reserved = 0;  // bytes of bin_parts held against options.budget
    std::uint32_t auth_failures = 0;
    // Made when a binary packet arrives, at most kMaxAttachments long; emptied after.
    std::vector<std::string> bin_parts;
    std::size_t live_pos = 0;  // index in Impl::live while used
  };
  struct Namespace {
    bool used = false;
    std::string name;
    NamespaceHandlers handlers;
    std::size_t connected = 0;
  };

  Impl(EngineLink& l, ServerOptions o) : link(l), options(o), slots(kMaxSessions) {
    live.reserve(kMaxSessions);
    if (options.sids == nullptr) {
      own_sids = std::make_unique<engineio::SidGenerator>();
      options.sids = own_sids.get();
    }
  }

  EngineLink& link;
  ServerOptions options;
  // kMaxSessions slots, each allocated the first time it is used and kept:
  // memory follows the peak number of sessions, bounded by the table.
  std::vector<std::unique_ptr<Session>> slots;
  // The used slots in no particular order: broadcast, tick and find visit
  // only these, never the whole table.
  util::LiveList<Session> live;
  std::array<Namespace, kMaxNamespaces> nsps;
  std::size_t nsp_count = 0;  // nsps[0, nsp_count) are used: namespaces are never removed
  std::unique_ptr<engineio::SidGenerator> own_sids;  // when options.sids was not given

  Session* find(SessionHandle h) {
    for (Session* s : live) {
      if (s->handle == h) return s;
    }
    return nullptr;
  }
  const Session* find(SessionHandle h) const { return const_cast<Impl*>(this)->find(h); }

  // A free slot made used (allocated on first use); nullptr when the table is full.
  Session* acquire() {
    if (live.size() >= slots.size()) return nullptr;
    for (auto& slot : slots) {
      if (!slot) slot = std::make_unique<Session>();
      if (slot->used) continue;
      reset(*slot);
      slot->sockets.resize(nsp_count);
      slot->used = true;
      live.add(*slot);
      return slot.get();
    }
    return nullptr;
  }

  std::optional<std::uint16_t> find_nsp(std::string_view name) const {
    for (std::size_t i = 0; i < nsps.size(); ++i) {
      if (nsps[i].used && nsps[i].name == name) return static_cast<std::uint16_t>(i);
    }
    return std::nullopt;
  }

  // The live socket `id`, or nullptr when it is not connected.
  Socket* socket(SocketId id) {
    if (id.nsp >= kMaxNamespaces || !nsps[id.nsp].used) return nullptr;
    Session* s = find(id.session);
    if (!s || s->closing || !s->sockets[id.nsp].connected) return nullptr;
    return &s->sockets[id.nsp];
  }

  // `packet` was started with engineio::Frame::begin(): it becomes the frame as is.
  bool send_text(SessionHandle h, std::string packet) {
    return link.send(h, engineio::Frame::adopt(std::move(packet)), false);
  }

  bool send_attachments(SessionHandle h, Attachments att) {
    bool ok = true;
    for (std::size_t i = 0; i < att.count; ++i) {
      ok = link.send(h, engineio::Frame::copy(att.items[i]), true) && ok;
    }
    return ok;
  }

  void fail(Session& s) {
    s.closing = true;
    link.close(s.handle);  // may run on_close right here: do not touch `s` after
  }

  void release_attachments(Session& s) {
    if (options.budget != nullptr) options.budget->release(s.bin_reserved);
    s.bin_reserved = 0;
  }

  void reset(Session& s) {
    if (s.used) live.remove(s);
    s.used = false;
    s.closing = false;
    s.ever_connected = false;
    s.auth_failures = 0;
    for (auto& sock : s.sockets) sock = Socket{};
    s.bin_header.clear();
    s.bin_expected = 0;
    s.bin_count = 0;
    std::vector<std::string>().swap(s.bin_parts);
    release_attachments(s);
  }

  // A refused CONNECT: after max_auth_failures of them the session is closed,
  // so one session cannot guess tokens at wire speed.
  void refused(SessionHandle h, bool token) {
    if (token) link.auth_failed(h);
    Session* s = find(h);
    if (!s || s->closing) return;
    if (++s->auth_failures >= options.max_auth_failures) fail(*s);
  }

  // `bare_for_v4`: a refusal to a Socket.IO v4 client carries the bare message
  // string, as the reference server does; "Invalid namespace" is an object for all.
  void send_connect_error(Session& s, std::string_view nsp, std::string_view message, bool bare_for_v4) {
    std::string out = engineio::Frame::begin();
    append_header(out, PacketType::kConnectError, 0, nsp, std::nullopt);
    if (bare_for_v4 && s.proto == Protocol::kV3) {
      append_json_string(out, message);
    } else {
      out += "{\"message\":";
      append_json_string(out, message);
      out.push_back('}');
    }
    send_text(s.handle, std::move(out));
  }

  // Joins session `h` to namespace `idx` after asking authorize().
  void connect(SessionHandle h, std::uint16_t idx, std::string_view auth) {
    Session* s = find(h);
    if (!s || s->closing) return;
    const SocketId id{h, idx};
    Namespace& ns = nsps[idx];
    if (s->sockets[idx].connected) {
      // CONNECT to a namespace already joined is an invalid state for the
      // reference server too: it closes the connection.
      fail(*s);
      return;
    }
    if (!options.token.empty()) {
      if (!auth_has_token(auth, options.token)) {
        send_connect_error(*s, ns.name, "unauthorized", true);
        refused(h, true);
        return;
      }
      link.auth_succeeded(h);
      if (!(s = find(h)) || s->closing) return;
    }
    if (ns.handlers.authorize && !ns.handlers.authorize(id, auth)) {
      if ((s = find(h)) && !s->closing) send_connect_error(*s, ns.name, ns.handlers.refusal, true);
      refused(h, false);
      return;
    }
    if (!(s = find(h)) || s->closing) return;
    Socket& sock = s->sockets[idx];
    if (s->proto == Protocol::kV4 && !options.sids->next(sock.sid)) {
      fail(*s);
      return;
    }
    sock.connected = true;
    sock.next_ack_id = 0;
    s->ever_connected = true;
    ++ns.connected;
    send_connect_reply(*s, idx);
    if (ns.handlers.on_connect) ns.handlers.on_connect(id, auth);
  }

  void send_connect_reply(Session& s, std::uint16_t idx) {
    std::string out = engineio::Frame::begin();
    append_header(out, PacketType::kConnect, 0, nsps[idx].name, std::nullopt);
    if (s.proto == Protocol::kV4) {
      out += "{\"sid\":\"";
      out.append(engineio::view(s.sockets[idx].sid));
      out += "\"}";
    }
    send_text(s.handle, std::move(out));
  }

  // Marks a socket gone and runs on_disconnect; `notify` sends DISCONNECT first.
  void drop_socket(Session& s, std::uint16_t idx, bool notify) {
    if (!s.sockets[idx].connected) return;
    const SessionHandle h = s.handle;
    if (notify) {
      std::string out = engineio::Frame::begin();
      append_header(out, PacketType::kDisconnect, 0, nsps[idx].name, std::nullopt);
      send_text(h, std::move(out));
    }
    // send may have closed the session already (slow client): on_close did the rest.
    Session* again = find(h);
    if (!again || !again->sockets[idx].connected) return;
    again->sockets[idx] = Socket{};
    --nsps[idx].connected;
    if (nsps[idx].handlers.on_disconnect) nsps[idx].handlers.on_disconnect(SocketId{h, idx});
  }

  void handle_connect(Session& s, const Header& hdr) {
    const SessionHandle h = s.handle;
    std::string_view name = hdr.nsp;
    std::string auth_storage;
    std::string_view auth;
    if (s.proto == Protocol::kV3) {
      // v4 clients put their auth in the namespace as a query: "/nsp?token=x".
      const std::size_t q = name.find('?');
      if (q != std::string_view::npos) {
        auth_storage = query_to_json(name.substr(q + 1));
        name = name.substr(0, q);
      }
      auth = auth_storage;
    } else {
      if (!hdr.payload.empty() && !is_json_object(hdr.payload)) {
        fail(s);
        return;
      }
      auth = hdr.payload;
    }
    const auto idx = find_nsp(name);
    if (!idx) {
      send_connect_error(s, name, "Invalid namespace", false);
      return;
    }
    connect(h, *idx, auth);
  }

  void take_ack(SessionHandle h, std::uint16_t idx, std::uint64_t id, std::string_view args) {
    Session* s = find(h);
    if (!s) return;
    AckTable* table = s->sockets[idx].acks.get();
    if (!table) return;
    for (auto& slot : table->slots) {
      if (slot.used && slot.id == id) {
        auto fn = std::move(slot.fn);
        slot = PendingAck{};
        if (fn) fn(args);
        return;
      }
    }
    // An unknown or forgotten ack id is ignored, as the reference server does.
  }

  // Delivers a complete EVENT/ACK (attachments already collected). `hdr` was validated.
  void dispatch(SessionHandle h, const Header& hdr, Attachments att) {
    Session* s = find(h);
    if (!s || s->closing) return;
    const auto idx = find_nsp(hdr.nsp);
    // A packet for a namespace the session has not joined is an invalid state.
    if (!idx || !s->sockets[*idx].connected) return fail(*s);
    if (hdr.type == PacketType::kAck || hdr.type == PacketType::kBinaryAck) {
      take_ack(h, *idx, *hdr.id, *split_ack(hdr.payload));
      return;
    }
    const EventParts parts = *split_event(hdr.payload);
    std::string name_storage;
    std::string_view name = parts.name_token.substr(1, parts.name_token.size() - 2);
    if (name.find('\\') != std::string_view::npos) {
      unescape_json_string(parts.name_token, name_storage);
      name = name_storage;
    }
    const auto& on_event = nsps[*idx].handlers.on_event;
    if (!on_event) return;
    Event ev;
    ev.socket = SocketId{h, *idx};
    ev.name = name;
    ev.args = parts.args;
    ev.attachments = att;
    ev.ack_id = hdr.id;
    on_event(ev);
  }

  void finish_binary(Session& s) {
    const SessionHandle h = s.handle;
    // Move everything out first: the handler may close the session, which resets it.
    std::string header = std::move(s.bin_header);
    std::array<std::string, kMaxAttachments> parts;
    const std::size_t n = s.bin_count;
    for (std::size_t i = 0; i < n; ++i) parts[i] = std::move(s.bin_parts[i]);
    s.bin_header.clear();
    s.bin_expected = 0;
    s.bin_count = 0;
    const std::size_t reserved = s.bin_reserved;
    s.bin_reserved = 0;
    // Held until the handler returns: the bytes are still in `parts` until then.
    struct Release {
      util::MemoryBudget* budget;
      std::size_t n;
      ~Release() {
        if (budget != nullptr) budget->release(n);
      }
    } release{options.budget, reserved};
    std::array<std::string_view, kMaxAttachments> views;
    for (std::size_t i = 0; i < n; ++i) views[i] = parts[i];
    const auto hdr = decode_header(header);  // decoded once before; cannot fail now
    if (hdr) dispatch(h, *hdr, Attachments{views.data(), n});
  }

  void on_text(Session& s, std::string_view data) {
    const auto hdr = decode_header(data);
    if (!hdr) return fail(s);
    switch (hdr->type) {
      case PacketType::kConnect:
        return handle_connect(s, *hdr);
      case PacketType::kDisconnect: {
        if (!hdr->payload.empty()) return fail(s);
        const auto idx = find_nsp(hdr->nsp);
        if (!idx || !s.sockets[*idx].connected) return fail(s);
        drop_socket(s, *idx, false);
        return;
      }
      case PacketType::kEvent:
      case PacketType::kBinaryEvent:
        if (!split_event(hdr->payload)) return fail(s);
        break;
      case PacketType::kAck:
      case PacketType::kBinaryAck:
        if (!hdr->id || !split_ack(hdr->payload)) return fail(s);
        break;
      case PacketType::kConnectError:
        return fail(s);  // only servers send it
    }
    const bool binary = hdr->type == PacketType::kBinaryEvent || hdr->type == PacketType::kBinaryAck;
    if (binary && hdr->attachments > 0) {
      // Nothing is buffered for a namespace this session has not joined (nor,
      // so, before its token was accepted): that is the invalid state dispatch()
      // would close it for anyway, only after the attachments were held.
      const auto idx = find_nsp(hdr->nsp);
      if (!idx || !s.sockets[*idx].connected) return fail(s);
      s.bin_header.assign(data);
      s.bin_expected = hdr->attachments;  // <= kMaxAttachments (parse_header)
      s.bin_count = 0;
      s.bin_parts.resize(s.bin_expected);
      return;
    }
    dispatch(s.handle, *hdr, Attachments{});
  }

  std::string encode_event(std::uint16_t idx, std::string_view event, std::string_view args,
                           std::size_t attachments, std::optional<std::uint64_t> id) const {
    std::string out = engineio::Frame::begin(16 + nsps[idx].name.size() + event.size() + args.size());
    append_header(out, attachments ? PacketType::kBinaryEvent : PacketType::kEvent, attachments,
                  nsps[idx].name, id);
    out.push_back('[');
    append_json_string(out, event);
    if (!args.empty()) {
      out.push_back(',');
      out.append(args);
    }
    out.push_back(']');
    return out;
  }
};

Server::Server(EngineLink& link, ServerOptions options) : impl_(std::make_unique<Impl>(link, options)) {}

Server::~Server() = default;

std::optional<std::uint16_t> Server::add_namespace(std::string_view name, NamespaceHandlers handlers) {
  if (!valid_namespace_name(name) || impl_->find_nsp(name)) return std::nullopt;
  for (std::size_t i = 0; i < impl_->nsps.size(); ++i) {
    auto& ns = impl_->nsps[i];
    if (ns.used) continue;
    ns.used = true;
    ns.name.assign(name);
    ns.handlers = std::move(handlers);
    ns.connected = 0;
    impl_->nsp_count = i + 1;
    // Sessions already open can join it too.
    for (Impl::Session* s : impl_->live) s->sockets.resize(impl_->nsp_count);
    return static_cast<std::uint16_t>(i);
  }
  return std::nullopt;
}

bool auth_has_token(std::string_view auth_json, std::string_view token) {
  if (auth_json.empty() || auth_json.size() > 4096 || token.empty()) return false;
  cJSON* root = cJSON_ParseWithLength(auth_json.data(), auth_json.size());
  if (root == nullptr) return false;
  const cJSON* t = cJSON_GetObjectItemCaseSensitive(root, "token");
  bool equal = false;
  if (cJSON_IsString(t) && t->valuestring != nullptr) {
    equal = util::secret_equal(t->valuestring, token);
  }
  cJSON_Delete(root);
  return equal;
}

void Server::on_open(SessionHandle session, engineio::Protocol protocol, std::uint64_t now_ms,
                     std::string_view handshake_query) {
  Impl& im = *impl_;
  if (Impl::Session* old = im.find(session)) {
    // The engine reused a live handle: the old session is gone for good.
    on_close(old->handle);
  }
  Impl::Session* s = im.acquire();
  if (!s) {
    // The engine's table is sized the same, so this means a bookkeeping bug there;
    // refusing the newcomer keeps existing sessions intact.
    im.link.close(session);
    return;
  }
  s->handle = session;
  s->proto = protocol;
  s->opened_ms = now_ms;
  if (protocol != Protocol::kV3) return;
  // Socket.IO v4 clients are joined to "/" without asking, as 2.x servers do.
  // A refused token leaves the session unconnected: the connect timeout closes it.
  if (const auto root = im.find_nsp("/")) {
    // Only a configured token makes the handshake query matter (it would
    // otherwise show up as the auth payload of every 2.x client).
    const std::string auth = handshake_query.empty() || im.options.token.empty()
                                 ? std::string()
                                 : query_to_json(handshake_query);
    im.connect(session, *root, auth);
  } else {
    // No "/" namespace registered: still confirm it, because v4 clients wait for
    // it before using other namespaces; no socket exists for it here.
    s->ever_connected = true;
    im.send_text(session, engineio::Frame::begin().append("0"));
  }
}

void Server::on_message(SessionHandle session, std::string_view data, bool binary) {
  Impl& im = *impl_;
  Impl::Session* s = im.find(session);
  if (!s || s->closing) return;
  if (binary) {
    if (s->bin_expected == 0) return im.fail(*s);
    // A partial attachment counts against the memory budget; over it, this
    // session (the one asking) is closed, never anyone else.
    if (im.options.budget != nullptr) {
      if (!im.options.budget->reserve(data.size(), util::Use::kInbound)) return im.fail(*s);
      s->bin_reserved += data.size();
    }
    s->bin_parts[s->bin_count++].assign(data);
    if (s->bin_count == s->bin_expected) im.finish_binary(*s);
    return;
  }
  // Text while attachments are outstanding breaks the reconstruction.
  if (s->bin_expected != 0) return im.fail(*s);
  im.on_text(*s, data);
}

void Server::on_close(SessionHandle session) {
  Impl& im = *impl_;
  Impl::Session* s = im.find(session);
  if (!s) return;
  std::array<bool, kMaxNamespaces> joined{};
  for (std::size_t i = 0; i < s->sockets.size(); ++i) joined[i] = s->sockets[i].connected;
  // Free the slot before running handlers, so emits from them find no socket.
  im.reset(*s);
  for (std::size_t i = 0; i < kMaxNamespaces; ++i) {
    if (!joined[i]) continue;
    --im.nsps[i].connected;
    if (im.nsps[i].handlers.on_disconnect) {
      im.nsps[i].handlers.on_disconnect(SocketId{session, static_cast<std::uint16_t>(i)});
    }
  }
}

void Server::tick(std::uint64_t now_ms) {
  Impl& im = *impl_;
  if (next_deadline() > now_ms) return;
  for (Impl::Session* s : im.live.snapshot()) {
    // fail() runs on_close at once, which may free other sessions too.
    if (!s->used || s->closing || s->ever_connected) continue;
    if (now_ms - s->opened_ms >= im.options.connect_timeout_ms) im.fail(*s);
  }
}

std::uint64_t Server::next_deadline() const {
  std::uint64_t next = kNoDeadline;
  for (const Impl::Session* s : impl_->live) {
    if (s->closing || s->ever_connected) continue;
    next = std::min(next, s->opened_ms + impl_->options.connect_timeout_ms);
  }
  return next;
}

bool Server::joined_any(SessionHandle session) const {
  const Impl::Session* s = impl_->find(session);
  return s != nullptr && s->ever_connected;
}

void Server::set_token(std::string token) { impl_->options.token = std::move(token); }

bool Server::emit(SocketId to, std::string_view event, std::string_view args, Attachments att) {
  Impl& im = *impl_;
  if (!im.socket(to)) return false;
  const bool ok = im.send_text(to.session, im.encode_event(to.nsp, event, args, att.count, std::nullopt));
  return im.send_attachments(to.session, att) && ok;
}

bool Server::emit_with_ack(SocketId to, std::string_view event, std::string_view args,
                           std::function<void(std::string_view args)> on_ack) {
  Impl& im = *impl_;
  Impl::Socket* sock = im.socket(to);
  if (!sock) return false;
  if (!sock->acks) sock->acks = std::make_unique<Impl::AckTable>();
  Impl::AckTable& table = *sock->acks;
  const std::uint64_t id = sock->next_ack_id++;
  table.slots[table.next] = Impl::PendingAck{true, id, std::move(on_ack)};
  table.next = (table.next + 1) % kMaxPendingAcks;
  return im.send_text(to.session, im.encode_event(to.nsp, event, args, 0, id));
}

bool Server::ack(SocketId to, std::uint64_t id, std::string_view args, Attachments att) {
  Impl& im = *impl_;
  if (!im.socket(to)) return false;
  std::string out = engineio::Frame::begin();
  append_header(out, att.count ? PacketType::kBinaryAck : PacketType::kAck, att.count,
                im.nsps[to.nsp].name, id);
  out.push_back('[');
  out.append(args);
  out.push_back(']');
  const bool ok = im.send_text(to.session, std::move(out));
  return im.send_attachments(to.session, att) && ok;
}

std::size_t Server::broadcast(std::uint16_t nsp, std::string_view event, std::string_view args) {
  Impl& im = *impl_;
  if (nsp >= kMaxNamespaces || !im.nsps[nsp].used || im.nsps[nsp].connected == 0) return 0;
  // Encoded once, straight into the frame every session's websocket writes.
  const Buffer packet = engineio::Frame::adopt(im.encode_event(nsp, event, args, 0, std::nullopt));
  std::size_t sent = 0;
  // A failed send closes that session, and the memory budget may close another:
  // walk a copy of the live list, looking at each session as it is now.
  for (const Impl::Session* s : im.live.snapshot()) {
    if (!s->used || s->closing || !s->sockets[nsp].connected) continue;
    if (im.link.send(s->handle, packet, false)) ++sent;
  }
  return sent;
}

void Server::disconnect(SocketId socket) {
  Impl& im = *impl_;
  if (!im.socket(socket)) return;
  im.drop_socket(*im.find(socket.session), socket.nsp, true);
}

std::size_t Server::connected(std::uint16_t nsp) const {
  if (nsp >= kMaxNamespaces || !impl_->nsps[nsp].used) return 0;
  return impl_->nsps[nsp].connected;
}

}  // namespace sbcmon::socketio
