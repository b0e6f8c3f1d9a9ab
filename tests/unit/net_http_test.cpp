// The glue's lws-free HTTP helpers: content negotiation, gzip, ETags, the
// allowed-origin list, and the one constant-time compare.
#include <gtest/gtest.h>
#include <zlib.h>

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

// What a browser or Prometheus would do with the body: gunzip it.
std::string gunzip(const std::string& in) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

TEST(Gzip, EveryBodySizeComesBackWhole) {
  // Sizes either side of the window steps (the window follows the body's size).
  for (std::size_t n : {0u, 1u, 511u, 512u, 513u, 6318u, 40000u, 300000u}) {
    std::string body;
    std::uint32_t x = 12345;
    while (body.size() < n) {
      x = x * 1103515245u + 12345u;
      body += "sbcmon_cpu_seconds_total{cpu=\"" + std::to_string(x % 64) + "\"} " + std::to_string(x >> 8) + "\n";
    }
    body.resize(n);
    std::string out;
    ASSERT_TRUE(gzip(body, out)) << n;
    EXPECT_EQ(gunzip(out), body) << n;
    if (n >= 6318) {
      EXPECT_LT(out.size(), n / 2) << n;  // and it still compresses
    }
  }
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
