// HTTP helpers of the glue that need no libwebsockets, so they are unit-tested
// on their own: content negotiation, ETags, the Origin check, the per-address
// handshake rate limiter.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sbcmon::net {

// True when an Accept-Encoding value takes gzip (or "*") with a non-zero q.
bool accepts_gzip(std::string_view accept_encoding);

// `in` as a gzip member into `out` (replaced). False if zlib fails; `out` is then junk.
bool gzip(std::string_view in, std::string& out);

// The ETag of an asset's representation: a strong tag names one set of bytes,
// so the gzip bytes get their own ("abc" -> "abc-gz"). `etag` is quoted.
std::string representation_etag(std::string_view etag, bool gzipped);

// True when an If-None-Match value names `etag` (or is "*").
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// True when `origin` is one of `allowed` ("*" allows any).
bool origin_listed(std::string_view origin, const std::vector<std::string>& allowed);

// Same-origin by default, as Flask-SocketIO: a page from another site must not
// open sessions with the visitor's network position (cross-site WebSocket
// hijacking). No Origin (a non-browser client) passes; otherwise the origin's
// host must be `host`, or the origin listed.
bool origin_ok(std::string_view origin, std::string_view host,
               const std::vector<std::string>& allowed);

// New sessions per second per client address: a small table of addresses with
// a one-second window each; the least recently seen entry is reused when full.
class RateLimiter {
 public:
  static constexpr std::size_t kAddresses = 64;
  // `per_second` 0 = no limit.
  explicit RateLimiter(std::uint32_t per_second = 0) : per_second_(per_second) {}
  // True when `addr` may open another session at `now_ms`; counts the attempt.
  bool allow(std::string_view addr, std::uint64_t now_ms);

 private:
  struct Entry {
    std::array<char, 48> addr{};
    std::uint64_t window_start_ms = 0;
    std::uint32_t count = 0;
    std::uint64_t last_ms = 0;
  };
  std::uint32_t per_second_;
  std::array<Entry, kAddresses> entries_{};
};

}  // namespace sbcmon::net
