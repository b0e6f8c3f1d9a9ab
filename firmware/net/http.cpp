// lws-free HTTP helpers of the glue (see http.h).
#include "net/http.h"

#include <zlib.h>

#include <algorithm>

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
  // A window no larger than the body needs, and a hash table to match: zlib takes
  // 2^(w+2) + 2^(m+9) bytes, 256 KiB at its defaults (15, 8), whose pages a scrape of
  // a 6 KB /metrics would touch; 64 KiB at (13, 6). Any window inflates the same.
  int wbits = 9;  // deflate's smallest
  while (wbits < 15 && (std::size_t{1} << wbits) < in.size()) ++wbits;
  const int mem_level = wbits - 7;
  // + 16: a gzip wrapper, as Content-Encoding: gzip means; level 6 is zlib's default.
  if (deflateInit2(&z, 6, Z_DEFLATED, wbits + 16, mem_level, Z_DEFAULT_STRATEGY) != Z_OK) return false;
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

}  // namespace sbcmon::net
