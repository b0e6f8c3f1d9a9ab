// Engine.IO request query parsing (see query.h).
#include "engineio/query.h"

namespace sbcmon::engineio {

std::optional<std::string_view> query_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    // First occurrence wins: a repeated key cannot override an earlier one.
    if (pair.substr(0, eq) == key) {
      return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    }
  }
  return std::nullopt;
}

Query parse_query(std::string_view query) {
  Query q;
  if (const auto eio = query_param(query, "EIO")) {
    if (*eio == "4") q.protocol = Protocol::kV4;
    else if (*eio == "3") q.protocol = Protocol::kV3;
  }
  if (const auto t = query_param(query, "transport")) {
    q.transport_raw = *t;
    if (*t == "polling") q.transport = Transport::kPolling;
    else if (*t == "websocket") q.transport = Transport::kWebSocket;
  }
  if (const auto sid = query_param(query, "sid")) q.sid = *sid;
  // The reference v3 server tests the value for truthiness: any non-empty value
  // (even "0") asks for base64 binary.
  if (const auto b64 = query_param(query, "b64")) q.b64 = !b64->empty();
  return q;
}

}  // namespace sbcmon::engineio
