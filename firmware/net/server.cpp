// libwebsockets glue: the embedded page, the extra routes, and the transports
// of the Engine.IO engine (long-polling and websocket). A flat lws callback
// turns each callback into one engine event; the engine holds every session's
// state, this file only which connection carries which session.
#include "net/server.h"

#include <libwebsockets.h>
#include <sys/resource.h>

#include <algorithm>
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
#include "engineio/engine.h"
#include "net/http.h"
#include "net/http_policy.h"
#include "net/latency.h"
#include "net/system.h"
#include "util/budget.h"
#include "util/ct.h"
#include "util/tick_grid.h"

namespace sbcmon::net {
namespace {

namespace eio = sbcmon::engineio;
using eio::Channel;
using eio::Endpoint;
using eio::Method;
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

constexpr std::string_view kSocketIoPath = "/socket.io/";
constexpr std::string_view kEchoPath = "/engine.io/";

// Data and error responses are never rendered as documents, nor framed.
constexpr const char* kDataCsp = "default-src 'none'; frame-ancestors 'none'";

enum class Role : std::uint8_t { kNone, kPollGet, kPollPost, kDrain, kWebSocket };

// Per-connection state; lws allocates and zeroes it, so it must stay trivial.
struct Conn {
  Role role;
  bool has_session;
  bool close_me;  // websocket: send a close frame at the next writeable
  SessionHandle session;
};

// The connections of one session slot (the engine's handle says which session).
struct Link {
  SessionHandle session = 0;
  lws* get = nullptr;
  lws* post = nullptr;
  lws* ws = nullptr;
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

std::uint64_t monotonic_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

std::uint64_t monotonic_ms() { return monotonic_us() / 1000u; }

// What one response carries besides its status and body; write_head() is the
// one writer of response headers (security headers included).
struct Head {
  unsigned status = HTTP_STATUS_OK;
  const char* content_type = "text/plain";
  std::size_t length = 0;
  bool page = false;                   // the page: its CSP, ETag revalidation
  const char* etag = nullptr;
  const char* encoding = nullptr;      // Content-Encoding
  const char* location = nullptr;      // Location (redirects)
  bool preflight = false;              // CORS preflight answer
  bool upgrade_refusal = false;        // answering a websocket handshake
  bool close = false;                  // the server hangs up after this response
};

// True when the Connection header lists `token` (case-insensitive).
bool connection_has(lws* wsi, std::string_view token) {
  char buf[64];
  const std::string_view conn = header(wsi, WSI_TOKEN_CONNECTION, buf, sizeof(buf));
  for (std::size_t i = 0; i + token.size() <= conn.size(); ++i) {
    bool eq = true;
    for (std::size_t j = 0; j < token.size() && eq; ++j) eq = (conn[i + j] | 0x20) == token[j];
    if (eq) return true;
  }
  return false;
}

}  // namespace

struct Server::Impl final : eio::Port {
  // A timer whose callback finds its Impl: lws passes only the sul pointer, and
  // the sul is the first member of this standard-layout struct.
  struct Timer {
    lws_sorted_usec_list_t sul;
    Impl* self;
  };

  ServerConfig cfg;
  std::string page_csp_value;  // the page's CSP: its own origin plus the --peer ones
  lws_context* ctx = nullptr;
  std::vector<lws_protocols> protocols;
  eio::SidGenerator sids;
  std::unique_ptr<eio::Engine> engine;
  std::unique_ptr<socketio::Server> sio;
  std::vector<Link> links;
  std::uint64_t http_requests = 0;
  AddressTable addresses;     // handshake rate and token back-off per client address
  util::MemoryBudget budget;  // everything clients make us hold (see util/budget.h)
  std::size_t connection_cap = 0;
  std::function<void()> reload;
  struct Route {
    std::string path;
    RouteHandler handler;
    bool needs_token;
  };
  std::vector<Route> routes;

  Timer tick_timer{};
  Timer engine_timer{};
  std::uint32_t period_ms = 0;
  std::function<void()> periodic;
  TickLatency latency;   // bench only (SBCMON_BENCH_LATENCY)
  std::uint64_t next_tick_ms = 0;
  std::uint64_t engine_armed_ms = eio::kNever;

  std::string tx;        // scratch for one outgoing frame or HTTP body, LWS_PRE in front
  std::string body;      // scratch for a polling payload
  std::string inflated;  // scratch for a page asked for without gzip
  // Set before answering a request whose body is left unread: the next
  // response announces Connection: close and the connection is dropped.
  bool hang_up_after = false;

  // ---- which connection carries what ------------------------------------------
  Link& link_of(SessionHandle h) {
    // Grown to the highest slot in use, within the capacity reserved at start (so
    // the references slot() hands out stay put).
    const std::size_t i = eio::Engine::slot_of(h);
    if (i >= links.size()) links.resize(i + 1);
    Link& l = links[i];
    if (l.session != h) l = Link{h, nullptr, nullptr, nullptr};
    return l;
  }

  lws*& slot(SessionHandle h, Channel ch) {
    Link& l = link_of(h);
    return ch == Channel::kPoll ? l.get : ch == Channel::kPost ? l.post : l.ws;
  }

  // True when `wsi` is the connection the engine knows as `ch` of the Conn's session.
  bool linked(lws* wsi, const Conn* c, Channel ch) {
    return c != nullptr && c->has_session && slot(c->session, ch) == wsi;
  }

  void unlink(lws* wsi, Conn* c, Channel ch) {
    if (linked(wsi, c, ch)) slot(c->session, ch) = nullptr;
  }

  // ---- eio::Port ------------------------------------------------------------------
  void wake(SessionHandle h, Channel ch) override {
    if (lws* w = slot(h, ch)) lws_callback_on_writable(w);
  }

  void auth_result(std::string_view addr, bool ok) override {
    if (ok) {
      addresses.auth_succeeded(addr);
    } else {
      addresses.auth_failed(addr, monotonic_ms());
    }
  }

  void hang_up(SessionHandle h, Channel ch, eio::Reason) override {
    lws*& w = slot(h, ch);
    if (w == nullptr) return;
    lws* conn = w;
    w = nullptr;
    auto* c = static_cast<Conn*>(lws_wsi_user(conn));
    c->has_session = false;
    c->close_me = true;
    lws_callback_on_writable(conn);
    // A peer that stopped reading never makes the socket writeable again: give
    // the close frame a moment, then drop the connection regardless.
    lws_set_timeout(conn, PENDING_TIMEOUT_CLOSE_SEND, 2);
  }

  // ---- the engine's clock -----------------------------------------------------
  // Runs the engine timer at its next deadline, rounded up to the microsecond so
  // it never fires before it.
  void arm() {
    if (ctx == nullptr || !engine) return;
    const std::uint64_t next = engine->next_deadline();
    if (next == engine_armed_ms) return;
    engine_armed_ms = next;
    if (next == eio::kNever) {
      lws_sul_cancel(&engine_timer.sul);
      return;
    }
    const std::uint64_t now_us = monotonic_us();
    const std::uint64_t at_us = next * 1000u;
    const lws_usec_t wait = at_us > now_us ? static_cast<lws_usec_t>(at_us - now_us) : 1;
    lws_sul_schedule(ctx, 0, &engine_timer.sul, &Impl::on_engine_timer, wait);
  }

  // Fires what fell due before handling an event, so a deadline is exact even
  // when the timer callback comes after the request that races it.
  void catch_up() {
    if (!engine || engine_armed_ms == eio::kNever) return;
    const std::uint64_t now = monotonic_ms();
    if (now < engine_armed_ms) return;
    engine->tick(now);
    arm();
  }

  // lws 4.1 gives poll() the wait to its next timer truncated to whole
  // milliseconds, so the last fraction of a millisecond before one of ours
  // would be spent in poll(..., 0) calls, each a wakeup (sleeping it instead
  // would stall every connection). A timer of ours due within that last
  // millisecond runs now instead: the engine counts time in whole milliseconds
  // and is handed its deadline, the sample grid stays absolute.
  void run_timers_in_last_ms() {
    const lws_usec_t now = lws_now_usecs();
    auto in_last_ms = [now](const Timer& t) {
      return t.sul.us != 0 && t.sul.us > now && t.sul.us - now < LWS_US_PER_MS;
    };
    if (in_last_ms(tick_timer)) {
      lws_sul_cancel(&tick_timer.sul);
      on_tick_timer(&tick_timer.sul);
    }
    if (in_last_ms(engine_timer)) {
      lws_sul_cancel(&engine_timer.sul);
      fire_engine();
    }
  }

  // The engine's timer fell due (or is within its last millisecond): fire what
  // is due at its deadline, then arm the next.
  void fire_engine() {
    const std::uint64_t due = engine_armed_ms;
    engine_armed_ms = eio::kNever;
    const std::uint64_t now = monotonic_ms();
    engine->tick(due != eio::kNever && due > now ? due : now);
    arm();
  }

  static void on_engine_timer(lws_sorted_usec_list_t* sul) { reinterpret_cast<Timer*>(sul)->self->fire_engine(); }

  // ---- HTTP responses ------------------------------------------------------------
  static int add_header(lws* wsi, const char* name, const char* value, unsigned char** p,
                        unsigned char* end) {
    return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(name),
                                       reinterpret_cast<const unsigned char*>(value),
                                       static_cast<int>(std::strlen(value)), p, end);
  }

  // The one writer of response headers, from `start` up to `*p`. Returns
  // non-zero when they do not fit. `closing` comes back true when the
  // connection ends after this response (announced with Connection: close):
  // asked by `h`, by the client, or HTTP/1.0 without keep-alive.
  int write_head(lws* wsi, const Head& h, unsigned char* start, unsigned char** p,
                 unsigned char* end, bool& closing) const {
    closing = true;
    if (h.upgrade_refusal) {
      const std::string len = std::to_string(h.length);
      if (lws_add_http_header_status(wsi, h.status, p, end) != 0 ||
          add_header(wsi, "content-type:", h.content_type, p, end) != 0 ||
          add_header(wsi, "content-length:", len.c_str(), p, end) != 0 ||
          add_header(wsi, "connection:", "close", p, end) != 0) {
        return -1;
      }
    } else {
      if (lws_add_http_common_headers(wsi, h.status, h.content_type, h.length, p, end) != 0) return -1;
      // lws answers in the request's version; HTTP/1.0 keeps the connection
      // only when asked. Say whether it stays: a keep-alive client must never
      // reuse a socket the server is about to close.
      const bool http10 = *p - start >= 8 && std::memcmp(start, "HTTP/1.0", 8) == 0;
      const bool keep_alive = connection_has(wsi, "keep-alive");
      closing = h.close || connection_has(wsi, "close") || (http10 && !keep_alive);
      if (closing) {
        if (add_header(wsi, "connection:", "close", p, end) != 0) return -1;
      } else if (http10 && add_header(wsi, "connection:", "keep-alive", p, end) != 0) {
        return -1;
      }
    }
    if (add_header(wsi, "x-content-type-options:", "nosniff", p, end) != 0 ||
        add_header(wsi, "referrer-policy:", "no-referrer", p, end) != 0 ||
        add_header(wsi, "content-security-policy:", h.page ? page_csp_value.c_str() : kDataCsp, p, end) != 0) {
      return -1;
    }
    if (h.upgrade_refusal) return 0;
    // The page revalidates every time (its ETag makes that a 304 of a few bytes);
    // data is never cached.
    if (add_header(wsi, "cache-control:", h.page ? "no-cache" : "no-store", p, end) != 0) return -1;
    if (h.etag != nullptr && add_header(wsi, "etag:", h.etag, p, end) != 0) return -1;
    if (h.location != nullptr && add_header(wsi, "location:", h.location, p, end) != 0) return -1;
    if (h.encoding != nullptr && add_header(wsi, "content-encoding:", h.encoding, p, end) != 0) {
      return -1;
    }
    if ((h.page || h.encoding != nullptr) && add_header(wsi, "vary:", "Accept-Encoding", p, end) != 0) {
      return -1;
    }
    if (h.preflight &&
        (add_header(wsi, "access-control-allow-methods:", "GET, POST", p, end) != 0 ||
         add_header(wsi, "access-control-allow-headers:", "content-type", p, end) != 0 ||
         add_header(wsi, "access-control-max-age:", "86400", p, end) != 0)) {
      return -1;
    }
    if (!h.page) {
      // For an origin allowed with --allow-origin (not the board's own), the CORS
      // headers a browser needs to read the polling responses.
      char obuf[kOriginMax];
      const std::string_view origin = header(wsi, WSI_TOKEN_ORIGIN, obuf, sizeof(obuf));
      if (!origin.empty() && origin_listed(origin, cfg.allow_origins) &&
          (add_header(wsi, "access-control-allow-origin:", obuf, p, end) != 0 ||
           add_header(wsi, "access-control-allow-credentials:", "true", p, end) != 0 ||
           add_header(wsi, "vary:", "Origin", p, end) != 0)) {
        return -1;
      }
    }
    return 0;
  }

  // Writes a complete response; returns what the lws callback should return.
  int respond(lws* wsi, const Head& head, std::string_view content, bool head_only = false) {
    unsigned char hdr[LWS_PRE + 2048];
    unsigned char* start = hdr + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = hdr + sizeof(hdr) - 1;
    Head h = head;
    h.close = h.close || hang_up_after;
    hang_up_after = false;
    bool closing = true;
    if (write_head(wsi, h, start, &p, end, closing) != 0) return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end) != 0) return -1;
    if (!head_only && !content.empty()) {
      tx.assign(LWS_PRE, '\0');
      tx.append(content);
      auto* data = reinterpret_cast<unsigned char*>(tx.data()) + LWS_PRE;
      if (lws_write(wsi, data, content.size(), LWS_WRITE_HTTP_FINAL) < 0) return -1;
    }
    if (closing) return -1;
    return lws_http_transaction_completed(wsi) != 0 ? -1 : 0;
  }

  int respond(lws* wsi, unsigned status, const char* content_type, std::string_view content) {
    Head h;
    h.status = status;
    h.content_type = content_type;
    h.length = content.size();
    return respond(wsi, h, content);
  }

  int respond_error(lws* wsi, eio::ErrorCode code) {
    return respond(wsi, static_cast<unsigned>(eio::error_http_status(code)), "application/json",
                   eio::error_json(code));
  }

  int respond_too_large(lws* wsi) {
    return respond(wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, "text/plain", "Payload Too Large");
  }

  // Writes an HTTP response to a refused upgrade (a proxy turns a bare close
  // into a 502); returns >0 so lws drops the connection after it.
  int reject(lws* wsi, unsigned status, std::string_view content) {
    unsigned char hdr[LWS_PRE + 1024];
    unsigned char* start = hdr + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = hdr + sizeof(hdr) - 1;
    Head h;
    h.status = status;
    h.content_type = "application/json";
    h.length = content.size();
    h.upgrade_refusal = true;
    bool closing = true;
    if (write_head(wsi, h, start, &p, end, closing) != 0 || lws_finalize_http_header(wsi, &p, end) != 0) {
      return -1;
    }
    const auto n = std::min<std::size_t>(content.size(), static_cast<std::size_t>(end - p));
    std::memcpy(p, content.data(), n);
    p += n;
    if (lws_write(wsi, start, static_cast<std::size_t>(p - start), LWS_WRITE_HTTP_HEADERS) < 0) return -1;
    return 1;
  }

  // A polling response from the engine.
  int answer_poll(lws* wsi, SessionHandle h) {
    const eio::Payload kind = engine->take_payload(h, body);
    if (kind == eio::Payload::kNone) return 0;
    return respond(wsi, HTTP_STATUS_OK,
                   kind == eio::Payload::kBinary ? "application/octet-stream"
                                                 : "text/plain; charset=UTF-8",
                   body);
  }

  // ---- access checks ------------------------------------------------------------
  bool bearer_ok(lws* wsi) const {
    char buf[kAuthMax];
    const auto creds = bearer_credentials(header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, buf, sizeof(buf)));
    return creds && util::secret_equal(*creds, cfg.token);
  }

  // Same-origin by default, as Flask-SocketIO: a page from another site must
  // not open sessions with the visitor's network position (cross-site
  // WebSocket hijacking). Requests without Origin (non-browser clients) pass.
  // The scheme counts: an https:// page is not the same origin as a plain-HTTP board.
  bool origin_allowed(lws* wsi) const {
    char obuf[kOriginMax];
    char hbuf[kHostMax];
    const std::string_view origin = header(wsi, WSI_TOKEN_ORIGIN, obuf, sizeof(obuf));
    if (origin.empty() || origin_listed(origin, cfg.allow_origins)) return true;
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
    engine->count_from(addr, mine, unjoined);
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
    Head h;
    h.status = HTTP_STATUS_MOVED_PERMANENTLY;
    h.location = location.c_str();
    hang_up_after = m != Method::kGet && m != Method::kHead;
    return respond(wsi, h, {});
  }

  std::optional<Endpoint> endpoint_of(std::string_view path) const {
    if (path == kSocketIoPath || path == "/socket.io") return Endpoint::kSocketIo;
    if (cfg.engine_echo && (path == kEchoPath || path == "/engine.io")) return Endpoint::kEcho;
    return std::nullopt;
  }

  eio::Verdict verify(lws* wsi, Endpoint endpoint, Method method, bool websocket,
                      std::string_view query) const {
    eio::Request r;
    r.endpoint = endpoint;
    r.method = method;
    r.websocket = websocket;
    r.origin_ok = origin_allowed(wsi);
    r.query = query;
    return engine->verify(r);
  }

  // ---- Engine.IO over HTTP ---------------------------------------------------------
  int engine_http(lws* wsi, Conn* c, Endpoint endpoint, Method method) {
    char qbuf[kQueryMax];
    const auto query = query_of(wsi, qbuf, sizeof(qbuf));
    if (!query) {
      hang_up_after = method != Method::kGet && method != Method::kHead;
      return respond(wsi, 414, "text/plain", "URI Too Long");
    }
    const eio::Verdict v = verify(wsi, endpoint, method, false, *query);
    // Answered before its body was read, a request with a body cannot be
    // followed by another on the same connection.
    hang_up_after = method != Method::kGet && method != Method::kHead && method != Method::kOptions &&
                    (v.kind != eio::Verdict::Kind::kSession || method != Method::kPost);
    switch (v.kind) {
      case eio::Verdict::Kind::kError:
        return respond_error(wsi, v.error);
      case eio::Verdict::Kind::kPreflight: {
        Head h;
        h.status = HTTP_STATUS_NO_CONTENT;
        h.preflight = true;
        return respond(wsi, h, {});
      }
      case eio::Verdict::Kind::kHandshake:
        return handshake(wsi, endpoint, v, *query);
      case eio::Verdict::Kind::kSession:
        break;
    }
    const SessionHandle h = v.session;
    if (method == Method::kGet) {
      switch (engine->poll(h)) {
        case eio::PollStart::kRefuse:
          return respond_error(wsi, eio::ErrorCode::kBadRequest);
        case eio::PollStart::kAnswer:
          return answer_poll(wsi, h);
        case eio::PollStart::kHold:
          break;
      }
      slot(h, Channel::kPoll) = wsi;
      c->role = Role::kPollGet;
      c->session = h;
      c->has_session = true;
      // lws would drop a quiet request after its own few seconds; a poll is held
      // until the next ping at the latest.
      const unsigned hold_s = (cfg.ping_interval_ms + cfg.ping_timeout_ms) / 1000 + 5;
      lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, static_cast<int>(hold_s));
      return 0;
    }
    char lbuf[24];
    const std::string_view len = header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, lbuf, sizeof(lbuf));
    if (len.empty()) {
      // A body without Content-Length (chunked) is never delivered by lws:
      // say so at once rather than leave the client waiting.
      hang_up_after = true;
      return respond(wsi, HTTP_STATUS_LENGTH_REQUIRED, "text/plain", "Length Required");
    }
    const unsigned long long declared = std::strtoull(lbuf, nullptr, 10);
    switch (engine->post_begin(h, declared)) {
      case eio::PostStart::kRefuse:
        hang_up_after = true;
        return respond_error(wsi, eio::ErrorCode::kBadRequest);
      case eio::PostStart::kTooLarge:
        hang_up_after = true;  // not worth reading: hang up
        return respond_too_large(wsi);
      case eio::PostStart::kDrain:
        // Read and drop a moderately oversized body before answering, so the
        // client is not cut off mid-upload (EPIPE) and sees the 413.
        c->role = Role::kDrain;
        return 0;
      case eio::PostStart::kRead:
        break;
    }
    slot(h, Channel::kPost) = wsi;
    c->role = Role::kPollPost;
    c->session = h;
    c->has_session = true;
    return 0;  // the body follows in LWS_CALLBACK_HTTP_BODY
  }

  int handshake(lws* wsi, Endpoint endpoint, const eio::Verdict& v, std::string_view qs) {
    char addr[kAddrMax];
    peer_of(wsi, addr);
    if (const char* refusal = admission(addr)) return respond(wsi, 429, "application/json", refusal);
    SessionHandle h = 0;
    switch (engine->open(endpoint, *v.query.protocol, false, v.query.b64, qs, monotonic_ms(), h,
                         addr)) {
      case eio::Opened::kFull:
        return respond(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "application/json",
                       R"({"code":3,"message":"Server full"})");
      case eio::Opened::kClosed:
        return respond_error(wsi, eio::ErrorCode::kBadRequest);
      case eio::Opened::kOk:
        break;
    }
    arm();
    return answer_poll(wsi, h);
  }

  int on_post_body(lws* wsi, Conn* c, const char* in, std::size_t len) {
    if (!linked(wsi, c, Channel::kPost)) return 0;  // session gone: drain quietly
    const eio::PostBody r = engine->post_body(c->session, std::string_view(in, len));
    if (r == eio::PostBody::kOk) return 0;
    unlink(wsi, c, Channel::kPost);
    c->role = Role::kNone;
    c->has_session = false;
    hang_up_after = true;  // the rest of the body is not read
    if (r == eio::PostBody::kOverBudget) {
      return respond(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, "text/plain", "Server busy (memory budget)");
    }
    return respond_too_large(wsi);
  }

  int on_post_complete(lws* wsi, Conn* c) {
    const Role role = c->role;
    c->role = Role::kNone;
    if (role == Role::kDrain) return respond_too_large(wsi);
    if (!linked(wsi, c, Channel::kPost)) return respond_error(wsi, eio::ErrorCode::kUnknownSid);
    unlink(wsi, c, Channel::kPost);
    const eio::PostEnd r = engine->post_end(c->session, monotonic_ms());
    c->has_session = false;
    switch (r) {
      case eio::PostEnd::kBad:
        return respond_error(wsi, eio::ErrorCode::kBadRequest);
      case eio::PostEnd::kUnknownSid:
        return respond_error(wsi, eio::ErrorCode::kUnknownSid);
      case eio::PostEnd::kOk:
        break;
    }
    arm();
    return respond(wsi, HTTP_STATUS_OK, "text/html", "ok");
  }

  // ---- websocket ---------------------------------------------------------------
  // The websocket handshake, headers still attached; lws gives no per-connection
  // data yet, so nothing is stored. 0 accepts; >0 after writing the refusal.
  int confirm_upgrade(lws* wsi) {
    const char* refusal = nullptr;
    if (const unsigned status = gate(wsi, refusal)) return reject(wsi, status, refusal);
    if (cfg.redirect_http && lws_is_ssl(wsi) == 0) {
      return reject(wsi, HTTP_STATUS_FORBIDDEN, "Forbidden: use wss://");
    }
    char path[64];
    const std::optional<Endpoint> endpoint =
        endpoint_of(header(wsi, WSI_TOKEN_GET_URI, path, sizeof(path)));
    if (!endpoint) return reject(wsi, HTTP_STATUS_NOT_FOUND, "Not Found");
    char qbuf[kQueryMax];
    const auto query = query_of(wsi, qbuf, sizeof(qbuf));
    if (!query) return reject(wsi, 414, eio::error_json(eio::ErrorCode::kBadRequest));
    const eio::Verdict v = verify(wsi, *endpoint, Method::kGet, true, *query);
    if (v.kind == eio::Verdict::Kind::kError) {
      return reject(wsi, static_cast<unsigned>(eio::error_http_status(v.error)),
                    eio::error_json(v.error));
    }
    if (v.kind == eio::Verdict::Kind::kHandshake) {
      // Say so in HTTP, as polling does, rather than accept and hang up.
      if (!engine->admit()) {
        return reject(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, R"({"code":3,"message":"Server full"})");
      }
      char addr[kAddrMax];
      peer_of(wsi, addr);
      if (const char* why = admission(addr)) return reject(wsi, 429, why);
    }
    return 0;
  }

  void refuse_ws(lws* wsi, Conn* c) {
    c->close_me = true;
    lws_callback_on_writable(wsi);
  }

  int on_ws_established(lws* wsi, Conn* c) {
    *c = Conn{};
    c->role = Role::kWebSocket;
    char path[64];
    const std::optional<Endpoint> endpoint =
        endpoint_of(header(wsi, WSI_TOKEN_GET_URI, path, sizeof(path)));
    char qbuf[kQueryMax];
    const auto query = query_of(wsi, qbuf, sizeof(qbuf));
    const eio::Verdict v = endpoint && query ? verify(wsi, *endpoint, Method::kGet, true, *query)
                                             : eio::Verdict{};
    const std::uint64_t now = monotonic_ms();
    SessionHandle h = 0;
    if (v.kind == eio::Verdict::Kind::kHandshake) {
      char addr[kAddrMax];
      peer_of(wsi, addr);
      if (engine->open(*endpoint, *v.query.protocol, true, false, *query, now, h, addr) !=
          eio::Opened::kOk) {
        refuse_ws(wsi, c);
        return 0;
      }
    } else if (v.kind != eio::Verdict::Kind::kSession || !engine->ws_attach(v.session, now)) {
      refuse_ws(wsi, c);
      return 0;
    } else {
      h = v.session;  // the probe: the session stays on polling until "5"
    }
    slot(h, Channel::kWebSocket) = wsi;
    c->session = h;
    c->has_session = true;
    lws_callback_on_writable(wsi);
    arm();
    return 0;
  }

  int on_ws_receive(lws* wsi, Conn* c, const char* in, std::size_t len) {
    if (!linked(wsi, c, Channel::kWebSocket)) return 0;
    const bool last = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
    const eio::WsData r = engine->ws_data(c->session, std::string_view(in, len),
                                          lws_is_first_fragment(wsi) != 0, last,
                                          lws_frame_is_binary(wsi) != 0, monotonic_ms());
    if (r == eio::WsData::kTooBig) {
      unlink(wsi, c, Channel::kWebSocket);
      c->has_session = false;
      lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, nullptr, 0);
      return -1;
    }
    if (last) arm();
    return 0;
  }

  int on_ws_writeable(lws* wsi, Conn* c) {
    if (c->close_me) {
      lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
      return -1;
    }
    if (!linked(wsi, c, Channel::kWebSocket)) return 0;
    // Several frames per callback while the socket takes them keeps latency low
    // for bursts without starving other connections. Each is written straight
    // from the frame it was encoded into, shared by every session (lws puts its
    // header in the frame's headroom, and copies what the kernel does not take).
    static_assert(LWS_PRE <= eio::Frame::kHeadroom, "a frame's headroom must fit the websocket header");
    for (int budget = 16; budget > 0; --budget) {
      eio::WsFrame f;
      if (!engine->take_frame(c->session, f)) return 0;
      if (lws_write(wsi, reinterpret_cast<unsigned char*>(f.data), f.size,
                    f.binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < 0)
        return -1;
      latency.frame(f.size);
      // Asking whether the socket takes more costs a poll(2): only when there is more.
      if (engine->queued(c->session) != 0 && lws_send_pipe_choked(wsi)) break;
    }
    lws_callback_on_writable(wsi);
    return 0;
  }

  void on_closed(lws* wsi, Conn* c, Channel ch) {
    if (!linked(wsi, c, ch)) return;
    unlink(wsi, c, ch);
    engine->closed(c->session, ch);
    arm();
  }

  // ---- static page and routes ---------------------------------------------------
  int serve_static(lws* wsi, std::string_view path, Method method) {
    if (method != Method::kGet && method != Method::kHead) {
      return respond(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, "text/plain", "Method Not Allowed");
    }
    const bool head_only = method == Method::kHead;
    char buf[kSmallHeaderMax];
    const bool gzip_ok = accepts_gzip(header(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING, buf, sizeof(buf)));
    char qbuf[kQueryMax];
    for (Route& r : routes) {
      if (path != r.path) continue;
      if (r.needs_token && !cfg.token.empty() && !bearer_ok(wsi)) {
        return respond(wsi, HTTP_STATUS_UNAUTHORIZED, "text/plain", "Unauthorized");
      }
      std::string content;
      std::string type = "text/plain; charset=utf-8";
      const auto qs = query_of(wsi, qbuf, sizeof(qbuf));
      if (!qs) return respond(wsi, 414, "text/plain", "URI Too Long");
      const int status = r.handler(*qs, content, type);
      Head h;
      h.status = static_cast<unsigned>(status);
      h.content_type = type.c_str();
      // Gzipped when the client takes it (Prometheus does) and the body gains
      // from it; /metrics shrinks about 5x.
      constexpr std::size_t kGzipMin = 1024;
      std::string zipped;
      if (content.size() >= kGzipMin && gzip_ok && gzip(content, zipped)) {
        h.encoding = "gzip";
        content.swap(zipped);
      }
      h.length = content.size();
      return respond(wsi, h, content, head_only);
    }
    const assets::Asset* a = cfg.serve_page ? assets::find(path) : nullptr;
    if (a == nullptr) return respond(wsi, HTTP_STATUS_NOT_FOUND, "text/plain", "Not Found");

    const std::string etag = representation_etag(a->etag, gzip_ok);
    const bool not_modified =
        etag_matches(header(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH, buf, sizeof(buf)), etag);
    std::string_view content;
    if (!not_modified) {
      if (gzip_ok) {
        content = {reinterpret_cast<const char*>(a->gz), a->gz_size};
      } else {
        if (!assets::inflate(*a, inflated)) {
          return respond(wsi, HTTP_STATUS_INTERNAL_SERVER_ERROR, "text/plain", "corrupt asset");
        }
        content = inflated;
      }
    }
    Head h;
    h.status = not_modified ? HTTP_STATUS_NOT_MODIFIED : HTTP_STATUS_OK;
    h.content_type = a->content_type;
    h.length = content.size();
    h.page = true;
    h.etag = etag.c_str();
    h.encoding = gzip_ok && !not_modified ? "gzip" : nullptr;
    return respond(wsi, h, content, head_only);
  }

  // ---- the periodic task ----------------------------------------------------------
  static void on_tick_timer(lws_sorted_usec_list_t* sul) {
    Impl* self = reinterpret_cast<Timer*>(sul)->self;
    self->schedule_tick();
    self->latency.tick();
    if (self->periodic) self->periodic();
    self->arm();
  }

  // Schedules the next periodic call on an absolute monotonic grid, so a slow
  // tick never makes the period drift.
  void schedule_tick() {
    const std::uint64_t now = monotonic_ms();
    // Fell behind (a stalled loop): skip what was missed; a tick at now + 1 ms would
    // make a second sample a millisecond after the late one.
    next_tick_ms = util::next_tick(next_tick_ms, now, period_ms);
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
        ++self->http_requests;
        *c = Conn{};
        const Method method = method_of(wsi);
        const char* refusal = nullptr;
        if (const unsigned status = self->gate(wsi, refusal)) {
          self->hang_up_after = method != Method::kGet && method != Method::kHead;
          return self->respond(wsi, status, "text/plain", refusal);
        }
        if (self->cfg.redirect_http && lws_is_ssl(wsi) == 0) return self->redirect_to_https(wsi);
        if (const std::optional<Endpoint> endpoint = self->endpoint_of(path)) {
          self->catch_up();
          return self->engine_http(wsi, c, *endpoint, method);
        }
        return self->serve_static(wsi, path, method);
      }
      case LWS_CALLBACK_HTTP_BODY:
        if (c->role != Role::kPollPost) return 0;
        return self->on_post_body(wsi, c, static_cast<const char*>(in), len);
      case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        self->catch_up();
        if (c->role != Role::kPollPost && c->role != Role::kDrain) {
          return self->respond(wsi, HTTP_STATUS_NOT_FOUND, "text/plain", "Not Found");
        }
        return self->on_post_complete(wsi, c);
      case LWS_CALLBACK_HTTP_WRITEABLE:
        if (c->role != Role::kPollGet || !self->linked(wsi, c, Channel::kPoll)) return 0;
        if (self->engine->phase(c->session) == eio::Phase::kFree) return 0;
        {
          const SessionHandle h = c->session;
          std::string& out = self->body;
          const eio::Payload kind = self->engine->take_payload(h, out);
          if (kind == eio::Payload::kNone) return 0;
          self->unlink(wsi, c, Channel::kPoll);
          c->role = Role::kNone;
          c->has_session = false;
          self->arm();
          return self->respond(wsi, HTTP_STATUS_OK,
                               kind == eio::Payload::kBinary ? "application/octet-stream"
                                                             : "text/plain; charset=UTF-8",
                               out);
        }
      case LWS_CALLBACK_CLOSED_HTTP:
        if (c == nullptr || c->role == Role::kWebSocket) return 0;
        self->on_closed(wsi, c, c->role == Role::kPollGet ? Channel::kPoll : Channel::kPost);
        return 0;
      case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        self->catch_up();
        if (std::strcmp(static_cast<const char*>(in), "websocket") != 0) return -1;
        return self->confirm_upgrade(wsi);
      case LWS_CALLBACK_ESTABLISHED:
        self->catch_up();
        return self->on_ws_established(wsi, c);
      case LWS_CALLBACK_RECEIVE:
        self->catch_up();
        return self->on_ws_receive(wsi, c, static_cast<const char*>(in), len);
      case LWS_CALLBACK_SERVER_WRITEABLE:
        return self->on_ws_writeable(wsi, c);
      case LWS_CALLBACK_CLOSED:
        if (c != nullptr) self->on_closed(wsi, c, Channel::kWebSocket);
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

Stats Server::stats() const {
  Stats st;
  if (impl_->engine) {
    const eio::Counters& n = impl_->engine->counters();
    st.sessions_opened = n.sessions_opened;
    st.sessions_open = impl_->engine->live();
    st.sessions_refused = n.sessions_refused;
    st.sessions_dropped = n.sessions_dropped;
    st.packets_queued = n.packets_queued;
    st.over_budget = n.over_budget;
  }
  st.memory_held = impl_->budget.used();
  st.memory_peak = impl_->budget.peak();
  st.http_requests = impl_->http_requests;
  return st;
}

socketio::Server& Server::sio() { return *impl_->sio; }

void Server::add_route(std::string path, RouteHandler handler, bool needs_token) {
  impl_->routes.push_back({std::move(path), std::move(handler), needs_token});
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
  m.page_csp_value = page_csp(config.connect_origins);
  if (!m.sids.ok()) {
    error = "cannot seed the random generator for session ids";
    return false;
  }
  if (!probe_bind(config.bind, config.port, error)) return false;

  m.tick_timer.self = &m;
  m.engine_timer.self = &m;
  m.links.clear();
  m.links.reserve(config::kMaxSessions);
  if (m.cfg.hostname.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) == 0) m.cfg.hostname = host;
  }
  m.budget.set_limit(config.memory_budget);
  eio::EngineConfig ec;
  ec.limits.ping_interval_ms = config.ping_interval_ms;
  ec.limits.ping_timeout_ms = config.ping_timeout_ms;
  ec.limits.upgrade_timeout_ms = config.upgrade_timeout_ms;
  ec.limits.max_payload = config.max_payload;
  ec.limits.max_queue = config.max_queue;
  ec.max_sessions = config.max_sessions;
  ec.budget = &m.budget;
  m.engine = std::make_unique<eio::Engine>(ec, m, m.sids);
  socketio::ServerOptions sio_options;
  sio_options.connect_timeout_ms = config.connect_timeout_ms;
  sio_options.token = config.token;
  sio_options.budget = &m.budget;
  sio_options.sids = &m.sids;
  m.sio = std::make_unique<socketio::Server>(*m.engine, std::move(sio_options));
  m.engine->attach(m.sio.get());

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
  int rc = 0;
  while (g_stop == 0) {
    m.run_timers_in_last_ms();
    if (lws_service(m.ctx, 0) < 0) {
      rc = 1;
      break;
    }
    if (g_reload != 0) {
      g_reload = 0;
      if (m.reload) m.reload();
    }
  }
  m.latency.write();
  // Close every connection now, while whoever registered the handlers (the monitor,
  // in a scope inside main) is still alive: their on_disconnect runs during this.
  lws_context_destroy(m.ctx);
  m.ctx = nullptr;
  g_context = nullptr;
  return rc;
}

}  // namespace sbcmon::net
