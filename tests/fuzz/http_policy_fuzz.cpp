// libFuzzer entry point: the request policy's parsers (Host, Origin, Bearer).
// Input: newline-separated Host, hostname, Origin, Authorization, then allow-host
// entries. Never over-reads; whatever it returns views the input; an allowed Host
// always has a name.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "net/http_policy.h"

namespace {
bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace net = sbcmon::net;
  const std::string copy(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  std::string_view rest(copy);
  while (parts.size() < 4) {
    const auto nl = rest.find('\n');
    parts.push_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) {
      rest = {};
      break;
    }
    rest.remove_prefix(nl + 1);
  }
  parts.resize(4);
  std::vector<std::string> allow;
  while (!rest.empty() && allow.size() < 8) {
    const auto nl = rest.find('\n');
    allow.emplace_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  const std::string_view host = parts[0];
  const std::string_view name = net::host_name_of(host);
  if (!inside(name, host)) __builtin_trap();
  if (net::host_allowed(host, parts[1], allow) && name.empty()) __builtin_trap();
  (void)net::is_ip_literal(name);
  (void)net::same_origin(parts[2], host, false);
  (void)net::same_origin(parts[2], host, true);
  if (const auto creds = net::bearer_credentials(parts[3])) {
    if (creds->empty() || !inside(*creds, parts[3])) __builtin_trap();
  }
  return 0;
}
