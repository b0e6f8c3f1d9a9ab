// Numeric-only getaddrinfo/getnameinfo for the static firmware (see numeric_resolve.h).
#include "net/numeric_resolve.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sbcmon::net {

namespace {

// One result and the storage it points into, freed with one free().
struct Result {
  addrinfo ai;
  sockaddr_storage addr;
  char canon[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
};

// A decimal port 0..65535, the whole string; false otherwise.
bool parse_port(const char* s, unsigned& port) {
  if (s == nullptr) {
    port = 0;
    return true;
  }
  if (*s == '\0') return false;
  unsigned long v = 0;
  for (const char* p = s; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return false;
    v = v * 10 + static_cast<unsigned long>(*p - '0');
    if (v > 65535) return false;
  }
  port = static_cast<unsigned>(v);
  return true;
}

// The scope of "addr%scope": an interface name or a decimal index; 0 when unknown.
unsigned scope_of(const char* scope) {
  unsigned idx = if_nametoindex(scope);
  if (idx != 0) return idx;
  unsigned port = 0;  // same grammar as a port, wider range not needed for interface indexes
  return parse_port(scope, port) ? port : 0;
}

Result* make(int family, const addrinfo* hints, const char* canon) {
  auto* r = static_cast<Result*>(std::calloc(1, sizeof(Result)));
  if (r == nullptr) return nullptr;
  r->ai.ai_family = family;
  r->ai.ai_socktype =
      hints != nullptr && hints->ai_socktype != 0 ? hints->ai_socktype : SOCK_STREAM;
  r->ai.ai_protocol = hints != nullptr ? hints->ai_protocol : 0;
  r->ai.ai_addr = reinterpret_cast<sockaddr*>(&r->addr);
  r->ai.ai_addrlen = family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  r->addr.ss_family = static_cast<sa_family_t>(family);
  if (hints != nullptr && (hints->ai_flags & AI_CANONNAME) != 0 && canon != nullptr) {
    std::snprintf(r->canon, sizeof r->canon, "%s", canon);
    r->ai.ai_canonname = r->canon;
  }
  return r;
}

}  // namespace

int numeric_getaddrinfo(const char* node, const char* service, const addrinfo* hints,
                        addrinfo** res) {
  if (res == nullptr || (node == nullptr && service == nullptr)) return EAI_NONAME;
  *res = nullptr;
  const int family = hints != nullptr ? hints->ai_family : AF_UNSPEC;
  if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) return EAI_FAMILY;
  unsigned port = 0;
  if (!parse_port(service, port)) return EAI_SERVICE;
  const bool passive = hints != nullptr && (hints->ai_flags & AI_PASSIVE) != 0;

  Result* v6 = nullptr;
  Result* v4 = nullptr;
  if (node == nullptr) {
    if (family != AF_INET && (v6 = make(AF_INET6, hints, nullptr)) == nullptr) return EAI_MEMORY;
    if (family != AF_INET6 && (v4 = make(AF_INET, hints, nullptr)) == nullptr) {
      std::free(v6);
      return EAI_MEMORY;
    }
    if (v6 != nullptr) {
      reinterpret_cast<sockaddr_in6*>(&v6->addr)->sin6_addr =
          passive ? in6addr_any : in6addr_loopback;
    }
    if (v4 != nullptr) {
      reinterpret_cast<sockaddr_in*>(&v4->addr)->sin_addr.s_addr =
          htonl(passive ? INADDR_ANY : INADDR_LOOPBACK);
    }
  } else {
    in_addr a4;
    in6_addr a6;
    char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
    if (std::strlen(node) >= sizeof text) return EAI_NONAME;
    std::strcpy(text, node);
    char* pct = std::strchr(text, '%');
    if (pct != nullptr) *pct = '\0';
    if (pct == nullptr && inet_pton(AF_INET, text, &a4) == 1) {
      if (family == AF_INET6) return EAI_ADDRFAMILY;
      if ((v4 = make(AF_INET, hints, node)) == nullptr) return EAI_MEMORY;
      reinterpret_cast<sockaddr_in*>(&v4->addr)->sin_addr = a4;
    } else if (inet_pton(AF_INET6, text, &a6) == 1) {
      if (family == AF_INET) return EAI_ADDRFAMILY;
      unsigned scope = 0;
      if (pct != nullptr && (scope = scope_of(pct + 1)) == 0) return EAI_NONAME;
      if ((v6 = make(AF_INET6, hints, node)) == nullptr) return EAI_MEMORY;
      auto* s6 = reinterpret_cast<sockaddr_in6*>(&v6->addr);
      s6->sin6_addr = a6;
      s6->sin6_scope_id = scope;
    } else {
      return EAI_NONAME;  // a host name: this build has no resolver
    }
  }
  if (v6 != nullptr)
    reinterpret_cast<sockaddr_in6*>(&v6->addr)->sin6_port = htons(static_cast<uint16_t>(port));
  if (v4 != nullptr)
    reinterpret_cast<sockaddr_in*>(&v4->addr)->sin_port = htons(static_cast<uint16_t>(port));
  if (v6 != nullptr) {
    v6->ai.ai_next = v4 != nullptr ? &v4->ai : nullptr;
    *res = &v6->ai;
  } else {
    *res = &v4->ai;
  }
  return 0;
}

void numeric_freeaddrinfo(addrinfo* res) {
  while (res != nullptr) {
    addrinfo* next = res->ai_next;
    std::free(res);  // ai is the first member of its Result
    res = next;
  }
}

int numeric_getnameinfo(const sockaddr* sa, socklen_t salen, char* host, socklen_t hostlen,
                        char* serv, socklen_t servlen, int flags) {
  if (sa == nullptr) return EAI_FAMILY;
  unsigned port = 0;
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
  if (sa->sa_family == AF_INET && salen >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* s4 = reinterpret_cast<const sockaddr_in*>(sa);
    if (inet_ntop(AF_INET, &s4->sin_addr, text, sizeof text) == nullptr) return EAI_SYSTEM;
    port = ntohs(s4->sin_port);
  } else if (sa->sa_family == AF_INET6 && salen >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof text) == nullptr) return EAI_SYSTEM;
    if (s6->sin6_scope_id != 0) {
      const std::size_t n = std::strlen(text);
      char ifname[IF_NAMESIZE];
      const bool named =
          (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr) || IN6_IS_ADDR_MC_LINKLOCAL(&s6->sin6_addr)) &&
          if_indextoname(s6->sin6_scope_id, ifname) != nullptr;
      if (named) {
        std::snprintf(text + n, sizeof text - n, "%%%s", ifname);
      } else {
        std::snprintf(text + n, sizeof text - n, "%%%u", static_cast<unsigned>(s6->sin6_scope_id));
      }
    }
    port = ntohs(s6->sin6_port);
  } else {
    return EAI_FAMILY;
  }
  if (host != nullptr && hostlen > 0) {
    if ((flags & NI_NAMEREQD) != 0) return EAI_NONAME;  // no reverse lookups in this build
    if (std::strlen(text) >= hostlen) return EAI_OVERFLOW;
    std::strcpy(host, text);
  }
  if (serv != nullptr && servlen > 0) {
    const int n = std::snprintf(serv, servlen, "%u", port);
    if (n < 0 || static_cast<socklen_t>(n) >= servlen) return EAI_OVERFLOW;
  }
  return 0;
}

}  // namespace sbcmon::net
