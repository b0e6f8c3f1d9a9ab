// lws-free HTTP helpers of the glue (see http.h).
#include "net/http.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace sbcmon::net {

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

std::string representation_etag(std::string_view etag, bool gzipped) {
  if (!gzipped || etag.size() < 2 || etag.back() != '"') return std::string(etag);
  std::string out(etag.substr(0, etag.size() - 1));
  out += "-gz\"";
  return out;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match.empty()) return false;
  return if_none_match == "*" || if_none_match.find(etag) != std::string_view::npos;
}

bool origin_listed(std::string_view origin, const std::vector<std::string>& allowed) {
  return std::any_of(allowed.begin(), allowed.end(),
                     [origin](const std::string& a) { return a == "*" || origin == a; });
}

bool origin_ok(std::string_view origin, std::string_view host,
               const std::vector<std::string>& allowed) {
  if (origin.empty() || origin_listed(origin, allowed)) return true;
  if (host.empty()) return false;
  const auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return false;
  return origin.substr(scheme_end + 3) == host;
}

bool RateLimiter::allow(std::string_view addr, std::uint64_t now_ms) {
  if (per_second_ == 0) return true;
  const std::string_view key = addr.substr(0, Entry{}.addr.size() - 1);
  Entry* slot = nullptr;
  Entry* oldest = &entries_[0];
  for (Entry& e : entries_) {
    if (std::string_view(e.addr.data()) == key) {
      slot = &e;
      break;
    }
    if (e.last_ms < oldest->last_ms) oldest = &e;
  }
  if (slot == nullptr) {
    slot = oldest;
    *slot = Entry{};
    std::memcpy(slot->addr.data(), key.data(), key.size());
  }
  slot->last_ms = now_ms;
  if (now_ms - slot->window_start_ms >= 1000) {
    slot->window_start_ms = now_ms;
    slot->count = 0;
  }
  return ++slot->count <= per_second_;
}

}  // namespace sbcmon::net
