// The glue's lws-free HTTP helpers: content negotiation, ETags, the Origin
// check and the per-address handshake rate limiter.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/http.h"
#include "util/ct.h"

namespace {

using namespace sbcmon::net;

TEST(AcceptsGzip, HonoursQZeroAndWildcards) {
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, gzip;q=0.8"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_TRUE(accepts_gzip("gzip;q=0.5"));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("xgzip"));
}

TEST(Gzip, MakesAGzipMember) {
  std::string out;
  ASSERT_TRUE(gzip(std::string(4096, 'a'), out));
  ASSERT_GE(out.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 0x8b);
  EXPECT_LT(out.size(), 200u);
}

TEST(Etag, GzipBytesHaveTheirOwnTagAndMatchIsByName) {
  EXPECT_EQ(representation_etag("\"abc\"", true), "\"abc-gz\"");
  EXPECT_EQ(representation_etag("\"abc\"", false), "\"abc\"");
  EXPECT_TRUE(etag_matches("\"abc-gz\"", "\"abc-gz\""));
  EXPECT_TRUE(etag_matches("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("*", "\"abc\""));
  EXPECT_FALSE(etag_matches("\"abc\"", "\"abc-gz\""));
  EXPECT_FALSE(etag_matches("", "\"abc\""));
}

TEST(OriginOk, SameOriginListedOrNone) {
  const std::vector<std::string> none;
  const std::vector<std::string> listed{"http://dash.lan"};
  const std::vector<std::string> any{"*"};
  EXPECT_TRUE(origin_ok("", "board:8080", none));
  EXPECT_TRUE(origin_ok("http://board:8080", "board:8080", none));
  EXPECT_TRUE(origin_ok("https://board:8080", "board:8080", none));
  EXPECT_FALSE(origin_ok("http://evil.example", "board:8080", none));
  EXPECT_FALSE(origin_ok("http://board:8080.evil", "board:8080", none));
  EXPECT_FALSE(origin_ok("http://board:8080", "", none));
  EXPECT_FALSE(origin_ok("board:8080", "board:8080", none));
  EXPECT_TRUE(origin_ok("http://dash.lan", "board:8080", listed));
  EXPECT_FALSE(origin_ok("http://dash.lan.evil", "board:8080", listed));
  EXPECT_TRUE(origin_ok("http://anything", "board:8080", any));
}

TEST(RateLimiter, CountsPerAddressPerSecond) {
  RateLimiter r(2);
  EXPECT_TRUE(r.allow("10.0.0.1", 1000));
  EXPECT_TRUE(r.allow("10.0.0.1", 1100));
  EXPECT_FALSE(r.allow("10.0.0.1", 1200));
  EXPECT_TRUE(r.allow("10.0.0.2", 1200));  // another address has its own budget
  EXPECT_TRUE(r.allow("10.0.0.1", 2000));  // a new second
  RateLimiter off(0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(off.allow("10.0.0.1", 1000));
}

TEST(RateLimiter, AFullTableReusesTheLeastRecentlySeenAddress) {
  RateLimiter r(1);
  for (std::size_t i = 0; i < RateLimiter::kAddresses; ++i) {
    EXPECT_TRUE(r.allow("10.0.1." + std::to_string(i), 5000 + i));
  }
  EXPECT_TRUE(r.allow("10.0.2.1", 6000));  // evicts 10.0.1.0
  EXPECT_TRUE(r.allow("10.0.1.0", 6001));  // forgotten, so allowed again
  EXPECT_FALSE(r.allow("10.0.2.1", 6002));
}

TEST(SecretEqual, ExactMatchOnly) {
  using sbcmon::util::secret_equal;
  EXPECT_TRUE(secret_equal("s3cret", "s3cret"));
  EXPECT_FALSE(secret_equal("s3cre", "s3cret"));
  EXPECT_FALSE(secret_equal("s3cretx", "s3cret"));
  EXPECT_FALSE(secret_equal("S3cret", "s3cret"));
  EXPECT_FALSE(secret_equal("", "s3cret"));
}

}  // namespace
