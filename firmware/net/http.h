// HTTP helpers of the glue that need no libwebsockets, so they are unit-tested
// on their own: content negotiation, gzip, ETags, the allowed-origin list (the
// request policy — Host, same-origin, Bearer, per-address limits — is in
// http_policy.h).
#pragma once

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

}  // namespace sbcmon::net
