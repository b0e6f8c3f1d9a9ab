// Request policy with no libwebsockets in it, so it can be unit-tested: which
// Host names this board answers to (DNS rebinding), same-origin with the scheme,
// the Bearer scheme, per-address counters and a log rate limiter.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sbcmon::net {

// The name part of a Host header ("name:port", "[v6]:port", "name") without
// the port; "" when malformed.
std::string_view host_name_of(std::string_view host_header);

// True when `name` is an IPv4 or IPv6 literal (brackets already removed).
bool is_ip_literal(std::string_view name);

// True when a request's Host header names this board: an IP literal,
// "localhost" (and *.localhost), `hostname`, `hostname`.local, or an entry of
// `allow_hosts` ("name" exactly, ".example.com" for the domain and every name
// under it, "*" for anything). Case-insensitive. An empty or malformed Host is refused.
bool host_allowed(std::string_view host_header, std::string_view hostname,
                  const std::vector<std::string>& allow_hosts);

// True when `origin` ("scheme://host[:port]") is this very server as reached
// through `host_header`: same host and port, and scheme https exactly when `tls`.
bool same_origin(std::string_view origin, std::string_view host_header, bool tls);

// The page's Content-Security-Policy: everything from the board itself, and
// connections also to `connect_origins` ("http://pi4.local:8080", the peers),
// each with its WebSocket twin (ws:// for http://, wss:// for https://).
std::string page_csp(const std::vector<std::string>& connect_origins);

// The credentials of an "Authorization: Bearer <token>" header, the scheme
// matched case-insensitively (RFC 7235); nullopt for any other header.
std::optional<std::string_view> bearer_credentials(std::string_view authorization);

// Allows `burst` lines per `window_ms`, then counts what it drops so the next
// allowed line can say how many were suppressed.
class LogLimiter {
 public:
  LogLimiter(std::uint32_t burst, std::uint32_t window_ms) : burst_(burst), window_ms_(window_ms) {}
  // True when a line may be written at `now_ms`; `suppressed` gets the number of
  // lines dropped since the last allowed one (0 usually).
  bool allow(std::uint64_t now_ms, std::uint64_t& suppressed);

 private:
  std::uint32_t burst_;
  std::uint32_t window_ms_;
  std::uint64_t window_start_ms_ = 0;
  std::uint32_t in_window_ = 0;
  std::uint64_t dropped_ = 0;
  bool started_ = false;
};

// A bounded table of client addresses: handshake rate per second and failed
// token checks with an exponential back-off. When full, the entry seen least
// recently is reused (an attacker cycling addresses only forgets itself faster).
class AddressTable {
 public:
  static constexpr std::size_t kEntries = 64;
  static constexpr std::size_t kAddrLen = 48;
  // Failures allowed before the back-off starts; then 1 s, 2 s, 4 s ... up to
  // kMaxBackoffMs. An address with no failure for kForgetMs starts afresh.
  static constexpr std::uint32_t kFreeFailures = 20;
  static constexpr std::uint32_t kMaxBackoffMs = 60000;
  static constexpr std::uint32_t kForgetMs = 600000;

  // Counts a handshake from `addr`; false when it is over `per_s` this second
  // (0 = no limit) or the address is backing off after failed tokens.
  bool handshake_allowed(std::string_view addr, std::uint64_t now_ms, std::uint32_t per_s);
  // Records a refused token from `addr`.
  void auth_failed(std::string_view addr, std::uint64_t now_ms);
  // True while `addr` must wait after failed tokens.
  bool backing_off(std::string_view addr, std::uint64_t now_ms) const;
  // A token accepted from `addr`: its failure count starts again.
  void auth_succeeded(std::string_view addr);

 private:
  struct Entry {
    std::array<char, kAddrLen> addr{};
    std::uint64_t last_ms = 0;
    std::uint64_t window_start_ms = 0;
    std::uint32_t handshakes = 0;
    std::uint32_t failures = 0;
    std::uint64_t last_failure_ms = 0;
    std::uint64_t blocked_until_ms = 0;
    bool used = false;
  };
  Entry* find(std::string_view addr);
  const Entry* find(std::string_view addr) const;
  Entry& slot(std::string_view addr, std::uint64_t now_ms);
  std::array<Entry, kEntries> entries_{};
};

}  // namespace sbcmon::net
