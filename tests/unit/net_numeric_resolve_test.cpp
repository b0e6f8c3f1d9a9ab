// The static firmware's name lookups (net/numeric_resolve.h): numeric addresses and
// ports work as with glibc, a host or service name is refused with glibc's error code
// instead of being looked up, and getnameinfo answers numerically.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cstring>
#include <string>

#include "net/numeric_resolve.h"

namespace {

using sbcmon::net::numeric_freeaddrinfo;
using sbcmon::net::numeric_getaddrinfo;
using sbcmon::net::numeric_getnameinfo;

std::string host_of(const addrinfo* ai) {
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (numeric_getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, serv, sizeof serv, 0) !=
      0)
    return "?";
  return std::string(host) + " " + serv;
}

addrinfo hints_for(int family, int flags = 0) {
  addrinfo h{};
  h.ai_family = family;
  h.ai_socktype = SOCK_STREAM;
  h.ai_flags = flags;
  return h;
}

TEST(NumericResolve, Ipv4AndPort) {
  addrinfo h = hints_for(AF_UNSPEC);
  addrinfo* res = nullptr;
  ASSERT_EQ(numeric_getaddrinfo("192.0.2.7", "8443", &h, &res), 0);
  ASSERT_NE(res, nullptr);
  EXPECT_EQ(res->ai_family, AF_INET);
  EXPECT_EQ(res->ai_socktype, SOCK_STREAM);
  EXPECT_EQ(res->ai_next, nullptr);
  const auto* s4 = reinterpret_cast<const sockaddr_in*>(res->ai_addr);
  EXPECT_EQ(ntohs(s4->sin_port), 8443);
  EXPECT_EQ(host_of(res), "192.0.2.7 8443");
  numeric_freeaddrinfo(res);
}

TEST(NumericResolve, Ipv6WithScope) {
  addrinfo h = hints_for(AF_UNSPEC, AI_CANONNAME);
  addrinfo* res = nullptr;
  ASSERT_EQ(numeric_getaddrinfo("2001:db8::1", nullptr, &h, &res), 0);
  EXPECT_EQ(res->ai_family, AF_INET6);
  ASSERT_NE(res->ai_canonname, nullptr);
  EXPECT_STREQ(res->ai_canonname, "2001:db8::1");
  EXPECT_EQ(host_of(res), "2001:db8::1 0");
  numeric_freeaddrinfo(res);

  const unsigned lo = if_nametoindex("lo");
  ASSERT_NE(lo, 0u) << "this machine has no loopback interface named lo";
  ASSERT_EQ(numeric_getaddrinfo("fe80::1%lo", "80", &h, &res), 0);
  EXPECT_EQ(reinterpret_cast<const sockaddr_in6*>(res->ai_addr)->sin6_scope_id, lo);
  EXPECT_EQ(host_of(res), "fe80::1%lo 80");  // link-local: the scope by name, as glibc
  numeric_freeaddrinfo(res);
  ASSERT_EQ(numeric_getaddrinfo(("fe80::1%" + std::to_string(lo)).c_str(), "80", &h, &res), 0);
  EXPECT_EQ(reinterpret_cast<const sockaddr_in6*>(res->ai_addr)->sin6_scope_id, lo);
  numeric_freeaddrinfo(res);
  EXPECT_EQ(numeric_getaddrinfo("fe80::1%no-such-if0", "80", &h, &res), EAI_NONAME);
}

TEST(NumericResolve, NamesAreRefusedNotLookedUp) {
  addrinfo h = hints_for(AF_UNSPEC);
  addrinfo* res = reinterpret_cast<addrinfo*>(&h);  // must be cleared on failure
  EXPECT_EQ(numeric_getaddrinfo("localhost", "80", &h, &res), EAI_NONAME);
  EXPECT_EQ(res, nullptr);
  EXPECT_EQ(numeric_getaddrinfo("example.com", nullptr, &h, &res), EAI_NONAME);
  EXPECT_EQ(numeric_getaddrinfo("127.0.0.1", "http", &h, &res), EAI_SERVICE);
  EXPECT_EQ(numeric_getaddrinfo("127.0.0.1", "65536", &h, &res), EAI_SERVICE);
  EXPECT_EQ(numeric_getaddrinfo("127.0.0.1", "", &h, &res), EAI_SERVICE);
  EXPECT_EQ(numeric_getaddrinfo(nullptr, nullptr, &h, &res), EAI_NONAME);
}

TEST(NumericResolve, FamilyHints) {
  addrinfo h4 = hints_for(AF_INET);
  addrinfo h6 = hints_for(AF_INET6);
  addrinfo hx = hints_for(AF_UNIX);
  addrinfo* res = nullptr;
  EXPECT_EQ(numeric_getaddrinfo("::1", "1", &h4, &res), EAI_ADDRFAMILY);
  EXPECT_EQ(numeric_getaddrinfo("10.0.0.1", "1", &h6, &res), EAI_ADDRFAMILY);
  EXPECT_EQ(numeric_getaddrinfo("10.0.0.1", "1", &hx, &res), EAI_FAMILY);
}

TEST(NumericResolve, NoNodeIsWildcardOrLoopback) {
  addrinfo passive = hints_for(AF_UNSPEC, AI_PASSIVE);
  addrinfo* res = nullptr;
  ASSERT_EQ(numeric_getaddrinfo(nullptr, "7681", &passive, &res), 0);
  ASSERT_NE(res->ai_next, nullptr);
  EXPECT_EQ(host_of(res), ":: 7681");
  EXPECT_EQ(host_of(res->ai_next), "0.0.0.0 7681");
  EXPECT_EQ(res->ai_next->ai_next, nullptr);
  numeric_freeaddrinfo(res);

  addrinfo active = hints_for(AF_INET);
  ASSERT_EQ(numeric_getaddrinfo(nullptr, "7681", &active, &res), 0);
  EXPECT_EQ(host_of(res), "127.0.0.1 7681");
  EXPECT_EQ(res->ai_next, nullptr);
  numeric_freeaddrinfo(res);
  numeric_freeaddrinfo(nullptr);
}

TEST(NumericResolve, NameInfoIsNumericOnly) {
  sockaddr_in s4{};
  s4.sin_family = AF_INET;
  s4.sin_port = htons(443);
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &s4.sin_addr), 1);
  const auto* sa = reinterpret_cast<const sockaddr*>(&s4);
  char host[NI_MAXHOST];
  char serv[8];
  ASSERT_EQ(numeric_getnameinfo(sa, sizeof s4, host, sizeof host, serv, sizeof serv, 0), 0);
  EXPECT_STREQ(host, "127.0.0.1");  // not "localhost": no reverse lookup
  EXPECT_STREQ(serv, "443");
  EXPECT_EQ(numeric_getnameinfo(sa, sizeof s4, host, sizeof host, nullptr, 0, NI_NAMEREQD),
            EAI_NONAME);
  char tiny[4];
  EXPECT_EQ(numeric_getnameinfo(sa, sizeof s4, tiny, sizeof tiny, nullptr, 0, 0), EAI_OVERFLOW);
  EXPECT_EQ(numeric_getnameinfo(sa, sizeof s4 - 1, host, sizeof host, nullptr, 0, 0), EAI_FAMILY);
  sockaddr un{};
  un.sa_family = AF_UNIX;
  EXPECT_EQ(numeric_getnameinfo(&un, sizeof un, host, sizeof host, nullptr, 0, 0), EAI_FAMILY);
}

}  // namespace
