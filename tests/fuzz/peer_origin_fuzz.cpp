// libFuzzer entry point: --peer URLs (peer_origin) and the page CSP built from them.
// A normalised origin is a fixed point, names only [a-z0-9.-_:[]] after its scheme
// (so it can neither add a CSP directive nor break the JSON string the page gets),
// and its CSP entry is exactly the origin and its WebSocket twin.
#include <cstddef>
#include <cstdint>
#include <string>

#include "app/cli.h"
#include "net/http_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace app = sbcmon::app;
  const std::string url(reinterpret_cast<const char*>(data), size);
  const auto origin = app::peer_origin(url);
  if (!origin) return 0;
  if (app::peer_origin(*origin) != origin) __builtin_trap();
  const std::size_t start = origin->find("://") + 3;
  for (std::size_t i = start; i < origin->size(); ++i) {
    const char c = (*origin)[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
                    c == ':' || c == '[' || c == ']';
    if (!ok) __builtin_trap();
  }
  if (app::origin_host(*origin).empty()) __builtin_trap();
  const std::string csp = sbcmon::net::page_csp({*origin});
  const std::string twin = (origin->rfind("https", 0) == 0 ? "wss" : "ws") + origin->substr(origin->find("://"));
  if (csp.find("connect-src 'self' " + *origin + " " + twin + ";") == std::string::npos) __builtin_trap();
  return 0;
}
