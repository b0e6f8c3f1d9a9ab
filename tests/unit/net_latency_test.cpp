// The bench's server-side latency recorder (net/latency.h): off without
// SBCMON_BENCH_LATENCY; with it, one line per tick that sent sample-sized frames,
// first <= last, and pings/handshakes (short frames) not counted.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "net/latency.h"

namespace {

using sbcmon::net::TickLatency;

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(f, l);) out.push_back(l);
  return out;
}

TEST(TickLatency, OffWithoutTheVariable) {
  unsetenv("SBCMON_BENCH_LATENCY");
  TickLatency t;
  EXPECT_FALSE(t.enabled());
  t.tick();
  t.frame(1000);
  t.write();  // nothing to write to, nothing happens
}

TEST(TickLatency, OneLinePerTickWithFramesFirstBeforeLast) {
  std::string tmpl = testing::TempDir() + "sbcmon-latency-XXXXXX";
  const int fd = mkstemp(tmpl.data());
  ASSERT_GE(fd, 0);
  close(fd);
  const std::string path = tmpl;
  setenv("SBCMON_BENCH_LATENCY", path.c_str(), 1);
  {
    TickLatency t;
    ASSERT_TRUE(t.enabled());
    t.tick();
    t.frame(TickLatency::kMinFrame);
    usleep(2000);
    t.frame(500);
    t.frame(1);  // a ping: not part of the broadcast
    t.tick();    // no sample frames in this one: no line
    t.tick();
    t.frame(800);
    t.tick();  // closes the third
    t.write();
  }
  unsetenv("SBCMON_BENCH_LATENCY");
  const std::vector<std::string> lines = lines_of(path);
  std::remove(path.c_str());
  ASSERT_EQ(lines.size(), 2u);
  unsigned long long wall = 0;
  unsigned first = 0, last = 0, frames = 0;
  std::istringstream a(lines[0]);
  a >> wall >> first >> last >> frames;
  EXPECT_GT(wall, 1600000000000ull);  // wall-clock ms, for the bench's window
  EXPECT_EQ(frames, 2u);
  EXPECT_GE(last, first + 1500);  // the second frame came ~2 ms after the first
  std::istringstream b(lines[1]);
  b >> wall >> first >> last >> frames;
  EXPECT_EQ(frames, 1u);
  EXPECT_EQ(first, last);
}

}  // namespace
