// encode_number writes its digits itself (printf cost a tick 43k instructions): it must
// still print what "%.*f" prints, tie rules included, for every figure a sample holds.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "sampler/json.h"

namespace {

using sbcmon::sampler::encode_number;

std::string mine(double v, int decimals) {
  std::string out;
  encode_number(v, decimals, out);
  return out;
}

// The reference: glibc's printf, trimmed as the page has always received it.
std::string printf_ref(double v, int decimals) {
  static constexpr double kHalfUnit[] = {0.5, 0.05, 0.005, 0.0005, 0.00005, 0.000005, 0.0000005};
  if (std::fabs(v) < kHalfUnit[decimals]) v = 0.0;
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  if (decimals > 1) {
    while (n > 0 && buf[n - 1] == '0' && buf[n - 2] != '.') --n;
  }
  return std::string(buf, static_cast<std::size_t>(n));
}

TEST(JsonNumber, WhatASampleHolds) {
  EXPECT_EQ(mine(0.0, 1), "0.0");
  EXPECT_EQ(mine(52.666666, 2), "52.67");
  EXPECT_EQ(mine(16.0, 2), "16.0");
  EXPECT_EQ(mine(100.0, 1), "100.0");
  EXPECT_EQ(mine(48.312, 0), "48");
  EXPECT_EQ(mine(-3.5, 1), "-3.5");
  EXPECT_EQ(mine(-0.04, 1), "0.0");  // no "-0.0"
  EXPECT_EQ(mine(std::numeric_limits<double>::quiet_NaN(), 1), "null");
  EXPECT_EQ(mine(std::numeric_limits<double>::infinity(), 1), "null");
  EXPECT_EQ(mine(3906250.0, 1), "3906250.0");  // bytes/s
}

TEST(JsonNumber, TiesRoundAsPrintfDoes) {
  // Exact binary ties go to even; near ties go by the value actually stored.
  for (double v : {0.125, 0.375, 2.5, 3.5, 0.25, 0.15, 0.35, 1.005, 2.675, 0.05, -0.05, 1.45, 8.345}) {
    for (int d = 0; d <= 3; ++d) EXPECT_EQ(mine(v, d), printf_ref(v, d)) << v << " d=" << d;
  }
}

TEST(JsonNumber, MatchesPrintfOverEveryRangeAFigureHas) {
  std::uint64_t x = 0x9e3779b97f4a7c15u;
  auto next = [&x]() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  int checked = 0;
  for (double scale : {1e-6, 1e-3, 0.1, 1.0, 100.0, 1e4, 1e6, 1e9, 1e12, 9e14}) {
    for (int i = 0; i < 4000; ++i) {
      const std::uint64_t r = next();
      double v = static_cast<double>(r >> 11) / 9007199254740992.0 * scale;  // [0, scale)
      if (r & 1) v = -v;
      // One value in four on a decimal grid, where the ties are.
      if ((r & 6) == 0) v = std::round(v * 1000.0) / 1000.0 + ((r & 8) ? 0.0005 : 0.0);
      for (int d = 0; d <= 6; ++d) {
        ASSERT_EQ(mine(v, d), printf_ref(v, d)) << "v=" << v << " d=" << d;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 10 * 4000 * 7);
}

TEST(JsonNumber, HugeFiguresKeepTheirExponentForm) {
  EXPECT_EQ(mine(1e15, 1), "1.000000e+15");
  EXPECT_EQ(mine(-2.5e20, 2), "-2.500000e+20");
}

}  // namespace
