// The glue's lws-free HTTP helpers: content negotiation, gzip, ETags, the
// allowed-origin list, and the one constant-time compare.
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

TEST(OriginListed, ExactOrWildcard) {
  const std::vector<std::string> listed{"http://dash.lan"};
  EXPECT_TRUE(origin_listed("http://dash.lan", listed));
  EXPECT_FALSE(origin_listed("http://dash.lan.evil", listed));
  EXPECT_FALSE(origin_listed("http://dash.lan", {}));
  EXPECT_TRUE(origin_listed("http://anything", {"*"}));
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
