// Request policy: Host allow-list (DNS rebinding), same-origin with the scheme,
// the Bearer scheme, per-address handshake and token back-off, the log limiter,
// and the memory budget they all answer to.
#include "net/http_policy.h"

#include <gtest/gtest.h>

#include "util/budget.h"

namespace {

using sbcmon::net::AddressTable;
using sbcmon::net::bearer_credentials;
using sbcmon::net::host_allowed;
using sbcmon::net::host_name_of;
using sbcmon::net::LogLimiter;
using sbcmon::net::same_origin;

TEST(HostPolicy, NameWithoutPort) {
  EXPECT_EQ(host_name_of("pi:8080"), "pi");
  EXPECT_EQ(host_name_of("pi"), "pi");
  EXPECT_EQ(host_name_of("[::1]:8080"), "::1");
  EXPECT_EQ(host_name_of("[fe80::1]"), "fe80::1");
  EXPECT_EQ(host_name_of("pi:80x"), "");
  EXPECT_EQ(host_name_of("::1"), "");  // IPv6 in a Host needs brackets
  EXPECT_EQ(host_name_of("a b"), "");
  EXPECT_EQ(host_name_of(""), "");
}

TEST(HostPolicy, BoardNamesAndIpLiteralsByDefault) {
  const std::vector<std::string> none;
  EXPECT_TRUE(host_allowed("127.0.0.1:8080", "pi", none));
  EXPECT_TRUE(host_allowed("192.168.1.20", "pi", none));
  EXPECT_TRUE(host_allowed("[::1]:8080", "pi", none));
  EXPECT_TRUE(host_allowed("localhost:8080", "pi", none));
  EXPECT_TRUE(host_allowed("LocalHost", "pi", none));
  EXPECT_TRUE(host_allowed("pi:8080", "pi", none));
  EXPECT_TRUE(host_allowed("PI.local:8080", "pi", none));
  EXPECT_TRUE(host_allowed("pi.", "pi", none));
}

TEST(HostPolicy, RebindingNamesRefused) {
  const std::vector<std::string> none;
  EXPECT_FALSE(host_allowed("attacker.example:8080", "pi", none));
  EXPECT_FALSE(host_allowed("pi.attacker.example", "pi", none));
  EXPECT_FALSE(host_allowed("pix.local", "pi", none));
  EXPECT_FALSE(host_allowed("127.0.0.1.nip.io", "pi", none));
  EXPECT_FALSE(host_allowed("", "pi", none));
  EXPECT_FALSE(host_allowed("pi", "", none));
}

TEST(HostPolicy, AllowHostAddsNamesAndDomains) {
  const std::vector<std::string> allow = {"monitor.lan", ".example.com"};
  EXPECT_TRUE(host_allowed("monitor.lan:8080", "pi", allow));
  EXPECT_TRUE(host_allowed("example.com", "pi", allow));
  EXPECT_TRUE(host_allowed("a.b.example.com:443", "pi", allow));
  EXPECT_FALSE(host_allowed("badexample.com", "pi", allow));
  EXPECT_FALSE(host_allowed("x.monitor.lan", "pi", allow));
  EXPECT_TRUE(host_allowed("anything.at.all", "pi", {"*"}));
}

TEST(Origin, SchemeCounts) {
  EXPECT_TRUE(same_origin("http://pi:8080", "pi:8080", false));
  EXPECT_FALSE(same_origin("https://pi:8080", "pi:8080", false));
  EXPECT_TRUE(same_origin("https://pi:8443", "pi:8443", true));
  EXPECT_FALSE(same_origin("http://pi:8443", "pi:8443", true));
  EXPECT_FALSE(same_origin("http://pi:8081", "pi:8080", false));
  EXPECT_FALSE(same_origin("pi:8080", "pi:8080", false));
  EXPECT_FALSE(same_origin("http://pi:8080", "", false));
}

TEST(Bearer, SchemeIsCaseInsensitive) {
  EXPECT_EQ(bearer_credentials("Bearer abc"), std::optional<std::string_view>("abc"));
  EXPECT_EQ(bearer_credentials("bearer abc"), std::optional<std::string_view>("abc"));
  EXPECT_EQ(bearer_credentials("BEARER  abc "), std::optional<std::string_view>("abc"));
  EXPECT_FALSE(bearer_credentials("Basic abc"));
  EXPECT_FALSE(bearer_credentials("Bearer"));
  EXPECT_FALSE(bearer_credentials("Bearer "));
  EXPECT_FALSE(bearer_credentials("Bearerabc"));
}

TEST(LogLimiterTest, BurstThenCountsWhatItDropped) {
  LogLimiter limit(3, 1000);
  std::uint64_t suppressed = 0;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limit.allow(10, suppressed));
  for (int i = 0; i < 5000; ++i) EXPECT_FALSE(limit.allow(20, suppressed));
  ASSERT_TRUE(limit.allow(1010, suppressed));
  EXPECT_EQ(suppressed, 5000u);
  ASSERT_TRUE(limit.allow(1011, suppressed));
  EXPECT_EQ(suppressed, 0u);
}

TEST(AddressTableTest, HandshakeRatePerAddress) {
  AddressTable t;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(t.handshake_allowed("10.0.0.1", 100, 5));
  EXPECT_FALSE(t.handshake_allowed("10.0.0.1", 200, 5));
  EXPECT_TRUE(t.handshake_allowed("10.0.0.2", 200, 5));
  EXPECT_TRUE(t.handshake_allowed("10.0.0.1", 1100, 5));
  EXPECT_TRUE(t.handshake_allowed("10.0.0.9", 0, 0));  // 0 = no rate limit
}

TEST(AddressTableTest, FailedTokensBackOffExponentially) {
  AddressTable t;
  for (std::uint32_t i = 0; i + 1 < AddressTable::kFreeFailures; ++i) t.auth_failed("10.0.0.1", 0);
  EXPECT_FALSE(t.backing_off("10.0.0.1", 0));
  t.auth_failed("10.0.0.1", 0);  // the last free one: now 1 s
  EXPECT_TRUE(t.backing_off("10.0.0.1", 999));
  EXPECT_FALSE(t.handshake_allowed("10.0.0.1", 999, 0));
  EXPECT_FALSE(t.backing_off("10.0.0.1", 1000));
  EXPECT_FALSE(t.backing_off("10.0.0.2", 500));  // others are untouched
  t.auth_failed("10.0.0.1", 1000);  // then 2 s
  EXPECT_TRUE(t.backing_off("10.0.0.1", 2999));
  EXPECT_FALSE(t.backing_off("10.0.0.1", 3000));
  for (int i = 0; i < 40; ++i) t.auth_failed("10.0.0.1", 3000);
  EXPECT_TRUE(t.backing_off("10.0.0.1", 3000 + AddressTable::kMaxBackoffMs - 1));
  EXPECT_FALSE(t.backing_off("10.0.0.1", 3000 + AddressTable::kMaxBackoffMs));
  t.auth_succeeded("10.0.0.1");
  EXPECT_FALSE(t.backing_off("10.0.0.1", 3001));
  // Failures long ago are forgotten: a typo next week does not count.
  for (std::uint32_t i = 0; i + 1 < AddressTable::kFreeFailures; ++i) t.auth_failed("10.0.0.3", 0);
  t.auth_failed("10.0.0.3", AddressTable::kForgetMs);
  EXPECT_FALSE(t.backing_off("10.0.0.3", AddressTable::kForgetMs));
}

TEST(AddressTableTest, BoundedWhenAddressesCycle) {
  AddressTable t;
  for (std::uint32_t i = 0; i < 10 * AddressTable::kEntries; ++i) {
    t.handshake_allowed("10.1." + std::to_string(i), i, 1);
  }
  // A newcomer still gets a slot (the least recently seen is reused).
  EXPECT_TRUE(t.handshake_allowed("192.168.0.1", 100000, 1));
  EXPECT_FALSE(t.handshake_allowed("192.168.0.1", 100001, 1));
}

TEST(MemoryBudgetTest, RefusesOverTheLimitAndKeepsRoomForOutbound) {
  using sbcmon::util::MemoryBudget;
  using sbcmon::util::Use;
  MemoryBudget b(1000);
  EXPECT_TRUE(b.reserve(700, Use::kInbound));
  EXPECT_TRUE(b.reserve(50, Use::kInbound));
  EXPECT_FALSE(b.reserve(1, Use::kInbound));  // inbound stops at 3/4
  EXPECT_TRUE(b.reserve(250, Use::kOutbound));
  EXPECT_FALSE(b.reserve(1, Use::kOutbound));
  EXPECT_EQ(b.used(), 1000u);
  b.release(500);
  EXPECT_EQ(b.used(), 500u);
  EXPECT_FALSE(b.reserve(static_cast<std::size_t>(-1), Use::kOutbound));  // no overflow
  b.release(10000);
  EXPECT_EQ(b.used(), 0u);
  EXPECT_EQ(b.peak(), 1000u);
  MemoryBudget open(0);
  EXPECT_TRUE(open.reserve(1u << 30, Use::kInbound));
}

}  // namespace

namespace {

TEST(PageCsp, ConnectSrcIsTheBoardAloneUnlessPeersAreNamed) {
  const std::string alone = sbcmon::net::page_csp({});
  EXPECT_NE(alone.find("connect-src 'self';"), std::string::npos);
  EXPECT_NE(alone.find("frame-ancestors 'none'"), std::string::npos);
  const std::string fleet = sbcmon::net::page_csp({"http://pi4.local:8080", "https://bbb.lan"});
  EXPECT_NE(fleet.find("connect-src 'self' http://pi4.local:8080 ws://pi4.local:8080 https://bbb.lan wss://bbb.lan;"),
            std::string::npos)
      << fleet;
  EXPECT_NE(fleet.find("script-src 'self';"), std::string::npos);
  // Anything not an http(s) origin never reaches the policy.
  EXPECT_EQ(sbcmon::net::page_csp({"javascript:alert(1)"}), alone);
}

}  // namespace
