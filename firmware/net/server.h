// The network layer: one libwebsockets context and service loop serving the
// embedded page, Engine.IO (polling + websocket, v3 and v4) at /socket.io/, and
// the Socket.IO layer on top. The only module that includes libwebsockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "socketio/server.h"

namespace sbcmon::net {

struct ServerConfig {
  int port = 8080;
  std::string bind;  // "" = every address
  std::uint32_t ping_interval_ms = 25000;
  std::uint32_t ping_timeout_ms = 20000;
  std::uint32_t upgrade_timeout_ms = 10000;  // a websocket probe must complete the upgrade in this
  std::size_t max_payload = 1000000;
  std::uint32_t connect_timeout_ms = 45000;
  std::size_t max_sessions = 64;          // <= the Kconfig table size
  std::uint32_t handshakes_per_s = 20;    // new sessions per second per client address; 0 = off
  std::size_t max_queue = 256;            // packets queued per session (<= Kconfig table)
  std::size_t max_header_bytes = 4096;    // largest HTTP request header
  std::vector<std::string> allow_origins; // besides same-origin; "*" allows any
  // Host names answered besides IP literals, localhost, `hostname` and
  // `hostname`.local ("name", ".domain" for a domain, "*" for any); else 403.
  std::vector<std::string> allow_hosts;
  std::vector<std::string> connect_origins;  // the page may also connect to these (--peer)
  std::string hostname;                   // "" = gethostname()
  std::size_t memory_budget = 8u << 20;   // bytes all clients together may make sbcmon hold; 0 = off
  std::size_t max_connections = 512;      // open connections; lowered to fit the fd limit
  std::size_t sessions_per_addr = 32;     // sessions one client address may hold; 0 = off
  std::size_t unjoined_per_addr = 8;      // of those, not yet joined (with a token: unauthenticated); 0 = off
  std::string token;                      // "" = open; else Socket.IO auth and Bearer on data routes
  std::string tls_cert;                   // PEM paths; both set = HTTPS/WSS on the port
  std::string tls_key;
  bool redirect_http = false;             // with TLS: plain HTTP on the port gets a redirect
  bool serve_page = true;        // the embedded page at /
  bool engine_echo = false;      // raw Engine.IO echo at /engine.io/ (conformance mode)
};

// An extra HTTP GET route. Fills `body` and `content_type`; returns the status.
using RouteHandler = std::function<int(std::string_view query, std::string& body,
                                       std::string& content_type)>;

// Counters for /metrics; all monotonic except sessions_open.
struct Stats {
  std::uint64_t sessions_opened = 0;     // Engine.IO sessions ever opened
  std::size_t sessions_open = 0;         // open now
  std::uint64_t sessions_refused = 0;    // handshakes refused because the table was full
  std::uint64_t sessions_dropped = 0;    // closed for falling behind (queue over its cap)
  std::uint64_t packets_queued = 0;      // Engine.IO packets queued to clients
  std::uint64_t http_requests = 0;       // HTTP requests answered or held
  std::uint64_t over_budget = 0;         // sessions refused or closed by the memory budget
  std::size_t memory_held = 0;           // bytes held against the memory budget now
  std::size_t memory_peak = 0;           // the most ever held
};

class Server {
 public:
  Server();
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Creates the context and listens. False with a one-line `error` (port in use,
  // bad bind address, ...); nothing is left running then.
  bool start(const ServerConfig& config, std::string& error);

  // The Socket.IO layer serving /socket.io/ (valid after start()).
  socketio::Server& sio();

  // Adds a GET route (exact path) answered by `handler`. With `needs_token`, a
  // configured token must come as "Authorization: Bearer <token>" (else 401).
  void add_route(std::string path, RouteHandler handler, bool needs_token = true);

  // Calls `fn` every `period_ms` from the loop, on CLOCK_MONOTONIC; the first
  // call comes one period after run() starts. One periodic task per server.
  void every(std::uint32_t period_ms, std::function<void()> fn);

  // Runs the loop until SIGINT/SIGTERM, then closes every connection (their handlers run
  // before it returns). Returns the process exit code (0 on a clean stop). Call once.
  // SIGHUP does not stop it: the on_reload() callback runs from the loop instead.
  int run();

  // Calls `fn` from the loop after each SIGHUP (to re-read the token and config).
  void on_reload(std::function<void()> fn);

  // Replaces what a SIGHUP may change: the token ("" = open) and the origin and
  // host allow-lists. Sessions already joined keep going.
  void reload_access(const std::string& token, const std::vector<std::string>& allow_origins,
                     const std::vector<std::string>& allow_hosts);

  // The connection cap in force after start() (max_connections fitted to the fd limit).
  std::size_t connection_cap() const;

  // Counters since start().
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sbcmon::net
