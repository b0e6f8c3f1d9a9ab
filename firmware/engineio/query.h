// Engine.IO request query parsing ("?EIO=4&transport=polling&sid=...&b64=1").
// Pure; values are views into the input after percent-decoding is not needed
// (Engine.IO parameters are plain ASCII); unknown keys are ignored.
#pragma once

#include <optional>
#include <string_view>

#include "engineio/packet.h"

namespace sbcmon::engineio {

enum class Transport : unsigned char { kPolling, kWebSocket };

struct Query {
  std::optional<Protocol> protocol;  // nullopt: EIO missing or not exactly "3"/"4"
  std::optional<Transport> transport;  // nullopt: missing or unknown
  std::string_view transport_raw;
  std::string_view sid;               // empty: no sid (a handshake)
  bool b64 = false;                   // v3 "b64=1"/"b64=true"
};

// Parses a query string (without the leading '?'). Never fails: missing or bad
// values are left unset for the caller to map onto an ErrorCode.
Query parse_query(std::string_view query);

// Looks up one raw (undecoded) parameter value; nullopt if absent.
std::optional<std::string_view> query_param(std::string_view query, std::string_view key);

}  // namespace sbcmon::engineio
