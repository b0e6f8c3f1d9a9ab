// libwebsockets glue: the embedded page, and Engine.IO sessions over
// long-polling and websocket feeding the Socket.IO layer. Flat lws callback;
// all state lives in the session table and the per-connection Conn.
#include "net/server.h"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <utility>
#include <vector>

#include "assets/assets.h"
#include "config/config.h"
#include "engineio/packet.h"
#include "engineio/query.h"
#include "engineio/sid.h"
#include "net/http_policy.h"
#include "util/budget.h"

namespace sbcmon::net {
namespace {

namespace eio = sbcmon::engineio;
using socketio::Buffer;
using socketio::SessionHandle;

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_reload = 0;
lws_context* g_context = nullptr;

void on_signal(int) {
  g_stop = 1;
  if (g_context != nullptr) lws_cancel_service(g_context);
}

void on_hangup(int) {
  g_reload = 1;
  if (g_context != nullptr) lws_cancel_service(g_context);
}

// File descriptors kept back from the connection cap: stdio, the listen
// sockets, lws's own pipe, the sampler's kept /proc and /sys files.
constexpr std::size_t kReservedFds = 64;

// Buffers the request headers are copied into. A header longer than its buffer
// fails the request closed (see oversized_header), never reads as absent. Origin
// and Host fit a 253-character DNS name with scheme and port.
constexpr int kOriginMax = 320;
constexpr int kHostMax = 320;
constexpr int kAuthMax = 1024;
constexpr int kSmallHeaderMax = 256;  // Accept-Encoding, If-None-Match
constexpr int kQueryMax = 1024;
constexpr std::size_t kAddrMax = 48;

constexpr std::uint32_t kIndexBits = 12;  // up to 4096 sessions (Kconfig range)
constexpr std::uint32_t kIndexMask = (1u << kIndexBits) - 1;
static_assert(config::kMaxSessions <= (1u << kIndexBits), "session index does not fit the handle");

constexpr std::size_t kMaxPacketsPerPoll = 16;

constexpr std::string_view kSocketIoPath = "/socket.io/";
constexpr std::string_view kEchoPath = "/engine.io/";

// Data and error responses are never rendered as documents, nor framed.
constexpr const char* kDataCsp = "default-src 'none'; frame-ancestors 'none'";

enum class Endpoint : std::uint8_t { kSocketIo, kEcho };
enum class Role : std::uint8_t { kNone, kPollGet, kPollPost, kWebSocket };
enum class Method : std::uint8_t { kGet, kPost, kHead, kOptions, kOther };

// Per-connection state; lws allocates and zeroes it, so it must stay trivial.
struct Conn {
  Role role;
  Endpoint endpoint;
  std::uint32_t session;  // handle of the session this connection serves
  bool has_session;
  bool close_me;          // websocket: send a close frame at the next writeable
  bool pending_close;     // held poll of a closed session: answer with a close packet
  bool discard;           // POST over maxPayload: read and drop the body, then 413
  std::uint8_t protocol;  // 3 or 4: framing of the pending close packet
};

struct Outgoing {
  eio::PacketType type = eio::PacketType::kNoop;
  bool binary = false;
  Buffer data;
};

struct Session {
  bool used = false;
  std::uint32_t generation = 0;
  eio::Sid sid{};
  eio::Protocol protocol = eio::Protocol::kV4;
  Endpoint endpoint = Endpoint::kSocketIo;
  bool websocket = false;  // the current transport is the websocket
  bool upgrading = false;  // probe done, waiting for "5"
  lws* get = nullptr;      // held polling GET
  lws* post = nullptr;     // POST being received
  lws* ws = nullptr;       // websocket (the probe while upgrading)
  bool probe_reply = false;
  std::vector<Outgoing> queue;  // ring, capacity fixed at start
  std::size_t head = 0;
  std::size_t count = 0;
  std::size_t queued_bytes = 0;
  std::uint64_t last_ping_ms = 0;  // v4: when we last pinged; v3: when the client last pinged
  bool awaiting_pong = false;
  std::string rx;    // websocket message being assembled
  std::string body;  // POST body being received
  std::size_t rx_reserved = 0;    // bytes of rx held against the memory budget
  std::size_t body_reserved = 0;  // bytes of body held against the memory budget
  char addr[kAddrMax] = {};       // client address, for the per-address limits
};

Method method_of(lws* wsi) {
  if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0) return Method::kGet;
  if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0) return Method::kPost;
#if defined(LWS_WITH_HTTP_UNCOMMON_HEADERS) || defined(LWS_HTTP_HEADERS_ALL)
  if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0) return Method::kHead;
  if (lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI) > 0) return Method::kOptions;
#endif
  return Method::kOther;
}

// Copies a header into `buf`; empty view when absent or too long. Requests whose
// headers do not fit are refused up front by oversized_header(), so by the time
// a handler reads one, empty means absent.
std::string_view header(lws* wsi, lws_token_indexes token, char* buf, int cap) {
  const int n = lws_hdr_copy(wsi, buf, cap, token);
  if (n <= 0) return {};
  return {buf, static_cast<std::size_t>(n)};
}

// The request's query string, its arguments joined by '&' ("" if none). lws
// keeps each argument as a separate fragment of WSI_TOKEN_HTTP_URI_ARGS.
// nullopt when it does not fit `cap` (or has more than 32 arguments): a dropped
// argument must not change what the request means.
std::optional<std::string_view> query_of(lws* wsi, char* buf, int cap) {
  int used = 0;
  for (int frag = 0;; ++frag) {
    const int want = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, frag);
    if (want <= 0) break;
    if (frag >= 32) return std::nullopt;
    if (used > 0) buf[used++] = '&';
    if (used + want + 1 > cap) return std::nullopt;
    const int n = lws_hdr_copy_fragment(wsi, buf + used, cap - used, WSI_TOKEN_HTTP_URI_ARGS, frag);
    if (n < 0) return std::nullopt;
    used += n;
  }
  return std::string_view{buf, static_cast<std::size_t>(used)};
}

// 0 when every header this server reads fits its buffer; else the status to
// refuse with: 403 for an Origin (an unreadable Origin is not "no Origin"), 431
// for the others.
unsigned oversized_header(lws* wsi) {
  struct Limit {
    lws_token_indexes token;
    int cap;
  };
  static constexpr Limit kLimits[] = {
      {WSI_TOKEN_ORIGIN, kOriginMax},
      {WSI_TOKEN_HOST, kHostMax},
      {WSI_TOKEN_HTTP_AUTHORIZATION, kAuthMax},
      {WSI_TOKEN_HTTP_ACCEPT_ENCODING, kSmallHeaderMax},
      {WSI_TOKEN_HTTP_IF_NONE_MATCH, kSmallHeaderMax},
      {WSI_TOKEN_HTTP_CONTENT_LENGTH, 24},
  };
  char buf[kAuthMax];
  for (const Limit& l : kLimits) {
    if (lws_hdr_total_length(wsi, l.token) <= 0) continue;
    if (lws_hdr_copy(wsi, buf, l.cap, l.token) < 0) {
      return l.token == WSI_TOKEN_ORIGIN ? HTTP_STATUS_FORBIDDEN : 431;
    }
  }
  return 0;
}

bool accepts_gzip(std::string_view accept_encoding) {
  std::size_t pos = 0;
  while (pos < accept_encoding.size()) {
    std::size_t end = accept_encoding.find(',', pos);
    if (end == std::string_view::npos) end = accept_encoding.size();
    std::string_view item = accept_encoding.substr(pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const auto semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (coding == "gzip" || coding == "*") {
      const bool refused = semi != std::string_view::npos &&
                           item.find("q=0", semi) != std::string_view::npos &&
                           item.find("q=0.", semi) == std::string_view::npos;
      return !refused;
    }
    pos = end + 1;
  }
  return false;
}

// `in` as a gzip member into `out` (replaced). False if zlib fails; `out` is then junk.
bool gzip(std::string_view in, std::string& out) {
  z_stream z{};
  // 15 + 16: a gzip wrapper, as Content-Encoding: gzip means; level 6 is zlib's default.
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  out.resize(deflateBound(&z, static_cast<uLong>(in.size())));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END;
}

std::uint64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000000u;
}

}  // namespace

struct Server::Impl final : socketio::EngineLink {
  // A timer whose callback finds its Impl: lws passes only the sul pointer, and
  // the sul is the first member of this standard-layout struct.
  struct Timer {
    lws_sorted_usec_list_t sul;
    Impl* self;
  };

  ServerConfig cfg;
  lws_context* ctx = nullptr;
  std::vector<lws_protocols> protocols;
  std::vector<Session> sessions;
  std::size_t live_sessions = 0;
  Stats stats;
  eio::SidGenerator sids;
  std::unique_ptr<socketio::Server> sio;
  struct Route {
    std::string path;
    RouteHandler handler;
    bool needs_token;
  };
  std::vector<Route> routes;

  AddressTable addresses;     // handshake rate and token back-off per client address
  util::MemoryBudget budget;  // everything clients make us hold (see util/budget.h)
  std::size_t connection_cap = 0;
  std::function<void()> reload;

  Timer tick_timer{};
  Timer sweep_timer{};
  std::uint32_t period_ms = 0;
  std::function<void()> periodic;
  std::uint64_t next_tick_ms = 0;
  bool sweep_scheduled = false;
  std::uint32_t sweep_ms = 250;

  std::string tx;       // scratch for one outgoing frame or HTTP body, LWS_PRE in front
  std::string inflated; // scratch for a page asked for without gzip

  // ---- sessions ------------------------------------------------------------
  Session* lookup(SessionHandle h) {
    const std::uint32_t index = h & kIndexMask;
    if (index >= sessions.size()) return nullptr;
    Session& s = sessions[index];
    if (!s.used || s.generation != (h >> kIndexBits)) return nullptr;
    return &s;
  }

  SessionHandle handle_of(const Session& s) const {
    const auto index = static_cast<std::uint32_t>(&s - sessions.data());
    return (s.generation << kIndexBits) | index;
  }

  Session* find_sid(std::string_view sid, Endpoint endpoint) {
    if (sid.size() != eio::kSidLength) return nullptr;
    for (Session& s : sessions) {
      if (s.used && s.endpoint == endpoint && eio::view(s.sid) == sid) return &s;
    }
    return nullptr;
  }

  Session* create_session(eio::Protocol protocol, Endpoint endpoint, const char* addr) {
    if (live_sessions >= cfg.max_sessions) return nullptr;
    for (Session& s : sessions) {
      if (s.used) continue;
      if (!sids.next(s.sid)) return nullptr;
      std::snprintf(s.addr, sizeof(s.addr), "%s", addr);
      // A slot's queue is allocated the first time it is used and then kept:
      // memory follows the peak number of sessions, bounded by the table size.
      if (s.queue.empty()) s.queue.resize(config::kSessionQueueMax);
      s.used = true;
      s.protocol = protocol;
      s.endpoint = endpoint;
      s.websocket = false;
      s.upgrading = false;
      s.get = s.post = s.ws = nullptr;
      s.probe_reply = false;
      s.head = s.count = s.queued_bytes = 0;
      s.last_ping_ms = monotonic_ms();
      s.awaiting_pong = false;
      s.rx.clear();
      s.body.clear();
      s.rx_reserved = s.body_reserved = 0;
      ++live_sessions;
      ++stats.sessions_opened;
      stats.sessions_open = live_sessions;
      ensure_sweep();
      return &s;
    }
    return nullptr;
  }

  // Queues one packet. Over the caps the session is closed: a client that
  // cannot keep up reconnects and backfills from the history ack instead of
  // holding memory for everyone.
  bool enqueue(Session& s, eio::PacketType type, Buffer data, bool binary) {
    const std::size_t size = data ? data->size() : 0;
    if (s.count >= std::min(s.queue.size(), cfg.max_queue) ||
        s.queued_bytes + size > 4 * cfg.max_payload + 65536 || !reserve_outbound(s, size)) {
      ++stats.sessions_dropped;
      close_session(s);
      return false;
    }
    Outgoing& out = s.queue[(s.head + s.count) % s.queue.size()];
    out.type = type;
    out.binary = binary;
    out.data = std::move(data);
    ++s.count;
    ++stats.packets_queued;
    s.queued_bytes += size;
    kick(s);
    return true;
  }

  Outgoing pop(Session& s) {
    Outgoing out = std::move(s.queue[s.head]);
    s.queue[s.head].data.reset();
    s.head = (s.head + 1) % s.queue.size();
    --s.count;
    const std::size_t size = out.data ? out.data->size() : 0;
    s.queued_bytes -= size;
    release(size);
    return out;
  }

  // ---- memory budget -----------------------------------------------------------
  // Outbound bytes for `s`. When the budget is full, the session with the
  // longest queue (the reader furthest behind) is closed to make room; false
  // when that is `s` itself, which the caller then closes.
  bool reserve_outbound(Session& s, std::size_t size) {
    while (!budget.reserve(size, util::Use::kOutbound)) {
      Session* worst = &s;
      for (Session& o : sessions) {
        if (o.used && o.queued_bytes > worst->queued_bytes) worst = &o;
      }
      ++stats.over_budget;
      if (worst == &s) return false;
      ++stats.sessions_dropped;
      close_session(*worst);
    }
    note_budget();
    return true;
  }

  // Inbound bytes (a POST body or websocket message being read); false when over budget.
  bool reserve_inbound(std::size_t size) {
    if (!budget.reserve(size, util::Use::kInbound)) {
      ++stats.over_budget;
      return false;
    }
    note_budget();
    return true;
  }

  void release(std::size_t size) {
    budget.release(size);
    note_budget();
  }

  void note_budget() {
    stats.memory_held = budget.used();
    stats.memory_peak = budget.peak();
  }

  // Asks lws for a writeable callback on whichever transport can carry the queue.
  void kick(Session& s) {
    if (s.count == 0) return;
    if (s.websocket && s.ws != nullptr) {
      lws_callback_on_writable(s.ws);
    } else if (!s.websocket && s.get != nullptr) {
      lws_callback_on_writable(s.get);
    }
  }

  void close_session(Session& s) {
    if (!s.used) return;
    const SessionHandle h = handle_of(s);
    if (s.endpoint == Endpoint::kSocketIo && sio) sio->on_close(h);
    lws* get = s.get;
    lws* ws = s.ws;
    s.used = false;
    ++s.generation;
    s.generation &= (1u << (32 - kIndexBits)) - 1;
    for (std::size_t i = 0; i < s.count; ++i) s.queue[(s.head + i) % s.queue.size()].data.reset();
    release(s.queued_bytes + s.rx_reserved + s.body_reserved);
    s.rx_reserved = s.body_reserved = 0;
    s.head = s.count = s.queued_bytes = 0;
    s.get = s.post = s.ws = nullptr;
    s.rx.clear();
    s.rx.shrink_to_fit();
    s.body.clear();
    s.body.shrink_to_fit();
    --live_sessions;
    stats.sessions_open = live_sessions;
    if (get != nullptr) {
      // Answer the held poll with a close packet so the client learns at once.
      auto* c = static_cast<Conn*>(lws_wsi_user(get));
      c->has_session = false;
      c->pending_close = true;
      c->protocol = static_cast<std::uint8_t>(s.protocol);
      lws_callback_on_writable(get);
    }
    if (ws != nullptr) {
      auto* c = static_cast<Conn*>(lws_wsi_user(ws));
      c->has_session = false;
      c->close_me = true;
      lws_callback_on_writable(ws);
      // A peer that stopped reading never makes the socket writeable again: give
      // the close frame a moment, then drop the connection regardless.
      lws_set_timeout(ws, PENDING_TIMEOUT_CLOSE_SEND, 2);
    }
  }

  // ---- EngineLink ------------------------------------------------------------
  bool send(SessionHandle h, Buffer packet, bool binary) override {
    Session* s = lookup(h);
    if (s == nullptr) return false;
    return enqueue(*s, eio::PacketType::kMessage, std::move(packet), binary);
  }

  void close(SessionHandle h) override {
    if (Session* s = lookup(h)) close_session(*s);
  }

  void auth_failed(SessionHandle h) override {
    if (Session* s = lookup(h)) addresses.auth_failed(s->addr, monotonic_ms());
  }

  void auth_succeeded(SessionHandle h) override {
    if (Session* s = lookup(h)) addresses.auth_succeeded(s->addr);
  }

  // ---- incoming packets --------------------------------------------------------
  // Handles one decoded packet; false if the session was closed by it.
  bool on_packet(Session& s, const eio::Packet& p, bool over_websocket) {
    const SessionHandle h = handle_of(s);
    switch (p.type) {
      case eio::PacketType::kMessage:
        if (s.endpoint == Endpoint::kEcho) {
          enqueue(s, eio::PacketType::kMessage, std::make_shared<const std::string>(p.data),
                  p.binary);
        } else {
          sio->on_message(h, p.data, p.binary, monotonic_ms());
        }
        break;
      case eio::PacketType::kPong:
        if (s.protocol == eio::Protocol::kV4) s.awaiting_pong = false;
        break;
      case eio::PacketType::kPing:
        if (s.protocol == eio::Protocol::kV3) {
          // v3 clients drive the heartbeat: answer with the same data.
          s.last_ping_ms = monotonic_ms();
          enqueue(s, eio::PacketType::kPong,
                  p.data.empty() ? nullptr : std::make_shared<const std::string>(p.data), false);
        } else {
          close_session(s);  // a v4 client never pings outside the probe
        }
        break;
      case eio::PacketType::kClose:
        close_session(s);
        break;
      case eio::PacketType::kNoop:
        break;
      case eio::PacketType::kUpgrade:
        if (!over_websocket) close_session(s);
        break;
      case eio::PacketType::kOpen:
        close_session(s);
        break;
    }
    return lookup(h) != nullptr;
  }

  // ---- HTTP responses ------------------------------------------------------------
  // Writes a complete response; returns what the lws callback should return.
  int respond(lws* wsi, unsigned status, const char* content_type, std::string_view body,
              bool head_only = false, const char* extra = nullptr,
              const char* content_encoding = nullptr) {
    unsigned char hdr[LWS_PRE + 2048];
    unsigned char* start = hdr + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = hdr + sizeof(hdr) - 1;
    if (lws_add_http_common_headers(wsi, status, content_type, body.size(), &p, end) != 0) return -1;
    if (add_header(wsi, "x-content-type-options:", "nosniff", &p, end) != 0) return -1;
    if (add_header(wsi, "cache-control:", "no-store", &p, end) != 0) return -1;
    if (add_header(wsi, "referrer-policy:", "no-referrer", &p, end) != 0) return -1;
    if (add_header(wsi, "content-security-policy:", kDataCsp, &p, end) != 0) return -1;
    if (extra != nullptr && add_header(wsi, "access-control-allow-origin:", extra, &p, end) != 0)
      return -1;
    if (add_cors(wsi, &p, end) != 0) return -1;
    if (content_encoding != nullptr &&
        (add_header(wsi, "content-encoding:", content_encoding, &p, end) != 0 ||
         add_header(wsi, "vary:", "Accept-Encoding", &p, end) != 0))
      return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end) != 0) return -1;
    if (!head_only && !body.empty()) {
      tx.assign(LWS_PRE, '\0');
      tx.append(body);
      auto* data = reinterpret_cast<unsigned char*>(tx.data()) + LWS_PRE;
      if (lws_write(wsi, data, body.size(), LWS_WRITE_HTTP_FINAL) < 0) return -1;
    }
    return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
  }

  // A route's reply, gzipped when the client takes gzip (Prometheus does) and the body is
  // big enough to gain from it; /metrics shrinks about 5x.
  int respond_route(lws* wsi, unsigned status, const char* content_type, std::string_view body,
                    bool head_only) {
    constexpr std::size_t kGzipMin = 1024;
    char buf[kSmallHeaderMax];
    std::string zipped;
    if (body.size() >= kGzipMin &&
        accepts_gzip(header(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING, buf, sizeof(buf))) &&
        gzip(body, zipped)) {
      return respond(wsi, status, content_type, zipped, head_only, nullptr, "gzip");
    }
    return respond(wsi, status, content_type, body, head_only);
  }

  // For a request from an origin allowed with --allow-origin (not the board's
  // own), the CORS headers a browser needs to read the polling responses.
  int add_cors(lws* wsi, unsigned char** p, unsigned char* end) const {
    char obuf[kOriginMax];
    const std::string_view origin = header(wsi, WSI_TOKEN_ORIGIN, obuf, sizeof(obuf));
    if (origin.empty() || !origin_listed(origin)) return 0;
    if (add_header(wsi, "access-control-allow-origin:", obuf, p, end) != 0 ||
        add_header(wsi, "access-control-allow-credentials:", "true", p, end) != 0 ||
        add_header(wsi, "vary:", "Origin", p, end) != 0) {
      return -1;
    }
    return 0;
  }

  bool origin_listed(std::string_view origin) const {
    for (const std::string& allowed : cfg.allow_origins) {
      if (allowed == "*" || origin == allowed) return true;
    }
    return false;
  }

  static int add_header(lws* wsi, const char* name, const char* value, unsigned char** p,
                        unsigned char* end) {
    return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                       reinterpret_cast<const unsigned char*>(value),
                                       static_cast<int>(std::strlen(value)), p, end);
  }

  int respond_error(lws* wsi, eio::ErrorCode code) {
    const std::string_view body = eio::error_json(code);
    return respond(wsi, static_cast<unsigned>(eio::error_http_status(code)), "application/json",
                   body);
  }

  // Builds a polling payload from the head of the queue into `tx` (after
  // LWS_PRE). At most kMaxPacketsPerPoll packets: python-engineio rejects a
  // payload with more than 16 and drops the connection; the rest go in the next poll.
  void build_payload(Session& s) {
    tx.assign(LWS_PRE, '\0');
    bool first = true;
    for (std::size_t n = 0; s.count > 0 && n < kMaxPacketsPerPoll &&
                            tx.size() < LWS_PRE + cfg.max_payload;
         ++n) {
      Outgoing out = pop(s);
      const std::string_view data = out.data ? std::string_view(*out.data) : std::string_view();
      eio::append_payload_packet(tx, s.protocol, out.type, out.binary, data, first);
      first = false;
    }
  }

  // Answers a polling GET with `tx`'s payload (or a noop); returns the callback value.
  int answer_poll(lws* wsi, Session& s, bool noop) {
    if (noop) {
      tx.assign(LWS_PRE, '\0');
      eio::append_payload_packet(tx, s.protocol, eio::PacketType::kNoop, false, {}, true);
    } else {
      build_payload(s);
    }
    if (s.get == wsi) s.get = nullptr;
    auto* c = static_cast<Conn*>(lws_wsi_user(wsi));
    c->role = Role::kNone;
    std::string body = tx.substr(LWS_PRE);
    return respond(wsi, HTTP_STATUS_OK, "text/plain; charset=UTF-8", body);
  }

  // ---- access checks ------------------------------------------------------------
  // Constant-time comparison of a presented secret with the configured token.
  bool token_equal(std::string_view given) const {
    unsigned diff = given.size() == cfg.token.size() ? 0u : 1u;
    for (std::size_t i = 0; i < cfg.token.size(); ++i) {
      const char g = i < given.size() ? given[i] : '\0';
      diff |= static_cast<unsigned>(static_cast<unsigned char>(g) ^
                                    static_cast<unsigned char>(cfg.token[i]));
    }
    return diff == 0;
  }

  bool bearer_ok(lws* wsi) const {
    char buf[kAuthMax];
    const auto creds = bearer_credentials(header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, buf, sizeof(buf)));
    return creds && token_equal(*creds);
  }

  // Same-origin by default, as Flask-SocketIO: a page from another site must
  // not open sessions with the visitor's network position (cross-site
  // WebSocket hijacking). Requests without Origin (non-browser clients) pass.
  // The scheme counts: an https:// page is not the same origin as a plain-HTTP board.
  bool origin_ok(lws* wsi) const {
    char obuf[kOriginMax];
    char hbuf[kHostMax];
    const std::string_view origin = header(wsi, WSI_TOKEN_ORIGIN, obuf, sizeof(obuf));
    if (origin.empty() || origin_listed(origin)) return true;
    return same_origin(origin, header(wsi, WSI_TOKEN_HOST, hbuf, sizeof(hbuf)), lws_is_ssl(wsi) != 0);
  }

  // DNS rebinding: a page whose name was re-pointed at the board passes the
  // origin check (Origin equals Host), so the Host itself must name the board.
  bool host_ok(lws* wsi) const {
    char hbuf[kHostMax];
    return host_allowed(header(wsi, WSI_TOKEN_HOST, hbuf, sizeof(hbuf)), cfg.hostname, cfg.allow_hosts);
  }

  // Checks every request makes before anything else: headers that fit, a Host
  // naming the board. 0 when it may go on, else the HTTP status to refuse with
  // and its `body`.
  unsigned gate(lws* wsi, const char*& body) const {
    if (const unsigned status = oversized_header(wsi)) {
      body = status == HTTP_STATUS_FORBIDDEN ? "Forbidden: Origin header too long"
                                             : "Request Header Fields Too Large";
      return status;
    }
    if (!host_ok(wsi)) {
      body = "Forbidden: this Host is not one of the board's names (add it with --allow-host NAME)";
      return HTTP_STATUS_FORBIDDEN;
    }
    return 0;
  }

  // Whether the client at `addr` may open another session: the handshake rate,
  // the token back-off, its share of the session table. nullptr when it may,
  // else the refusal's JSON body (always status 429).
  const char* admission(const char* addr) {
    std::size_t mine = 0;
    std::size_t unjoined = 0;
    for (const Session& s : sessions) {
      if (!s.used || std::strcmp(s.addr, addr) != 0) continue;
      ++mine;
      if (s.endpoint == Endpoint::kSocketIo && !sio->joined_any(handle_of(s))) ++unjoined;
    }
    if (cfg.sessions_per_addr != 0 && mine >= cfg.sessions_per_addr) {
      return R"({"code":3,"message":"Too many sessions from this address"})";
    }
    // Unconnected means unauthenticated only when a token is asked for; an open
    // board's clients join at will, and the per-address cap above covers them.
    if (!cfg.token.empty() && cfg.unjoined_per_addr != 0 && unjoined >= cfg.unjoined_per_addr) {
      return R"({"code":3,"message":"Too many unconnected sessions from this address"})";
    }
    if (!addresses.handshake_allowed(addr, monotonic_ms(), cfg.handshakes_per_s)) {
      return R"({"code":3,"message":"Too many handshakes"})";
    }
    return nullptr;
  }

  static void peer_of(lws* wsi, char (&addr)[kAddrMax]) {
    addr[0] = '\0';
    lws_get_peer_simple(wsi, addr, sizeof(addr));
  }

  // With --redirect-http, plain HTTP on the TLS port: 301 to the same path and
  // query over https.
  int redirect_to_https(lws* wsi) {
    char hbuf[kHostMax];
    char ubuf[512];
    char qbuf[kQueryMax];
    const std::string_view host = header(wsi, WSI_TOKEN_HOST, hbuf, sizeof(hbuf));
    const Method m = method_of(wsi);
    const lws_token_indexes uri_token = m == Method::kPost ? WSI_TOKEN_POST_URI : WSI_TOKEN_GET_URI;
    const std::string_view uri = header(wsi, uri_token, ubuf, sizeof(ubuf));
    const auto qs = query_of(wsi, qbuf, sizeof(qbuf));
    if (uri.empty() || !qs) return respond(wsi, 414, "text/plain", "URI Too Long");
    std::string location = "https://";
    location.append(host).append(uri);
    if (!qs->empty()) location.append("?").append(*qs);
    unsigned char hdr[LWS_PRE + 2048];
    unsigned char* start = hdr + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = hdr + sizeof(hdr) - 1;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_MOVED_PERMANENTLY, "text/plain", 0, &p, end) != 0 ||
        add_header(wsi, "location:", location.c_str(), &p, end) != 0 ||
        add_header(wsi, "content-security-policy:", kDataCsp, &p, end) != 0 ||
        lws_finalize_write_http_header(wsi, start, &p, end) != 0) {
      return -1;
    }
    return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
  }

  // CORS preflight for an allowed origin's POST (content-type: text/plain is
  // simple, but clients may add headers).
  int preflight(lws* wsi) {
    unsigned char hdr[LWS_PRE + 1024];
    unsigned char* start = hdr + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = hdr + sizeof(hdr) - 1;
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_NO_CONTENT, "text/plain", 0, &p, end) != 0 ||
        add_header(wsi, "access-control-allow-methods:", "GET, POST", &p, end) != 0 ||
        add_header(wsi, "access-control-allow-headers:", "content-type", &p, end) != 0 ||
        add_header(wsi, "access-control-max-age:", "86400", &p, end) != 0 ||
        add_header(wsi, "content-security-policy:", kDataCsp, &p, end) != 0 ||
        add_cors(wsi, &p, end) != 0 || lws_finalize_write_http_header(wsi, start, &p, end) != 0) {
      return -1;
    }
    return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
  }

  int respond_refused(lws* wsi, const char* body) { return respond(wsi, 429, "application/json", body); }

  // ---- Engine.IO over HTTP ---------------------------------------------------------
  int engine_http(lws* wsi, Conn* c, Endpoint endpoint, Method method) {
    char qbuf[kQueryMax];
    const auto query = query_of(wsi, qbuf, sizeof(qbuf));
    if (!query) return respond(wsi, 414, "text/plain", "URI Too Long");
    const std::string_view qs = *query;
    const eio::Query q = eio::parse_query(qs);
    if (!q.transport) return respond_error(wsi, eio::ErrorCode::kUnknownTransport);
    if (!origin_ok(wsi)) return respond_error(wsi, eio::ErrorCode::kForbidden);
    if (method == Method::kOptions) return preflight(wsi);
    // A websocket handshake that arrived without the Upgrade header.
    if (*q.transport != eio::Transport::kPolling) return respond_error(wsi, eio::ErrorCode::kBadRequest);
    if (q.sid.empty()) {
      if (method != Method::kGet) return respond_error(wsi, eio::ErrorCode::kBadHandshakeMethod);
      if (!q.protocol) return respond_error(wsi, eio::ErrorCode::kUnsupportedProtocolVersion);
      char addr[kAddrMax];
      peer_of(wsi, addr);
      if (const char* refusal = admission(addr)) return respond_refused(wsi, refusal);
      Session* s = create_session(*q.protocol, endpoint, addr);
      if (s == nullptr) {
        ++stats.sessions_refused;
        return respond(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "application/json",
                       R"({"code":3,"message":"Server full"})");
      }
      auto open = std::make_shared<const std::string>(eio::open_json(
          eio::view(s->sid), true, cfg.ping_interval_ms, cfg.ping_timeout_ms, cfg.max_payload));
      enqueue(*s, eio::PacketType::kOpen, std::move(open), false);
      if (endpoint == Endpoint::kSocketIo) sio->on_open(handle_of(*s), s->protocol, monotonic_ms(), qs);
      if (!s->used) return respond_error(wsi, eio::ErrorCode::kBadRequest);
      return answer_poll(wsi, *s, false);
    }
    Session* s = find_sid(q.sid, endpoint);
    if (s == nullptr) return respond_error(wsi, eio::ErrorCode::kUnknownSid);
    if (s->websocket) return respond_error(wsi, eio::ErrorCode::kBadRequest);
    if (method == Method::kGet) {
      if (s->get != nullptr) {
        // A second concurrent poll: the reference server treats it as a broken client.
        close_session(*s);
        return respond_error(wsi, eio::ErrorCode::kBadRequest);
      }
      if (s->upgrading) return answer_poll(wsi, *s, true);
      if (s->count > 0) return answer_poll(wsi, *s, false);
      s->get = wsi;
      c->role = Role::kPollGet;
      c->session = handle_of(*s);
      c->has_session = true;
      // lws would drop a quiet request after its own few seconds; a poll is held
      // until the next ping at the latest.
      const unsigned hold_s = (cfg.ping_interval_ms + cfg.ping_timeout_ms) / 1000 + 5;
      lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, static_cast<int>(hold_s));
      return 0;
    }
    if (method == Method::kPost) {
      if (s->post != nullptr) {
        close_session(*s);
        return respond_error(wsi, eio::ErrorCode::kBadRequest);
      }
      char lbuf[24];
      const std::string_view len = header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, lbuf, sizeof(lbuf));
      const unsigned long long declared = len.empty() ? 0 : std::strtoull(lbuf, nullptr, 10);
      if (declared > cfg.max_payload) {
        if (declared > 4ull * cfg.max_payload) {
          respond(wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, "text/plain", "Payload Too Large");
          return -1;  // not worth reading: hang up
        }
        // Read and drop a moderately oversized body before answering, so the
        // client is not cut off mid-upload (EPIPE) and sees the 413.
        c->role = Role::kPollPost;
        c->discard = true;
        return 0;
      }
      s->post = wsi;
      s->body.clear();
      release(s->body_reserved);
      s->body_reserved = 0;
      c->role = Role::kPollPost;
      c->session = handle_of(*s);
      c->has_session = true;
      return 0;  // the body follows in LWS_CALLBACK_HTTP_BODY
    }
    return respond_error(wsi, eio::ErrorCode::kBadRequest);
  }

  int on_post_body(lws* wsi, Conn* c, const char* in, std::size_t len) {
    Session* s = c->has_session ? lookup(c->session) : nullptr;
    if (s == nullptr || s->post != wsi) return 0;  // session gone: drain quietly
    if (s->body.size() + len > cfg.max_payload) {
      s->post = nullptr;
      c->role = Role::kNone;
      respond(wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, "text/plain", "Payload Too Large");
      return -1;
    }
    if (!reserve_inbound(len)) {
      // Over the memory budget: this session, the one asking, is closed.
      s->post = nullptr;
      c->role = Role::kNone;
      c->has_session = false;
      close_session(*s);
      respond(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "text/plain", "Server busy (memory budget)");
      return -1;
    }
    s->body_reserved += len;
    s->body.append(in, len);
    return 0;
  }

  int on_post_complete(lws* wsi, Conn* c) {
    c->role = Role::kNone;
    if (c->discard) {
      c->discard = false;
      return respond(wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, "text/plain", "Payload Too Large");
    }
    Session* s = c->has_session ? lookup(c->session) : nullptr;
    if (s == nullptr) return respond_error(wsi, eio::ErrorCode::kUnknownSid);
    s->post = nullptr;
    const SessionHandle h = handle_of(*s);
    std::string body = std::move(s->body);
    s->body.clear();
    // The body stays reserved while its packets are handled, then is returned.
    struct Held {
      Impl* self;
      std::size_t n;
      ~Held() { self->release(n); }
    } held{this, s->body_reserved};
    s->body_reserved = 0;
    std::string scratch;
    const bool ok = eio::for_each_payload_packet(body, s->protocol, scratch,
                                                 [&](const eio::Packet& p) {
      Session* live = lookup(h);
      return live != nullptr && on_packet(*live, p, false);
    });
    Session* live = lookup(h);
    if (!ok) {
      if (live != nullptr) close_session(*live);
      return respond_error(wsi, eio::ErrorCode::kBadRequest);
    }
    if (live != nullptr) {
      live->body = std::move(body);  // keep the capacity for the next POST
      live->body.clear();
    }
    return respond(wsi, HTTP_STATUS_OK, "text/html", "ok");
  }

  // ---- websocket ---------------------------------------------------------------
  struct WsTarget {
    Endpoint endpoint = Endpoint::kSocketIo;
    eio::Query query;
    std::string_view query_string;  // the raw query the Query points into
  };

  // Reads the path and query of a websocket handshake (headers still attached).
  // Returns 0 when acceptable, else the HTTP status to refuse with and `code`.
  unsigned ws_target(lws* wsi, char* qbuf, int qcap, WsTarget& t, eio::ErrorCode& code) {
    const auto qs = query_of(wsi, qbuf, qcap);
    if (!qs) {
      code = eio::ErrorCode::kBadRequest;
      return 414;
    }
    char path[64];
    const std::string_view uri = header(wsi, WSI_TOKEN_GET_URI, path, sizeof(path));
    if (uri == kSocketIoPath || uri == "/socket.io") {
      t.endpoint = Endpoint::kSocketIo;
    } else if (cfg.engine_echo && (uri == kEchoPath || uri == "/engine.io")) {
      t.endpoint = Endpoint::kEcho;
    } else {
      return HTTP_STATUS_NOT_FOUND;
    }
    t.query_string = *qs;
    t.query = eio::parse_query(*qs);
    const eio::Query& q = t.query;
    code = eio::ErrorCode::kBadRequest;
    if (!q.transport || *q.transport != eio::Transport::kWebSocket) {
      code = eio::ErrorCode::kUnknownTransport;
    } else if (!origin_ok(wsi)) {
      code = eio::ErrorCode::kForbidden;
    } else if (q.sid.empty() && !q.protocol) {
      code = eio::ErrorCode::kUnsupportedProtocolVersion;
    } else if (!q.sid.empty() && find_sid(q.sid, t.endpoint) == nullptr) {
      code = eio::ErrorCode::kUnknownSid;
    } else {
      return 0;
    }
    return static_cast<unsigned>(eio::error_http_status(code));
  }

  // Validates a websocket handshake; on refusal writes the HTTP error and returns >0.
  // lws gives no per-connection data here, so nothing is stored yet.
  int confirm_upgrade(lws* wsi) {
    const char* refusal = nullptr;
    if (const unsigned status = gate(wsi, refusal)) return reject(wsi, status, refusal);
    if (cfg.redirect_http && lws_is_ssl(wsi) == 0) {
      return reject(wsi, HTTP_STATUS_FORBIDDEN, "Forbidden: use wss://");
    }
    char qbuf[kQueryMax];
    WsTarget t;
    eio::ErrorCode code = eio::ErrorCode::kBadRequest;
    const unsigned status = ws_target(wsi, qbuf, sizeof(qbuf), t, code);
    if (status == HTTP_STATUS_NOT_FOUND) return reject(wsi, status, "Not Found");
    if (status != 0) return reject_code(wsi, code);
    if (t.query.sid.empty() && live_sessions >= cfg.max_sessions) {
      // Say so in HTTP, as polling does, rather than accept and hang up.
      ++stats.sessions_refused;
      return reject(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, R"({"code":3,"message":"Server full"})");
    }
    if (t.query.sid.empty()) {
      char addr[kAddrMax];
      peer_of(wsi, addr);
      if (const char* why = admission(addr)) return reject(wsi, 429, why);
    }
    return 0;
  }

  int reject_code(lws* wsi, eio::ErrorCode code) {
    const std::string_view body = eio::error_json(code);
    return reject(wsi, static_cast<unsigned>(eio::error_http_status(code)), body);
  }

  // Writes an HTTP response to a refused upgrade (a proxy turns a bare close into a 502).
  int reject(lws* wsi, unsigned status, std::string_view body) {
    unsigned char hdr[LWS_PRE + 1024];
    unsigned char* start = hdr + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = hdr + sizeof(hdr) - 1;
    if (lws_add_http_header_status(wsi, status, &p, end) != 0) return -1;
    if (add_header(wsi, "content-type:", "application/json", &p, end) != 0) return -1;
    const std::string len = std::to_string(body.size());
    if (add_header(wsi, "content-length:", len.c_str(), &p, end) != 0) return -1;
    if (add_header(wsi, "connection:", "close", &p, end) != 0) return -1;
    if (add_header(wsi, "x-content-type-options:", "nosniff", &p, end) != 0) return -1;
    if (add_header(wsi, "content-security-policy:", kDataCsp, &p, end) != 0) return -1;
    if (lws_finalize_http_header(wsi, &p, end) != 0) return -1;
    std::memcpy(p, body.data(), std::min<std::size_t>(body.size(), static_cast<std::size_t>(end - p)));
    p += std::min<std::size_t>(body.size(), static_cast<std::size_t>(end - p));
    if (lws_write(wsi, start, static_cast<std::size_t>(p - start), LWS_WRITE_HTTP_HEADERS) < 0) return -1;
    return 1;
  }

  int on_ws_established(lws* wsi, Conn* c) {
    char qbuf[kQueryMax];
    WsTarget t;
    eio::ErrorCode code = eio::ErrorCode::kBadRequest;
    const bool ok = ws_target(wsi, qbuf, sizeof(qbuf), t, code) == 0;
    *c = Conn{};
    c->role = Role::kWebSocket;
    c->endpoint = t.endpoint;
    if (!ok) {
      c->close_me = true;
      lws_callback_on_writable(wsi);
      return 0;
    }
    if (t.query.sid.empty()) {
      char addr[kAddrMax];
      peer_of(wsi, addr);
      Session* s = create_session(*t.query.protocol, t.endpoint, addr);
      if (s == nullptr) {
        ++stats.sessions_refused;
        c->close_me = true;
        lws_callback_on_writable(wsi);
        return 0;
      }
      c->session = handle_of(*s);
      c->has_session = true;
      s->websocket = true;
      s->ws = wsi;
      auto open = std::make_shared<const std::string>(eio::open_json(
          eio::view(s->sid), false, cfg.ping_interval_ms, cfg.ping_timeout_ms, cfg.max_payload));
      enqueue(*s, eio::PacketType::kOpen, std::move(open), false);
      if (t.endpoint == Endpoint::kSocketIo) {
        sio->on_open(c->session, s->protocol, monotonic_ms(), t.query_string);
      }
      return 0;
    }
    Session* s = find_sid(t.query.sid, t.endpoint);
    // A second websocket for a session is accepted and then closed at once, as
    // the reference server does.
    if (s == nullptr || s->websocket || s->ws != nullptr) {
      c->close_me = true;
      lws_callback_on_writable(wsi);
      return 0;
    }
    c->session = handle_of(*s);
    c->has_session = true;
    s->ws = wsi;  // the probe: the session stays on polling until "5"
    return 0;
  }

  int on_ws_receive(lws* wsi, Conn* c, const char* in, std::size_t len) {
    Session* s = c->has_session ? lookup(c->session) : nullptr;
    if (s == nullptr || s->ws != wsi) return 0;
    if (lws_is_first_fragment(wsi)) s->rx.clear();
    if (s->rx.size() + len > cfg.max_payload) {
      // Over maxPayload: this client alone is dropped (close 1009, as the reference does).
      close_session(*s);
      lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, nullptr, 0);
      return -1;
    }
    if (!reserve_inbound(len)) {
      // Over the memory budget: the session asking for more is the one closed.
      close_session(*s);
      lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, nullptr, 0);
      return -1;
    }
    s->rx_reserved += len;
    s->rx.append(in, len);
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) != 0) return 0;
    const bool binary = lws_frame_is_binary(wsi) != 0;
    std::string msg = std::move(s->rx);
    s->rx.clear();
    struct Held {
      Impl* self;
      std::size_t n;
      ~Held() { self->release(n); }
    } held{this, s->rx_reserved};
    s->rx_reserved = 0;
    const auto p = binary ? eio::decode_binary_frame(msg, s->protocol) : eio::decode_text_packet(msg);
    if (!p) {
      close_session(*s);
      return 0;
    }
    if (!s->websocket) return on_probe_packet(*s, *p);
    on_packet(*s, *p, true);
    return 0;
  }

  // Packets on a probe websocket before the upgrade completes.
  int on_probe_packet(Session& s, const eio::Packet& p) {
    if (p.type == eio::PacketType::kPing && p.data == "probe") {
      s.probe_reply = true;
      s.upgrading = true;
      lws_callback_on_writable(s.ws);
      // Release the held poll (with a noop) so the client can pause polling.
      if (s.get != nullptr) lws_callback_on_writable(s.get);
      return 0;
    }
    if (p.type == eio::PacketType::kUpgrade && s.upgrading) {
      s.upgrading = false;
      s.websocket = true;
      if (s.get != nullptr) lws_callback_on_writable(s.get);
      kick(s);
      return 0;
    }
    close_session(s);
    return 0;
  }

  int on_ws_writeable(lws* wsi, Conn* c) {
    if (c->close_me) {
      lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
      return -1;
    }
    Session* s = c->has_session ? lookup(c->session) : nullptr;
    if (s == nullptr || s->ws != wsi) return 0;
    if (s->probe_reply) {
      s->probe_reply = false;
      tx.assign(LWS_PRE, '\0');
      eio::append_text_packet(tx, eio::PacketType::kPong, "probe");
      if (lws_write(wsi, reinterpret_cast<unsigned char*>(tx.data()) + LWS_PRE, tx.size() - LWS_PRE,
                    LWS_WRITE_TEXT) < 0)
        return -1;
      lws_callback_on_writable(wsi);
      return 0;
    }
    if (!s->websocket) return 0;
    // Several frames per callback while the socket takes them keeps latency low
    // for bursts without starving other connections.
    for (int budget = 16; s->count > 0 && budget > 0; --budget) {
      Outgoing out = pop(*s);
      const std::string_view data = out.data ? std::string_view(*out.data) : std::string_view();
      tx.assign(LWS_PRE, '\0');
      lws_write_protocol kind = LWS_WRITE_TEXT;
      if (out.binary) {
        kind = LWS_WRITE_BINARY;
        if (s->protocol == eio::Protocol::kV3) tx.push_back(static_cast<char>(out.type));
        tx.append(data);
      } else {
        eio::append_text_packet(tx, out.type, data);
      }
      if (lws_write(wsi, reinterpret_cast<unsigned char*>(tx.data()) + LWS_PRE,
                    tx.size() - LWS_PRE, kind) < 0)
        return -1;
      if (lws_send_pipe_choked(wsi)) break;
    }
    if (s->count > 0) lws_callback_on_writable(wsi);
    return 0;
  }

  void on_ws_closed(lws* wsi, Conn* c) {
    Session* s = c->has_session ? lookup(c->session) : nullptr;
    if (s == nullptr || s->ws != wsi) return;
    s->ws = nullptr;
    if (s->websocket) {
      close_session(*s);
    } else {
      s->upgrading = false;  // a failed probe: carry on polling
      s->probe_reply = false;
    }
  }

  void on_http_closed(lws* wsi, Conn* c) {
    Session* s = c->has_session ? lookup(c->session) : nullptr;
    if (s == nullptr) return;
    if (s->post == wsi) s->post = nullptr;
    if (s->get == wsi) {
      // The client gave up on its poll: the session is gone, as in the reference.
      s->get = nullptr;
      close_session(*s);
    }
  }

  // ---- static page and routes ---------------------------------------------------
  int serve_static(lws* wsi, std::string_view path, Method method) {
    if (method != Method::kGet && method != Method::kHead) {
      return respond(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "text/plain", "Method Not Allowed");
    }
    char qbuf[kQueryMax];
    for (Route& r : routes) {
      if (path != r.path) continue;
      if (r.needs_token && !cfg.token.empty() && !bearer_ok(wsi)) {
        return respond(wsi, HTTP_STATUS_UNAUTHORIZED, "text/plain", "Unauthorized");
      }
      std::string body;
      std::string type = "text/plain; charset=utf-8";
      const auto qs = query_of(wsi, qbuf, sizeof(qbuf));
      if (!qs) return respond(wsi, 414, "text/plain", "URI Too Long");
      const int status = r.handler(*qs, body, type);
      return respond_route(wsi, static_cast<unsigned>(status), type.c_str(), body,
                           method == Method::kHead);
    }
    const assets::Asset* a = cfg.serve_page ? assets::find(path) : nullptr;
    if (a == nullptr) return respond(wsi, HTTP_STATUS_NOT_FOUND, "text/plain", "Not Found");

    char buf[kSmallHeaderMax];
    const bool gzip = accepts_gzip(header(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING, buf, sizeof(buf)));
    // A strong ETag names one representation: the gzip bytes get their own.
    char etag[64];
    const std::string_view base(a->etag);
    if (gzip && base.size() >= 2 && base.size() + 3 < sizeof(etag)) {
      std::snprintf(etag, sizeof(etag), "%.*s-gz\"", static_cast<int>(base.size() - 1), base.data());
    } else {
      std::snprintf(etag, sizeof(etag), "%s", a->etag);
    }
    const std::string_view inm = header(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH, buf, sizeof(buf));
    const bool not_modified = !inm.empty() && (inm.find(etag) != std::string_view::npos || inm == "*");
    std::string_view body;
    if (!not_modified) {
      if (gzip) {
        body = {reinterpret_cast<const char*>(a->gz), a->gz_size};
      } else {
        if (!assets::inflate(*a, inflated)) {
          return respond(wsi, HTTP_STATUS_INTERNAL_SERVER_ERROR, "text/plain", "corrupt asset");
        }
        body = inflated;
      }
    }
    unsigned char hdr[LWS_PRE + 2048];
    unsigned char* start = hdr + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = hdr + sizeof(hdr) - 1;
    const unsigned status = not_modified ? HTTP_STATUS_NOT_MODIFIED : HTTP_STATUS_OK;
    if (lws_add_http_common_headers(wsi, status, a->content_type, body.size(), &p, end) != 0) return -1;
    if (add_header(wsi, "etag:", etag, &p, end) != 0) return -1;
    // Revalidate every time: the ETag makes that a 304 of a few bytes.
    if (add_header(wsi, "cache-control:", "no-cache", &p, end) != 0) return -1;
    if (add_header(wsi, "vary:", "Accept-Encoding", &p, end) != 0) return -1;
    if (add_header(wsi, "x-content-type-options:", "nosniff", &p, end) != 0) return -1;
    if (add_header(wsi, "referrer-policy:", "no-referrer", &p, end) != 0) return -1;
    if (add_header(wsi, "content-security-policy:", page_csp(cfg.connect_origins).c_str(), &p, end) != 0) return -1;
    if (gzip && !not_modified && add_header(wsi, "content-encoding:", "gzip", &p, end) != 0) return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end) != 0) return -1;
    if (method == Method::kGet && !body.empty()) {
      tx.assign(LWS_PRE, '\0');
      tx.append(body);
      if (lws_write(wsi, reinterpret_cast<unsigned char*>(tx.data()) + LWS_PRE, body.size(),
                    LWS_WRITE_HTTP_FINAL) < 0)
        return -1;
    }
    return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
  }

  // ---- timers ------------------------------------------------------------------
  void ensure_sweep() {
    if (sweep_scheduled || ctx == nullptr) return;
    sweep_scheduled = true;
    lws_sul_schedule(ctx, 0, &sweep_timer.sul, &Impl::on_sweep_timer,
                     static_cast<lws_usec_t>(sweep_ms) * LWS_US_PER_MS);
  }

  static void on_sweep_timer(lws_sorted_usec_list_t* sul) {
    Impl* self = reinterpret_cast<Timer*>(sul)->self;
    self->sweep_scheduled = false;
    self->sweep();
    if (self->live_sessions > 0) self->ensure_sweep();
  }

  // Heartbeats, pong timeouts and Socket.IO connect timeouts.
  void sweep() {
    const std::uint64_t now = monotonic_ms();
    for (Session& s : sessions) {
      if (!s.used) continue;
      if (s.protocol == eio::Protocol::kV4) {
        if (s.awaiting_pong) {
          if (now - s.last_ping_ms >= cfg.ping_timeout_ms) close_session(s);
        } else if (now - s.last_ping_ms >= cfg.ping_interval_ms) {
          s.last_ping_ms = now;
          s.awaiting_pong = true;
          enqueue(s, eio::PacketType::kPing, nullptr, false);
        }
      } else if (now - s.last_ping_ms >= cfg.ping_interval_ms + cfg.ping_timeout_ms) {
        close_session(s);  // a v3 client stopped pinging
      }
    }
    if (sio) sio->tick(now);
  }

  static void on_tick_timer(lws_sorted_usec_list_t* sul) {
    Impl* self = reinterpret_cast<Timer*>(sul)->self;
    self->schedule_tick();
    if (self->periodic) self->periodic();
  }

  // Schedules the next periodic call on an absolute monotonic grid, so a slow
  // tick never makes the period drift.
  void schedule_tick() {
    const std::uint64_t now = monotonic_ms();
    next_tick_ms += period_ms;
    if (next_tick_ms <= now) next_tick_ms = now + 1;  // fell behind: skip, don't burst
    lws_sul_schedule(ctx, 0, &tick_timer.sul, &Impl::on_tick_timer,
                     static_cast<lws_usec_t>(next_tick_ms - now) * LWS_US_PER_MS);
  }

  // ---- the callback ---------------------------------------------------------------
  static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) {
    auto* self = static_cast<Impl*>(lws_context_user(lws_get_context(wsi)));
    auto* c = static_cast<Conn*>(user);
    switch (reason) {
      case LWS_CALLBACK_HTTP: {
        const std::string_view path(static_cast<const char*>(in), len);
        const Method method = method_of(wsi);
        ++self->stats.http_requests;
        c->role = Role::kNone;
        c->has_session = false;
        c->pending_close = false;
        c->discard = false;
        const char* refusal = nullptr;
        if (const unsigned status = self->gate(wsi, refusal)) {
          return self->respond(wsi, status, "text/plain", refusal);
        }
        if (self->cfg.redirect_http && lws_is_ssl(wsi) == 0) return self->redirect_to_https(wsi);
        if (path == kSocketIoPath || path == "/socket.io") {
          return self->engine_http(wsi, c, Endpoint::kSocketIo, method);
        }
        if (self->cfg.engine_echo && (path == kEchoPath || path == "/engine.io")) {
          return self->engine_http(wsi, c, Endpoint::kEcho, method);
        }
        return self->serve_static(wsi, path, method);
      }
      case LWS_CALLBACK_HTTP_BODY:
        if (c->role != Role::kPollPost) return 0;
        return self->on_post_body(wsi, c, static_cast<const char*>(in), len);
      case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (c->role != Role::kPollPost) {
          return self->respond(wsi, HTTP_STATUS_NOT_FOUND, "text/plain", "Not Found");
        }
        return self->on_post_complete(wsi, c);
      case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (c->role != Role::kPollGet) return 0;
        if (c->pending_close) {
          c->pending_close = false;
          c->role = Role::kNone;
          std::string body;
          eio::append_payload_packet(body, static_cast<eio::Protocol>(c->protocol),
                                     eio::PacketType::kClose, false, {}, true);
          return self->respond(wsi, HTTP_STATUS_OK, "text/plain; charset=UTF-8", body);
        }
        Session* s = c->has_session ? self->lookup(c->session) : nullptr;
        if (s == nullptr || s->get != wsi) return 0;
        if (s->upgrading || s->websocket) return self->answer_poll(wsi, *s, true);
        if (s->count == 0) return 0;
        return self->answer_poll(wsi, *s, false);
      }
      case LWS_CALLBACK_CLOSED_HTTP:
        if (c != nullptr && c->role != Role::kWebSocket) self->on_http_closed(wsi, c);
        return 0;
      case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        if (std::strcmp(static_cast<const char*>(in), "websocket") != 0) return -1;
        return self->confirm_upgrade(wsi);
      case LWS_CALLBACK_ESTABLISHED:
        return self->on_ws_established(wsi, c);
      case LWS_CALLBACK_RECEIVE:
        return self->on_ws_receive(wsi, c, static_cast<const char*>(in), len);
      case LWS_CALLBACK_SERVER_WRITEABLE:
        return self->on_ws_writeable(wsi, c);
      case LWS_CALLBACK_CLOSED:
        self->on_ws_closed(wsi, c);
        return 0;
      default:
        return 0;
    }
  }
};

Server::Server() : impl_(std::make_unique<Impl>()) {}

Server::~Server() {
  if (impl_->ctx != nullptr) {
    lws_context_destroy(impl_->ctx);
    g_context = nullptr;
  }
}

std::uint64_t Server::now_ms() { return monotonic_ms(); }

const Stats& Server::stats() const { return impl_->stats; }

socketio::Server& Server::sio() { return *impl_->sio; }

void Server::add_route(std::string path, RouteHandler handler, bool needs_token) {
  impl_->routes.push_back({std::move(path), std::move(handler), needs_token});
}

bool Server::drop_privileges(const std::string& user, std::string& error) {
  if (user.empty()) return true;
  errno = 0;
  const passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) {
    error = "--user " + user + ": no such user";
    return false;
  }
  if (getuid() != 0 && geteuid() != 0) {
    if (geteuid() == pw->pw_uid) return true;
    error = "--user " + user + ": only root can switch users";
    return false;
  }
  // Groups first: once the uid changes we no longer may change them.
  if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
      setuid(pw->pw_uid) != 0) {
    error = "--user " + user + ": " + std::strerror(errno);
    return false;
  }
  if (setuid(0) == 0) {
    error = "--user " + user + ": root privileges could be regained; refusing to run";
    return false;
  }
  return true;
}

void Server::on_reload(std::function<void()> fn) { impl_->reload = std::move(fn); }

void Server::reload_access(const std::string& token, const std::vector<std::string>& allow_origins,
                           const std::vector<std::string>& allow_hosts) {
  impl_->cfg.token = token;
  impl_->cfg.allow_origins = allow_origins;
  impl_->cfg.allow_hosts = allow_hosts;
  if (impl_->sio) impl_->sio->set_token(token);
}

std::size_t Server::connection_cap() const { return impl_->connection_cap; }

void Server::every(std::uint32_t period_ms, std::function<void()> fn) {
  impl_->period_ms = period_ms;
  impl_->periodic = std::move(fn);
}

namespace {

// Binds the address ourselves first, only to turn "port in use" and "no such
// address" into a clear message; lws binds again right after.
bool probe_bind(const std::string& bind, int port, std::string& error) {
  sockaddr_storage ss{};
  socklen_t slen = 0;
  int family = AF_INET6;
  if (bind.empty() || bind.find(':') != std::string::npos) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<std::uint16_t>(port));
    a6->sin6_addr = in6addr_any;
    if (!bind.empty() && inet_pton(AF_INET6, bind.c_str(), &a6->sin6_addr) != 1) {
      error = "--bind " + bind + ": not an IPv4 or IPv6 address";
      return false;
    }
    slen = sizeof(sockaddr_in6);
  } else {
    family = AF_INET;
    auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, bind.c_str(), &a4->sin_addr) != 1) {
      error = "--bind " + bind + ": not an IPv4 or IPv6 address";
      return false;
    }
    slen = sizeof(sockaddr_in);
  }
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (family == AF_INET6 && bind.empty()) return true;  // no IPv6 here: let lws decide
    error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&ss), slen);
  const int err = errno;
  ::close(fd);
  if (rc == 0) return true;
  if (err == EADDRINUSE) {
    error = "port " + std::to_string(port) + " is already in use (is another sbcmon running? try --port)";
  } else if (err == EADDRNOTAVAIL) {
    error = "--bind " + bind + ": this machine has no such address";
  } else if (err == EACCES) {
    error = "port " + std::to_string(port) + ": permission denied (ports below 1024 need privileges)";
  } else {
    error = "cannot listen on port " + std::to_string(port) + ": " + std::strerror(err);
  }
  return false;
}

// lws logs one line per bad request; a hostile client must not be able to
// flood the journal with them.
LogLimiter g_lws_log_limit(20, 10000);

void lws_log(int level, const char* line) {
  std::uint64_t suppressed = 0;
  if (!g_lws_log_limit.allow(monotonic_ms(), suppressed)) return;
  if (suppressed > 0) {
    std::fprintf(stderr, "sbcmon: lws: %llu similar lines suppressed\n",
                 static_cast<unsigned long long>(suppressed));
  }
  // lws lines end in '\n' already.
  std::fprintf(stderr, "sbcmon: lws%s: %s", level == LLL_ERR ? " error" : "", line);
}

}  // namespace

bool Server::start(const ServerConfig& config, std::string& error) {
  Impl& m = *impl_;
  m.cfg = config;
  if (!m.sids.ok()) {
    error = "cannot seed the random generator for session ids";
    return false;
  }
  if (!probe_bind(config.bind, config.port, error)) return false;

  m.sessions.resize(config::kMaxSessions);
  const std::uint32_t fastest = std::min(config.ping_interval_ms, config.ping_timeout_ms);
  m.sweep_ms = std::clamp<std::uint32_t>(fastest / 8, 10, 250);
  m.tick_timer.self = &m;
  m.sweep_timer.self = &m;
  if (m.cfg.hostname.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) == 0) m.cfg.hostname = host;
  }
  m.budget.set_limit(config.memory_budget);
  socketio::ServerOptions sio_options;
  sio_options.connect_timeout_ms = config.connect_timeout_ms;
  sio_options.token = config.token;
  sio_options.budget = &m.budget;
  m.sio = std::make_unique<socketio::Server>(m, std::move(sio_options));

  lws_set_log_level(LLL_ERR, lws_log);

  lws_protocols proto{};
  proto.name = "sbcmon";
  proto.callback = &Impl::callback;
  proto.per_session_data_size = sizeof(Conn);
  proto.rx_buffer_size = 0;
  m.protocols = {proto, lws_protocols{}};

  lws_context_creation_info info{};
  info.port = config.port;
  info.iface = config.bind.empty() ? nullptr : config.bind.c_str();
  info.protocols = m.protocols.data();
  info.user = &m;
  info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
  if (!config.bind.empty() && config.bind.find(':') == std::string::npos) {
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  }
  // Every held poll keeps its header table, so the pool must cover the sessions.
  info.max_http_header_pool = static_cast<unsigned short>(config::kMaxSessions + 16);
  info.max_http_header_data = static_cast<unsigned short>(config.max_header_bytes);
  info.keepalive_timeout = 60;
  // Connections stay below the fd limit: at the cap lws stops accepting until
  // one closes (newcomers wait in the listen backlog), instead of spinning on
  // accept() -> EMFILE.
  rlimit nofile{};
  std::size_t fd_room = 1024;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
    fd_room = static_cast<std::size_t>(nofile.rlim_cur);
  }
  if (fd_room <= kReservedFds + 8) {
    error = "the open-file limit (ulimit -n " + std::to_string(fd_room) + ") is too low to serve";
    return false;
  }
  m.connection_cap = std::min(config.max_connections, fd_room - kReservedFds);
  info.fd_limit_per_thread = static_cast<unsigned int>(m.connection_cap + 8);
  if (!config.tls_cert.empty()) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = config.tls_cert.c_str();
    info.ssl_private_key_filepath = config.tls_key.c_str();
    // HTTP/1.1 only: the Engine.IO glue (held polls, websocket upgrade) is
    // written for it, and h2 buys nothing for one page and one socket.
    info.alpn = "http/1.1";
    // Plain HTTP is let in only to be redirected (by the callback, which keeps
    // the path and query; lws's own redirect drops them).
    if (config.redirect_http) {
      info.options |= LWS_SERVER_OPTION_ALLOW_NON_SSL_ON_SSL_PORT |
                      LWS_SERVER_OPTION_ALLOW_HTTP_ON_HTTPS_LISTENER;
    }
  }
  m.ctx = lws_create_context(&info);
  if (m.ctx == nullptr) {
    error = "cannot start the server on port " + std::to_string(config.port) +
            (config.tls_cert.empty() ? "" : " (check --tls-cert and --tls-key)");
    return false;
  }
  g_context = m.ctx;
  return true;
}

int Server::run() {
  Impl& m = *impl_;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  struct sigaction hup {};
  hup.sa_handler = on_hangup;
  sigemptyset(&hup.sa_mask);
  sigaction(SIGHUP, &hup, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  if (m.period_ms > 0) {
    m.next_tick_ms = monotonic_ms();
    m.schedule_tick();
  }
  while (g_stop == 0) {
    if (lws_service(m.ctx, 0) < 0) return 1;
    if (g_reload != 0) {
      g_reload = 0;
      if (m.reload) m.reload();
    }
  }
  return 0;
}

}  // namespace sbcmon::net
