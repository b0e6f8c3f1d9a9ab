// Formats the "open this on your network" URLs; local_addresses() reads getifaddrs.
#include "app/lan_urls.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sbcmon::app {

namespace {

bool is_loopback(const LocalAddress& a) {
  return a.family == 4 ? a.text.rfind("127.", 0) == 0 : a.text == "::1";
}

bool is_link_local(const LocalAddress& a) {
  // fe80::/10 needs a %zone a browser cannot take; 169.254/16 is a DHCP failure.
  if (a.family == 4) return a.text.rfind("169.254.", 0) == 0;
  return a.text.size() >= 4 && (a.text.compare(0, 3, "fe8") == 0 || a.text.compare(0, 3, "fe9") == 0 ||
                                a.text.compare(0, 3, "fea") == 0 || a.text.compare(0, 3, "feb") == 0);
}

std::string url(bool tls, const std::string& host, int port) {
  return std::string(tls ? "https" : "http") + "://" + host + ":" + std::to_string(port) + "/";
}

}  // namespace

std::vector<std::string> lan_urls(const std::string& hostname, const std::string& bind, int port,
                                  bool tls, const std::vector<LocalAddress>& addresses) {
  std::vector<std::string> out;
  const bool any4 = bind.empty() || bind == "0.0.0.0" || bind == "::";
  const bool any6 = bind.empty() || bind == "::";
  if (any4) {
    const std::string name = hostname.substr(0, hostname.find('.'));
    if (!name.empty() && name != "localhost") out.push_back(url(tls, name + ".local", port));
  }
  for (const LocalAddress& a : addresses) {
    if (is_loopback(a) || is_link_local(a)) continue;
    const bool listens = a.family == 4 ? (any4 || a.text == bind) : (any6 || a.text == bind);
    if (!listens) continue;
    const std::string u = url(tls, a.family == 6 ? "[" + a.text + "]" : a.text, port);
    bool seen = false;
    for (const std::string& s : out) seen = seen || s == u;
    if (!seen) out.push_back(u);
  }
  return out;
}

std::vector<LocalAddress> local_addresses() {
  std::vector<LocalAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    char buf[INET6_ADDRSTRLEN] = {};
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      if (inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf)) != nullptr) out.push_back({4, buf});
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      if (inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf)) != nullptr) out.push_back({6, buf});
    }
  }
  freeifaddrs(list);
  return out;
}

void print_lan_urls(std::FILE* out, const std::string& bind, int port, bool tls) {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  for (const std::string& u : lan_urls(host, bind, port, tls, local_addresses())) {
    const bool mdns = u.find(".local:") != std::string::npos;
    std::fprintf(out, "sbcmon: on your network: %s%s\n", u.c_str(),
                 mdns ? " (where mDNS resolves .local, e.g. avahi-daemon on the board)" : "");
  }
}

}  // namespace sbcmon::app
