// Sampler tests: the figures of tests/fixtures/README.txt, hotplug and missing files,
// the ring, the JSON wire encoders, and "no heap allocation per tick after start-up".
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/statvfs.h>

#include "sampler/alerts.h"
#include "sampler/history.h"
#include "sampler/json.h"
#include "sampler/parse.h"
#include "sampler/procs.h"
#include "util/ring.h"
#include "sampler/sampler.h"

// ---- allocation counting: every global operator new in this binary goes through here ----
namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocs{0};
}  // namespace

// noinline: once inlined, GCC pairs the malloc in new with the free in delete at each
// call site and reports -Wmismatched-new-delete although the pair is consistent.
#define SBCMON_NOINLINE __attribute__((noinline))
SBCMON_NOINLINE void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
SBCMON_NOINLINE void* operator new[](std::size_t n) { return operator new(n); }
SBCMON_NOINLINE void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
SBCMON_NOINLINE void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return operator new(n, t);
}
SBCMON_NOINLINE void operator delete(void* p) noexcept { std::free(p); }
SBCMON_NOINLINE void operator delete[](void* p) noexcept { std::free(p); }
SBCMON_NOINLINE void operator delete(void* p, std::size_t) noexcept { std::free(p); }
SBCMON_NOINLINE void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

namespace fs = std::filesystem;
using namespace sbcmon::sampler;
using sbcmon::util::Ring;

// ---- a small strict JSON reader, so encoder output is checked as JSON, not as text ----
struct J {
  enum Type { kNull, kBool, kNum, kStr, kArr, kObj } type = kNull;
  bool b = false;
  double n = 0;
  std::string s;
  std::vector<J> a;
  std::vector<std::pair<std::string, J>> o;

  bool is_null() const { return type == kNull; }
  bool has(const std::string& k) const {
    for (auto& [key, v] : o) if (key == k) return true;
    return false;
  }
  const J& operator[](const std::string& k) const {
    static const J missing;
    for (auto& [key, v] : o) if (key == k) return v;
    ADD_FAILURE() << "no key " << k;
    return missing;
  }
  const J& operator[](std::size_t i) const {
    static const J missing;
    if (i < a.size()) return a[i];
    ADD_FAILURE() << "no index " << i;
    return missing;
  }
};

class JsonReader {
 public:
  explicit JsonReader(std::string_view s) : s_(s) {}
  bool parse(J& out) {
    bool ok = value(out, 0);
    ws();
    return ok && i_ == s_.size();
  }

 private:
  void ws() { while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_; }
  bool eat(char c) { ws(); if (i_ < s_.size() && s_[i_] == c) { ++i_; return true; } return false; }
  bool word(std::string_view w) { if (s_.substr(i_, w.size()) == w) { i_ += w.size(); return true; } return false; }
  bool digits() { std::size_t st = i_; while (i_ < s_.size() && isdigit(static_cast<unsigned char>(s_[i_]))) ++i_; return i_ > st; }
  bool string(std::string& out) {
    if (!eat('"')) return false;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c == '\\') {
        if (i_ >= s_.size()) return false;
        char e = s_[i_++];
        if (e == 'u') {
          if (i_ + 4 > s_.size()) return false;
          out += static_cast<char>(std::stoi(std::string(s_.substr(i_, 4)), nullptr, 16));
          i_ += 4;
        } else if (std::string_view("\"\\/bfnrt").find(e) != std::string_view::npos) {
          out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          return false;
        }
      } else {
        out += c;
      }
    }
    return false;
  }
  bool value(J& v, int depth) {
    if (depth > 32) return false;
    ws();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == 'n') { v.type = J::kNull; return word("null"); }
    if (c == 't') { v.type = J::kBool; v.b = true; return word("true"); }
    if (c == 'f') { v.type = J::kBool; v.b = false; return word("false"); }
    if (c == '"') { v.type = J::kStr; return string(v.s); }
    if (c == '[') {
      ++i_;
      v.type = J::kArr;
      if (eat(']')) return true;
      do {
        v.a.emplace_back();
        if (!value(v.a.back(), depth + 1)) return false;
      } while (eat(','));
      return eat(']');
    }
    if (c == '{') {
      ++i_;
      v.type = J::kObj;
      if (eat('}')) return true;
      do {
        std::string k;
        ws();
        if (!string(k) || !eat(':')) return false;
        v.o.emplace_back(k, J{});
        if (!value(v.o.back().second, depth + 1)) return false;
      } while (eat(','));
      return eat('}');
    }
    // JSON number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    std::size_t st = i_;
    if (s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0') {
      ++i_;
    } else if (!digits()) {
      return false;
    }
    if (i_ < s_.size() && s_[i_] == '.') { ++i_; if (!digits()) return false; }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digits()) return false;
    }
    v.type = J::kNum;
    v.n = std::strtod(std::string(s_.substr(st, i_ - st)).c_str(), nullptr);
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

J parse_json(const std::string& text) {
  J j;
  EXPECT_TRUE(JsonReader(text).parse(j)) << "not valid JSON: " << text;
  return j;
}

// ---- fixture trees: a private copy per test, so files can be swapped between ticks ----
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Rewrites in place (same inode), as the kernel does when a value changes.
void put(const fs::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

class Tree {
 public:
  explicit Tree(const char* board) {
    std::string tmpl = (fs::temp_directory_path() / "sbcmon-sampler-XXXXXX").string();
    char* d = mkdtemp(tmpl.data());
    EXPECT_NE(d, nullptr);
    root_ = fs::path(tmpl) / board;
    fs::copy(fs::path(SBCMON_TEST_FIXTURES) / board, root_, fs::copy_options::recursive);
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(root_.parent_path(), ec);
  }
  fs::path proc() const { return root_; }
  fs::path sys() const { return root_ / "sys"; }
  fs::path operator/(const std::string& rel) const { return root_ / rel; }
  // Replaces `rel` with the content of its alternative `rel + suffix`.
  void swap_in(const std::string& rel, const std::string& suffix) const {
    put(root_ / rel, slurp(root_ / (rel + suffix)));
  }

 private:
  fs::path root_;
};

constexpr std::int64_t kT0 = 1764070000000;  // some wall time, ms
constexpr std::int64_t kSec = 1000000000;

struct Rig {
  explicit Rig(const char* board) : tree(board), s(tree.proc().string(), tree.sys().string()) {}
  Sample tick() {
    Sample out;
    s.sample(out, kT0 + n * 1000, (n + 1) * kSec);
    ++n;
    return out;
  }
  Tree tree;
  Sampler s;
  std::int64_t n = 0;
};

const char* kThrottled = "sys/devices/platform/soc/soc:firmware/get_throttled";

// ---------------------------------------------------------------- CPU
TEST(SamplerCpu, FirstSampleIsABaselineNotZero) {
  Rig r("pi4");
  Sample s0 = r.tick();
  EXPECT_EQ(s0.ncpu, 4);
  EXPECT_TRUE(absent(s0.total_pct));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(absent(s0.cpu_pct[i])) << i;
  J j = parse_json([&] { std::string o; encode_sample(s0, r.s.board(), o); return o; }());
  EXPECT_TRUE(j["total"].is_null());
  ASSERT_EQ(j["cpu"].a.size(), 4u);
  for (auto& c : j["cpu"].a) EXPECT_TRUE(c.is_null());
  ASSERT_TRUE(j.has("cpu_offline"));
  EXPECT_TRUE(j["cpu_offline"].a.empty()) << "a baseline is no data yet, not offline";
}

TEST(SamplerCpu, UnchangedStatIsNoDataYetNotOffline) {
  // The fixture's /proc/stat never moves: every core is online with no delta.
  Rig r("pi4");
  r.tick();
  Sample s = r.tick();
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(absent(s.cpu_pct[i])) << i;
    EXPECT_FALSE(s.cpu_offline.test(i)) << i;
  }
}

TEST(SamplerCpu, Pi4PerCoreFromStatToT1) {
  Rig r("pi4");
  r.tick();
  r.tree.swap_in("stat", ".t1");
  Sample s = r.tick();
  EXPECT_NEAR(s.cpu_pct[0], 16.0, 1e-4);
  EXPECT_NEAR(s.cpu_pct[1], 55.0, 1e-4);
  EXPECT_NEAR(s.cpu_pct[2], 3.0, 1e-4);
  EXPECT_NEAR(s.cpu_pct[3], 100.0, 1e-4);
  EXPECT_NEAR(s.total_pct, 43.5, 1e-4);
}

TEST(SamplerCpu, HotplugKeepsCoresByNumber) {
  Rig r("pi4");
  r.tree.swap_in("stat", ".t1");
  r.tick();
  r.tree.swap_in("stat", ".t2_cpu2_offline");
  r.tree.swap_in("sys/devices/system/cpu/online", ".cpu2_offline");
  Sample s = r.tick();
  EXPECT_EQ(s.ncpu, 4) << "an offline core keeps its column";
  EXPECT_NEAR(s.cpu_pct[0], 13.0, 1e-4);
  EXPECT_NEAR(s.cpu_pct[1], 46.0, 1e-4);
  EXPECT_TRUE(absent(s.cpu_pct[2])) << "cpu2 is offline";
  EXPECT_NEAR(s.cpu_pct[3], 99.0, 1e-4) << "cpu3 must not shift into slot 2";
  EXPECT_NEAR(s.total_pct, 52.67, 0.005);
  EXPECT_TRUE(absent(s.freq_mhz[2])) << "no clock for an offline core";
  EXPECT_NEAR(s.freq_mhz[3], 1500, 1e-3);
  std::string o;
  encode_sample(s, r.s.board(), o);
  EXPECT_NE(o.find("\"cpu\":[13.0,46.0,null,99.0]"), std::string::npos) << o;
  EXPECT_NE(o.find("\"cpu_offline\":[2]"), std::string::npos) << "null because offline: " << o;
  EXPECT_TRUE(s.cpu_offline.test(2));
  EXPECT_FALSE(s.cpu_offline.test(3));
  EXPECT_NE(o.find("\"total\":52.67"), std::string::npos) << o;
}

TEST(SamplerCpu, CoreComingBackOnlineStartsANewBaseline) {
  Rig r("pi4");
  r.tree.swap_in("stat", ".t1");
  r.tick();
  r.tree.swap_in("stat", ".t2_cpu2_offline");
  r.tick();
  // cpu2 returns: its first line after hotplug is a baseline, the next one a figure.
  std::string t2 = slurp(r.tree / "stat");
  std::string back = t2;
  back.insert(back.find("cpu3"), "cpu2 377612 1411 176399 26700552 16002 0 33871 0 0 0\n");
  put(r.tree / "stat", back);
  EXPECT_TRUE(absent(r.tick().cpu_pct[2]));
  std::string later = t2;
  later.insert(later.find("cpu3"), "cpu2 377662 1411 176399 26700602 16002 0 33871 0 0 0\n");
  put(r.tree / "stat", later);
  Sample s = r.tick();
  EXPECT_NEAR(s.cpu_pct[2], 50.0, 1e-4);
  EXPECT_NEAR(s.freq_mhz[2], 1500.0, 1e-3);
}

TEST(SamplerCpu, BeagleBoneSingleCore) {
  Rig r("bbb");
  EXPECT_EQ(r.s.board().cores, 1);
  r.tick();
  r.tree.swap_in("stat", ".t1");
  Sample s = r.tick();
  EXPECT_EQ(s.ncpu, 1);
  EXPECT_NEAR(s.cpu_pct[0], 32.0, 1e-4);
  EXPECT_NEAR(s.total_pct, 32.0, 1e-4);
}

TEST(SamplerCpu, IdleAbove2To32IsParsedAs64Bit) {
  StatReading st;
  ASSERT_TRUE(parse_stat(slurp(fs::path(SBCMON_TEST_FIXTURES) / "pi4/stat.long_uptime"), st));
  EXPECT_EQ(st.all.idle, 4380954062ull);
  EXPECT_EQ(st.all.user, 36222220ull);
  EXPECT_TRUE(st.online[3]);
  CpuTimes later = st.all;
  later.idle += 50;
  later.user += 50;
  EXPECT_NEAR(cpu_percent(st.all, later), 50.0, 1e-4);
}

TEST(SamplerCpu, GuestIsNotCountedTwice) {
  StatReading st;
  ASSERT_TRUE(parse_stat(slurp(fs::path(SBCMON_TEST_FIXTURES) / "pi4/stat.kvm_guest"), st));
  const CpuTimes& c = st.cpu[0];
  ASSERT_EQ(c.guest, 301234u);
  // Since boot (from zero): guest is already inside user.
  double busy = double(c.user + c.nice + c.system + c.irq + c.softirq + c.steal);
  double expected = 100.0 * busy / (busy + double(c.idle + c.iowait));
  double doubled = 100.0 * (busy + c.guest) / (busy + c.guest + double(c.idle + c.iowait));
  float got = cpu_percent(CpuTimes{}, c);
  EXPECT_NEAR(got, expected, 1e-3);
  EXPECT_GT(std::fabs(got - doubled), 0.5);
}

TEST(SamplerCpu, CounterGoingBackwardsClampsAtZero) {
  CpuTimes a, b;
  a.user = 100; a.idle = 1000;
  b.user = 50;  b.idle = 1100;   // user went backwards (bogus), idle +100
  EXPECT_NEAR(cpu_percent(a, b), 0.0, 1e-6);
  EXPECT_TRUE(absent(cpu_percent(a, a))) << "no tick elapsed: no figure";
}

TEST(SamplerCpu, HugeCountersDoNotWrapThePercentage) {
  // What proc_stat_fuzz found: counters near 2^64 in one reading made the 64-bit
  // busy and total sums wrap, and the figure came out above 100 %.
  CpuTimes a, b;
  b.user = 179380; b.idle = 2666; b.iowait = 26700552;
  b.irq = UINT64_MAX;            // read from 40 digits, most of them leading zeros
  b.softirq = UINT64_MAX - 5;
  const float p = cpu_percent(a, b);
  ASSERT_FALSE(absent(p));
  EXPECT_GE(p, 0.0f);
  EXPECT_LE(p, 100.0f);
  EXPECT_NEAR(p, 100.0, 1e-3) << "the busy counters dwarf idle";
  a.idle = UINT64_MAX - 1;       // and a huge idle delta on the other side
  b = a;
  b.idle = UINT64_MAX;
  b.user = 1;
  EXPECT_NEAR(cpu_percent(a, b), 50.0, 1e-3);
}

TEST(SamplerCpu, UnreadableStatIsAbsentThenRecovers) {
  Rig r("pi4");
  r.tick();
  put(r.tree / "stat", "garbage\n");
  Sample s = r.tick();
  EXPECT_TRUE(absent(s.total_pct));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(absent(s.cpu_pct[i]));
  r.tree.swap_in("stat", ".t1");
  s = r.tick();
  EXPECT_NEAR(s.total_pct, 43.5, 1e-4) << "the last good baseline is kept";
}

// ---------------------------------------------------------------- memory, load, uptime
TEST(SamplerMem, Pi4Meminfo) {
  Rig r("pi4");
  Sample s = r.tick();
  ASSERT_TRUE(s.mem_valid);
  EXPECT_EQ(s.mem_total, 3880300ull * 1024);
  EXPECT_EQ(s.mem_avail, 3356728ull * 1024);
  EXPECT_EQ(s.mem_used, 523572ull * 1024);
  EXPECT_NEAR(100.0 * s.mem_used / s.mem_total, 13.49, 0.005);
  ASSERT_TRUE(s.swap_valid);
  EXPECT_EQ(s.swap_total, 102396ull * 1024);
  EXPECT_EQ(s.swap_used, 0u);
  EXPECT_NEAR(s.load[0], 0.52, 1e-6);
  EXPECT_NEAR(s.load[2], 0.31, 1e-6);
  EXPECT_NEAR(s.uptime_s, 273912.37, 1e-6);
}

TEST(SamplerMem, BeagleBoneMeminfoNoSwap) {
  Rig r("bbb");
  Sample s = r.tick();
  ASSERT_TRUE(s.mem_valid);
  EXPECT_EQ(s.mem_used, 97788ull * 1024);
  EXPECT_NEAR(100.0 * s.mem_used / s.mem_total, 19.71, 0.005);
  ASSERT_TRUE(s.swap_valid) << "no swap is a known 0 of 0";
  EXPECT_EQ(s.swap_total, 0u);
}

TEST(SamplerMem, MissingEmptyGarbageAreAbsent) {
  Rig r("pi4");
  put(r.tree / "meminfo", "MemTotal: lots\nMemAvailable:\n");
  put(r.tree / "loadavg", "");
  fs::remove(r.tree / "uptime");
  Sample s = r.tick();
  EXPECT_FALSE(s.mem_valid);
  EXPECT_FALSE(s.swap_valid);
  EXPECT_TRUE(absent(s.load[0]));
  EXPECT_TRUE(absent(s.uptime_s));
  J j = parse_json([&] { std::string o; encode_sample(s, r.s.board(), o); return o; }());
  EXPECT_TRUE(j["mem"].is_null());
  EXPECT_TRUE(j["load"].is_null());
  EXPECT_TRUE(j["uptime"].is_null());
}

TEST(SamplerMem, NonexistentRootsNeverCrash) {
  Sampler s("/nonexistent-sbcmon-proc", "/nonexistent-sbcmon-sys");
  Sample out;
  for (int i = 0; i < 3; ++i) s.sample(out, kT0 + i, i * kSec);
  EXPECT_GE(out.ncpu, 1);
  EXPECT_TRUE(absent(out.total_pct));
  EXPECT_FALSE(out.mem_valid);
  EXPECT_EQ(out.ntemp, 0);
  EXPECT_FALSE(out.throttle.valid);
  std::string o;
  encode_sample(out, s.board(), o);
  parse_json(o);
  o.clear();
  encode_board(s.board(), 1000, 600, o);
  parse_json(o);
}

// ---------------------------------------------------------------- temperatures
TEST(SamplerTemp, Pi4CpuThermal) {
  Rig r("pi4");
  ASSERT_EQ(r.s.board().ntemp, 1u) << "hwmon cpu_thermal mirrors the zone; listed once";
  EXPECT_STREQ(r.s.board().temp_names[0].s, "cpu-thermal");
  Sample s = r.tick();
  EXPECT_NEAR(s.temp_c[0], 47.712, 1e-3);
  std::string o;
  encode_sample(s, r.s.board(), o);
  EXPECT_NE(o.find("\"temp\":[{\"name\":\"cpu-thermal\",\"c\":47.7}]"), std::string::npos) << o;
  r.tree.swap_in("sys/class/thermal/thermal_zone0/temp", ".hot");
  s = r.tick();
  EXPECT_NEAR(s.temp_c[0], 80.828, 1e-3);
}

TEST(SamplerTemp, BeagleBoneHasNoSensorSoTemperatureIsAbsent) {
  Rig r("bbb");
  Sample s = r.tick();
  EXPECT_EQ(s.ntemp, 0);
  J j = parse_json([&] { std::string o; encode_sample(s, r.s.board(), o); return o; }());
  EXPECT_TRUE(j["temp"].is_null()) << "absent, never 0";
}

TEST(SamplerTemp, SensorVanishesAndComesBack) {
  Rig r("pi4");
  fs::path temp = r.tree / "sys/class/thermal/thermal_zone0/temp";
  r.tick();
  fs::remove(temp);
  EXPECT_TRUE(absent(r.tick().temp_c[0]));
  put(temp, "garbage\n");
  // It may take a few ticks: a missing file is retried with bounded back-off.
  Sample s = r.tick();
  EXPECT_TRUE(absent(s.temp_c[0]));
  put(temp, "51000\n");
  bool back = false;
  for (int i = 0; i < 2 * int(KeptFile::kMaxBackoffTicks) && !back; ++i) back = !absent(r.tick().temp_c[0]);
  EXPECT_TRUE(back);
  EXPECT_NEAR(r.tick().temp_c[0], 51.0, 1e-4);
}

TEST(SamplerTemp, FileReplacedByRenameIsReread) {
  Rig r("pi4");
  fs::path temp = r.tree / "sys/class/thermal/thermal_zone0/temp";
  r.tick();
  put(r.tree / "newtemp", "60000\n");
  fs::rename(r.tree / "newtemp", temp);
  EXPECT_NEAR(r.tick().temp_c[0], 60.0, 1e-4);
}

TEST(SamplerTemp, TripPointsBecomeBoardLimits) {
  Tree t("pi4");
  fs::path z = t / "sys/class/thermal/thermal_zone0";
  put(z / "trip_point_0_type", "passive\n");
  put(z / "trip_point_0_temp", "80000\n");
  put(z / "trip_point_1_type", "critical\n");
  put(z / "trip_point_1_temp", "85000\n");
  Sampler s(t.proc().string(), t.sys().string());
  EXPECT_NEAR(s.board().temp_warn_c, 80.0, 1e-4);
  EXPECT_NEAR(s.board().temp_crit_c, 85.0, 1e-4);
  std::string o;
  encode_board(s.board(), 1000, 600, o);
  EXPECT_NE(o.find("\"temp_limits\":{\"warn\":80.0,\"crit\":85.0}"), std::string::npos) << o;
}

TEST(SamplerTemp, PiKernelCriticalTripIsCappedAtTheFirmwareLimit) {
  Tree t("pi4");
  fs::path z = t / "sys/class/thermal/thermal_zone0";
  put(z / "trip_point_0_type", "critical\n");
  put(z / "trip_point_0_temp", "110000\n");
  Sampler s(t.proc().string(), t.sys().string());
  EXPECT_NEAR(s.board().temp_warn_c, 80.0, 1e-4);
  EXPECT_NEAR(s.board().temp_crit_c, 85.0, 1e-4);
}

TEST(SamplerTemp, NoSensorMeansNoLimits) {
  Tree t("bbb");
  Sampler s(t.proc().string(), t.sys().string());
  EXPECT_TRUE(absent(s.board().temp_warn_c));
  EXPECT_TRUE(absent(s.board().temp_crit_c));
}

TEST(SamplerTemp, HwmonOnlySensorIsListed) {
  Tree t("pi4");
  fs::remove_all(t / "sys/class/thermal");
  put(t / "sys/class/hwmon/hwmon0/name", "coretemp\n");
  put(t / "sys/class/hwmon/hwmon0/temp2_input", "52000\n");
  put(t / "sys/class/hwmon/hwmon0/temp2_label", "Core 0\n");
  Sampler s(t.proc().string(), t.sys().string());
  ASSERT_EQ(s.board().ntemp, 2u);
  EXPECT_STREQ(s.board().temp_names[0].s, "coretemp temp1");
  EXPECT_STREQ(s.board().temp_names[1].s, "coretemp Core 0");
  Sample out;
  s.sample(out, kT0, kSec);
  EXPECT_NEAR(out.temp_c[1], 52.0, 1e-4);
}

// ---------------------------------------------------------------- Pi power
TEST(SamplerPower, GetThrottledWords) {
  Rig r("pi4");
  Sample s = r.tick();
  ASSERT_TRUE(s.throttle.valid);
  EXPECT_TRUE(s.throttle.raw_valid);
  EXPECT_EQ(s.throttle.raw, 0u);
  EXPECT_FALSE(s.throttle.is(Throttle::kUvNow));

  r.tree.swap_in(kThrottled, ".undervoltage");
  s = r.tick();
  EXPECT_EQ(s.throttle.raw, 0x50005u);
  EXPECT_TRUE(s.throttle.is(Throttle::kUvNow));
  EXPECT_FALSE(s.throttle.is(Throttle::kCappedNow));
  EXPECT_TRUE(s.throttle.is(Throttle::kThrottledNow));
  EXPECT_FALSE(s.throttle.is(Throttle::kSoftNow));
  EXPECT_TRUE(s.throttle.is(Throttle::kUvBoot));
  EXPECT_FALSE(s.throttle.is(Throttle::kCappedBoot));
  EXPECT_TRUE(s.throttle.is(Throttle::kThrottledBoot));
  EXPECT_FALSE(s.throttle.is(Throttle::kSoftBoot));
  J j = parse_json([&] { std::string o; encode_sample(s, r.s.board(), o); return o; }());
  EXPECT_EQ(j["throttled"]["raw"].n, 327685);
  EXPECT_TRUE(j["throttled"]["uv_now"].b);
  EXPECT_FALSE(j["throttled"]["capped_now"].b);
  EXPECT_EQ(j["throttled"]["capped_now"].type, J::kBool);
  EXPECT_TRUE(j["throttled"]["throttled_boot"].b);

  r.tree.swap_in(kThrottled, ".past_events");
  s = r.tick();
  EXPECT_EQ(s.throttle.raw, 0x50000u);
  EXPECT_FALSE(s.throttle.is(Throttle::kUvNow));
  EXPECT_FALSE(s.throttle.is(Throttle::kThrottledNow));
  EXPECT_TRUE(s.throttle.is(Throttle::kUvBoot));
  EXPECT_TRUE(s.throttle.is(Throttle::kThrottledBoot));
}

TEST(SamplerPower, RpiVoltFoundByNameNotIndex) {
  Tree t("pi4");
  fs::remove(t / kThrottled);
  // Reorder probe numbers: rpi_volt is now hwmon7 and hwmon1 is something else.
  fs::rename(t / "sys/class/hwmon/hwmon1", t / "sys/class/hwmon/hwmon7");
  fs::create_directories(t / "sys/class/hwmon/hwmon1");
  put(t / "sys/class/hwmon/hwmon1/name", "pwmfan\n");
  put(t / "sys/class/hwmon/hwmon1/in0_lcrit_alarm", "0\n");
  put(t / "sys/class/hwmon/hwmon7/in0_lcrit_alarm", "1\n");
  Sampler s(t.proc().string(), t.sys().string());
  Sample out;
  s.sample(out, kT0, kSec);
  ASSERT_TRUE(out.throttle.valid);
  EXPECT_FALSE(out.throttle.raw_valid);
  EXPECT_TRUE(out.throttle.is(Throttle::kUvNow));
  EXPECT_FALSE(out.throttle.knows(Throttle::kThrottledNow));
  std::string o;
  encode_sample(out, s.board(), o);
  J j = parse_json(o);
  EXPECT_TRUE(j["throttled"]["raw"].is_null());
  EXPECT_TRUE(j["throttled"]["uv_now"].b);
  EXPECT_TRUE(j["throttled"]["throttled_now"].is_null()) << "unknown, not false";
  put(t / "sys/class/hwmon/hwmon7/in0_lcrit_alarm", "0\n");
  s.sample(out, kT0 + 1000, 2 * kSec);
  EXPECT_FALSE(out.throttle.is(Throttle::kUvNow));
}

TEST(SamplerPower, RpiVoltAlarmOverridesAQuietFirmwareWord) {
  Rig r("pi4");
  put(r.tree / "sys/class/hwmon/hwmon1/in0_lcrit_alarm", "1\n");
  Sample s = r.tick();
  EXPECT_EQ(s.throttle.raw, 0u);
  EXPECT_TRUE(s.throttle.is(Throttle::kUvNow));
}

TEST(SamplerPower, AbsentOnNonPi) {
  Rig r("bbb");
  Sample s = r.tick();
  EXPECT_FALSE(s.throttle.valid);
  J j = parse_json([&] { std::string o; encode_sample(s, r.s.board(), o); return o; }());
  EXPECT_TRUE(j["throttled"].is_null());
}

TEST(SamplerPower, GarbageWordIsAbsent) {
  Rig r("pi4");
  fs::remove(r.tree / "sys/class/hwmon/hwmon1/in0_lcrit_alarm");
  put(r.tree / kThrottled, "zz\n");
  EXPECT_FALSE(r.tick().throttle.valid);
}

// ---------------------------------------------------------------- cpufreq
TEST(SamplerFreq, MegahertzPerCore) {
  Rig r("pi4");
  Sample s = r.tick();
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(s.freq_mhz[i], 1500.0, 1e-3) << i;
  EXPECT_NEAR(r.s.board().freq_max_mhz, 1500.0, 1e-3);
  Rig b("bbb");
  EXPECT_NEAR(b.tick().freq_mhz[0], 1000.0, 1e-3);
}

TEST(SamplerFreq, MissingFileIsAbsent) {
  Rig r("pi4");
  fs::remove(r.tree / "sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq");
  put(r.tree / "sys/devices/system/cpu/cpu2/cpufreq/scaling_cur_freq", "\n");
  Sample s = r.tick();
  EXPECT_NEAR(s.freq_mhz[0], 1500.0, 1e-3);
  EXPECT_TRUE(absent(s.freq_mhz[1]));
  EXPECT_TRUE(absent(s.freq_mhz[2]));
  std::string o;
  encode_sample(s, r.s.board(), o);
  EXPECT_NE(o.find("\"freq_mhz\":[1500,null,null,1500]"), std::string::npos) << o;
}

// ---------------------------------------------------------------- network
TEST(SamplerNet, RatesPerInterfaceLoopbackExcluded) {
  Rig r("pi4");
  ASSERT_EQ(r.s.board().nifaces, 2u);
  EXPECT_STREQ(r.s.board().ifaces[0].s, "eth0");
  EXPECT_STREQ(r.s.board().ifaces[1].s, "wlan0");
  Sample s = r.tick();
  EXPECT_TRUE(absent(s.net_rx[0])) << "first sighting is a baseline";
  r.tree.swap_in("net/dev", ".t1");
  s = r.tick();
  EXPECT_NEAR(s.net_rx[0], 1234.0, 1e-6);
  EXPECT_NEAR(s.net_tx[0], 99.0, 1e-6);
  EXPECT_NEAR(s.net_rx[1], 0.0, 1e-6);
  std::string o;
  encode_sample(s, r.s.board(), o);
  EXPECT_NE(o.find("\"net\":[{\"if\":\"eth0\",\"rx\":1234.0,\"tx\":99.0,\"state\":\"up\",\"speed\":1000},"
                   "{\"if\":\"wlan0\",\"rx\":0.0,\"tx\":0.0,\"state\":\"down\",\"speed\":null}]"),
            std::string::npos) << o;
}

TEST(SamplerNet, ThirtyTwoBitCounterWrap) {
  Rig r("bbb");
  r.tick();
  r.tree.swap_in("net/dev", ".t1");
  Sample s = r.tick();
  EXPECT_NEAR(s.net_rx[0], 1000.0, 1e-6);
  EXPECT_NEAR(s.net_tx[0], 512.0, 1e-6);
  EXPECT_EQ(counter_delta(5000000000ull, 100), 0u) << "a 64-bit drop is a reset, not traffic";
}

TEST(SamplerNet, InterfaceVanishesThenReturnsAsNewBaseline) {
  Rig r("pi4");
  r.tick();
  put(r.tree / "net/dev", slurp(r.tree / "net/dev").substr(0, slurp(r.tree / "net/dev").find("  eth0")));
  Sample s = r.tick();
  EXPECT_TRUE(absent(s.net_rx[0]));
  r.tree.swap_in("net/dev", ".t1");
  s = r.tick();
  EXPECT_TRUE(absent(s.net_rx[0]));
  EXPECT_STREQ(r.s.board().ifaces[0].s, "eth0") << "slots are never reassigned";
}

// ---------------------------------------------------------------- identity, board JSON
TEST(SamplerBoard, Pi4Identity) {
  Tree t("pi4");
  Sampler s(t.proc().string(), t.sys().string());
  EXPECT_EQ(s.board().model, "Raspberry Pi 4 Model B Rev 1.4");
  EXPECT_EQ(s.board().hostname, "pi4");
  EXPECT_EQ(s.board().kernel, "6.6.51+rpt-rpi-v8");
  EXPECT_EQ(s.board().cores, 4);
  EXPECT_FALSE(s.board().arch.empty());
  std::string o;
  encode_board(s.board(), 500, 600, o);
  J j = parse_json(o);
  EXPECT_EQ(j["model"].s, "Raspberry Pi 4 Model B Rev 1.4");
  EXPECT_EQ(j["hostname"].s, "pi4");
  EXPECT_EQ(j["kernel"].s, "6.6.51+rpt-rpi-v8");
  EXPECT_EQ(j["cores"].n, 4);
  EXPECT_EQ(j["version"].s, SBCMON_VERSION);
  EXPECT_EQ(j["board"].s, sbcmon::config::kBoard);
  EXPECT_EQ(j["period_ms"].n, 500);
  EXPECT_EQ(j["capacity"].n, 600);
  ASSERT_EQ(j["temp_names"].a.size(), 1u);
  EXPECT_EQ(j["temp_names"][0].s, "cpu-thermal");
  // No trip points in the fixture: a Pi gets its firmware's throttling limits.
  EXPECT_EQ(j["temp_limits"]["warn"].n, 80);
  EXPECT_EQ(j["temp_limits"]["crit"].n, 85);
  ASSERT_EQ(j["net_ifaces"].a.size(), 2u);
  EXPECT_EQ(j["net_ifaces"][0].s, "eth0");
  EXPECT_EQ(j["freq_max_mhz"].n, 1500);
  EXPECT_TRUE(j.has("arch"));
}

TEST(SamplerBoard, DmiProductNameOnAPc) {
  Tree t("bbb");
  fs::remove_all(t / "device-tree");
  fs::create_directories(t / "sys/class/dmi/id");
  put(t / "sys/class/dmi/id/product_name", "OptiPlex \"7090\"\n");
  Sampler s(t.proc().string(), t.sys().string());
  EXPECT_EQ(s.board().model, "OptiPlex \"7090\"");
  std::string o;
  encode_board(s.board(), 1000, 600, o);
  EXPECT_EQ(parse_json(o)["model"].s, "OptiPlex \"7090\"") << "quotes escaped";
  EXPECT_TRUE(parse_json(o)["freq_max_mhz"].n == 1000);
}

TEST(SamplerBoard, PossibleCpusFallBackToStat) {
  Tree t("pi4");
  fs::remove(t / "sys/devices/system/cpu/possible");
  Sampler s(t.proc().string(), t.sys().string());
  EXPECT_EQ(s.board().cores, 4);
}

// ---------------------------------------------------------------- sample JSON
TEST(SamplerJson, SampleMatchesTheWireContract) {
  Rig r("pi4");
  r.tick();
  r.tree.swap_in("stat", ".t1");
  r.tree.swap_in(kThrottled, ".undervoltage");
  Sample s = r.tick();
  std::string o;
  encode_sample(s, r.s.board(), o);
  J j = parse_json(o);
  EXPECT_EQ(j["t"].n, double(kT0 + 1000));
  EXPECT_EQ(j["seq"].n, 2);
  EXPECT_EQ(j["total"].n, 43.5);
  ASSERT_EQ(j["cpu"].a.size(), 4u);
  EXPECT_EQ(j["cpu"][0].n, 16.0);
  EXPECT_EQ(j["cpu"][3].n, 100.0);
  EXPECT_EQ(j["freq_mhz"][0].n, 1500);
  EXPECT_EQ(j["mem"]["used"].n, 523572.0 * 1024);
  EXPECT_EQ(j["mem"]["total"].n, 3880300.0 * 1024);
  EXPECT_EQ(j["mem"]["avail"].n, 3356728.0 * 1024);
  EXPECT_EQ(j["swap"]["total"].n, 102396.0 * 1024);
  EXPECT_EQ(j["swap"]["used"].n, 0);
  EXPECT_EQ(j["load"][0].n, 0.52);
  EXPECT_EQ(j["uptime"].n, 273912.37);
  EXPECT_EQ(j["temp"][0]["name"].s, "cpu-thermal");
  EXPECT_EQ(j["temp"][0]["c"].n, 47.7);
  EXPECT_EQ(j["throttled"]["raw"].n, 327685);
  EXPECT_EQ(j["net"].a.size(), 2u);
  EXPECT_NE(o.find("\"cpu\":[16.0,55.0,3.0,100.0]"), std::string::npos) << o;
  EXPECT_NE(o.find("\"total\":43.5,"), std::string::npos) << o;
}

TEST(SamplerJson, SeedServerResponse) {
  Rig r("pi4");
  r.tick();
  r.tree.swap_in("stat", ".t1");
  Sample s = r.tick();
  std::string o;
  encode_seed(s, 7, o);
  J j = parse_json(o);
  ASSERT_EQ(j["data"].a.size(), 2u);
  const std::string& mmss = j["data"][0].s;
  ASSERT_EQ(mmss.size(), 5u) << o;
  EXPECT_TRUE(mmss[0] >= '0' && mmss[0] <= '5' && isdigit(mmss[1]) && mmss[2] == ':' &&
              mmss[3] >= '0' && mmss[3] <= '5' && isdigit(mmss[4])) << o;
  ASSERT_EQ(j["data"][1].a.size(), 4u);
  EXPECT_EQ(j["data"][1][1].n, 55.0);
  EXPECT_EQ(j["count"].n, 7);
}

TEST(SamplerJson, AppendsWithoutAllocatingWhenReserved) {
  Rig r("pi4");
  Sample s = r.tick();
  std::string o;
  o.reserve(16384);
  o = "prefix:";
  encode_sample(s, r.s.board(), o);
  EXPECT_EQ(o.rfind("prefix:{", 0), 0u);
}

// ---------------------------------------------------------------- ring and history
struct Item {
  std::int64_t t_ms;
  int v;
};

TEST(Ring, DropsOldestAndIteratesOldestFirst) {
  Ring<Item, 4> r;
  EXPECT_TRUE(r.empty());
  for (int i = 1; i <= 6; ++i) r.push({i * 10, i});
  EXPECT_EQ(r.size(), 4u);
  EXPECT_TRUE(r.full());
  std::vector<int> seen;
  for (const Item& it : r) seen.push_back(it.v);
  EXPECT_EQ(seen, (std::vector<int>{3, 4, 5, 6}));
  EXPECT_EQ(r[0].v, 3);
  EXPECT_EQ(r.back().v, 6);
  seen.clear();
  r.for_each_since(40, [&](const Item& it) { seen.push_back(it.v); });
  EXPECT_EQ(seen, (std::vector<int>{5, 6})) << "strictly after since";
  auto seg = r.segments();
  EXPECT_EQ(seg.first_len + seg.second_len, 4u);
  EXPECT_EQ(seg.first[0].v, 3);
  EXPECT_EQ(seg.second[seg.second_len - 1].v, 6);
  r.clear();
  EXPECT_EQ(r.begin(), r.end());
}

TEST(History, SizedForTheCoresPresent) {
  const std::size_t cap = sbcmon::config::kHistoryLen;
  History four(cap, 4);
  EXPECT_EQ(four.capacity(), cap) << "the app's history is kHistoryLen samples long";
  EXPECT_EQ(four.ncpu(), 4u);
  EXPECT_TRUE(four.empty());
  // Each core costs two floats per sample, and nothing is kept for cores not there.
  EXPECT_EQ(four.bytes(), cap * (sizeof(HistoryPoint) + 4 * 2 * sizeof(float)));
  History five(cap, 5);
  EXPECT_EQ(five.bytes() - four.bytes(), cap * 2 * sizeof(float));
  EXPECT_LT(four.bytes(), cap * sizeof(Sample)) << "smaller than a ring of whole samples";
  History many(10, kMaxCpus + 5);
  EXPECT_EQ(many.ncpu(), kMaxCpus) << "capped as the sampler caps cores";
  History none(10, 0);
  Rig r("pi4");
  none.push(r.tick());
  std::string o;
  encode_history(none, r.s.board(), 1000, -1, o);
  J j = parse_json(o);
  ASSERT_EQ(j["cpu"].a.size(), 4u) << "the board's cores are listed even if the history kept none";
  EXPECT_TRUE(j["cpu"][0][0].is_null());
}

TEST(History, ColumnarOldestFirstWithSince) {
  Rig r("pi4");
  History ring(3, static_cast<std::size_t>(r.s.board().cores));
  const char* stats[] = {"", ".t1", ".t2_cpu2_offline"};
  std::string base = slurp(r.tree / "stat");
  for (int i = 0; i < 5; ++i) {
    if (i < 3 && i > 0) r.tree.swap_in("stat", stats[i]);
    ring.push(r.tick());
  }
  EXPECT_EQ(ring.size(), 3u) << "full: the oldest are dropped";
  std::string o;
  encode_history(ring, r.s.board(), 1000, 0, o);
  J j = parse_json(o);
  EXPECT_EQ(j["period_ms"].n, 1000);
  EXPECT_EQ(j["capacity"].n, 3);
  ASSERT_EQ(j["t"].a.size(), 3u);
  EXPECT_EQ(j["seq"][0].n, 3);
  EXPECT_EQ(j["seq"][2].n, 5);
  EXPECT_EQ(j["t"][0].n, double(kT0 + 2000));
  ASSERT_EQ(j["cpu"].a.size(), 4u);
  ASSERT_EQ(j["cpu"][3].a.size(), 3u);
  EXPECT_EQ(j["cpu"][3][0].n, 99.0);            // t1 -> t2
  EXPECT_TRUE(j["cpu"][2][0].is_null());        // offline
  EXPECT_EQ(j["total"][0].n, 52.67);
  EXPECT_EQ(j["freq_mhz"].a.size(), 4u);
  EXPECT_EQ(j["mem_used"][0].n, 523572.0 * 1024);
  EXPECT_EQ(j["swap_used"][1].n, 0);
  ASSERT_EQ(j["temp"].a.size(), 1u);
  EXPECT_EQ(j["temp"][0][2].n, 47.7);
  EXPECT_EQ(j["load1"][0].n, 0.52);
  EXPECT_EQ(j["net_rx"].a.size(), 3u);

  o.clear();
  encode_history(ring, r.s.board(), 1000, kT0 + 3000, o);
  J k = parse_json(o);
  ASSERT_EQ(k["t"].a.size(), 1u);
  EXPECT_EQ(k["seq"][0].n, 5);
  EXPECT_EQ(k["cpu"][0].a.size(), 1u);

  o.clear();
  encode_history(ring, r.s.board(), 1000, kT0 + 9000, o);
  J e = parse_json(o);
  EXPECT_TRUE(e["t"].a.empty());
  EXPECT_EQ(e["cpu"].a.size(), 4u);
  EXPECT_TRUE(e["cpu"][0].a.empty());
}

// A slot a full table gave to another interface or disk: what the history kept for the
// old one reads as absent in every sample, and the other slots keep their figures.
TEST(History, ForgetBlanksOnlyTheSlotsGivenAway) {
  History h(4, 1);
  for (int i = 0; i < 6; ++i) {  // full, wrapped: the walk must cover the ring as held
    Sample s{};
    s.t_ms = 1000 * i;
    s.nnet = 2;
    s.ndisk = 2;
    for (int k = 0; k < 2; ++k) {
      s.net_rx[k] = 100.0 * i + k;
      s.net_tx[k] = 200.0 * i + k;
      s.disk_rd[k] = static_cast<float>(10 * i + k);
      s.disk_wr[k] = static_cast<float>(20 * i + k);
    }
    h.push(s);
  }
  bool none_net[kMaxIfaces] = {}, none_disk[kMaxDisks] = {};
  h.forget(none_net, none_disk);
  EXPECT_EQ(h.point(0).net_rx[1], 201.0) << "nothing given away: nothing changes";
  bool net[kMaxIfaces] = {}, disk[kMaxDisks] = {};
  net[1] = true;
  disk[0] = true;
  h.forget(net, disk);
  ASSERT_EQ(h.size(), 4u);
  for (std::size_t i = 0; i < h.size(); ++i) {
    const HistoryPoint& p = h.point(i);
    const int n = static_cast<int>(i) + 2;  // samples 2..5 are held
    EXPECT_EQ(p.t_ms, 1000 * n);
    EXPECT_EQ(p.net_rx[0], 100.0 * n);
    EXPECT_EQ(p.net_tx[0], 200.0 * n);
    EXPECT_TRUE(std::isnan(p.net_rx[1]) && std::isnan(p.net_tx[1])) << "sample " << n;
    EXPECT_TRUE(std::isnan(p.disk_rd[0]) && std::isnan(p.disk_wr[0])) << "sample " << n;
    EXPECT_EQ(p.disk_rd[1], static_cast<float>(10 * n + 1));
    EXPECT_EQ(p.disk_wr[1], static_cast<float>(20 * n + 1));
  }
}

// Two JSON values are the same figure: both null, or both the same number.
void expect_same(const J& history, const J& live, const std::string& what) {
  EXPECT_EQ(history.type, live.type) << what;
  if (history.type == J::kNum && live.type == J::kNum) {
    EXPECT_EQ(history.n, live.n) << what;
  }
}

// A page that connects late sees in the history exactly what a page that was
// connected saw live, sample by sample, for every figure the history carries.
TEST(History, ReplaysWhatWasSentLive) {
  Rig r("pi4");
  const BoardInfo& b = r.s.board();
  History h(4, static_cast<std::size_t>(b.cores));
  std::vector<J> live;
  const char* stats[] = {"", ".t1", ".t2_cpu2_offline", "", ""};
  for (int i = 0; i < 6; ++i) {
    if (i > 0 && i < 3) r.tree.swap_in("stat", stats[i]);
    if (i == 2) r.tree.swap_in("diskstats", ".t1");
    Sample s = r.tick();
    if (i == 4) s.mem_valid = s.swap_valid = false;  // a tick where meminfo could not be read
    h.push(s);
    std::string o;
    encode_sample(s, b, o);
    live.push_back(parse_json(o));
  }
  live.erase(live.begin(), live.end() - 4);  // the history holds the last four
  std::string o;
  encode_history(h, b, 1000, -1, o);
  J j = parse_json(o);
  ASSERT_EQ(j["t"].a.size(), 4u);
  const J null_value;
  bool some_net = false, some_disk = false;
  for (std::size_t i = 0; i < 4; ++i) {
    const J& l = live[i];
    const std::string at = "sample " + std::to_string(i) + ": ";
    expect_same(j["t"][i], l["t"], at + "t");
    expect_same(j["seq"][i], l["seq"], at + "seq");
    expect_same(j["total"][i], l["total"], at + "total");
    for (std::size_t c = 0; c < 4; ++c) {
      expect_same(j["cpu"][c][i], l["cpu"][c], at + "cpu " + std::to_string(c));
      expect_same(j["freq_mhz"][c][i], l["freq_mhz"][c], at + "freq " + std::to_string(c));
    }
    expect_same(j["mem_used"][i], l["mem"].is_null() ? null_value : l["mem"]["used"], at + "mem");
    expect_same(j["swap_used"][i], l["swap"].is_null() ? null_value : l["swap"]["used"], at + "swap");
    expect_same(j["load1"][i], l["load"][0], at + "load1");
    expect_same(j["temp"][0][i], l["temp"][0]["c"], at + "temp");
    double rx = 0;
    for (std::size_t k = 0; k < b.nifaces; ++k) {
      expect_same(j["net_if_rx"][k][i], l["net"][k]["rx"], at + "rx " + std::to_string(k));
      expect_same(j["net_if_tx"][k][i], l["net"][k]["tx"], at + "tx " + std::to_string(k));
      rx += l["net"][k]["rx"].n;
      some_net = some_net || l["net"][k]["rx"].type == J::kNum;
    }
    if (j["net_rx"][i].type == J::kNum) {
      EXPECT_NEAR(j["net_rx"][i].n, rx, 0.1) << at;
    }
    for (std::size_t k = 0; k < b.ndisks; ++k) {
      expect_same(j["disk_rd"][k][i], l["disks"][k]["rd"], at + "rd " + std::to_string(k));
      expect_same(j["disk_wr"][k][i], l["disks"][k]["wr"], at + "wr " + std::to_string(k));
      some_disk = some_disk || l["disks"][k]["rd"].type == J::kNum;
    }
  }
  EXPECT_TRUE(j["mem_used"][2].is_null()) << "an unread meminfo stays absent in the history";
  EXPECT_TRUE(some_net && some_disk) << "the fixture should give rates to compare";
}

// ---------------------------------------------------------------- parsers
TEST(Parse, SmallValues) {
  std::uint64_t u = 0;
  EXPECT_TRUE(parse_u64("18446744073709551615", u));
  EXPECT_EQ(u, UINT64_MAX);
  EXPECT_FALSE(parse_u64("18446744073709551616", u)) << "2^64 overflows";
  EXPECT_FALSE(parse_u64("99999999999999999999", u));
  EXPECT_TRUE(parse_u64("0000000000000000000000042", u)) << "leading zeros are not an overflow";
  EXPECT_EQ(u, 42u);
  EXPECT_TRUE(parse_u64("9999999999999999999", u));
  EXPECT_EQ(u, 9999999999999999999ull);
  int hi = -1;
  EXPECT_TRUE(parse_cpu_list("0-1,3\n", hi));
  EXPECT_EQ(hi, 3);
  EXPECT_TRUE(parse_cpu_list("0", hi));
  EXPECT_EQ(hi, 0);
  EXPECT_FALSE(parse_cpu_list("", hi));
  EXPECT_FALSE(parse_cpu_list("3-1", hi));
  std::uint32_t w = 0;
  EXPECT_TRUE(parse_hex_u32("50005\n", w));
  EXPECT_EQ(w, 0x50005u);
  EXPECT_TRUE(parse_hex_u32("0x50000", w));
  EXPECT_EQ(w, 0x50000u);
  EXPECT_FALSE(parse_hex_u32("", w));
  EXPECT_FALSE(parse_hex_u32("123456789", w));
  std::int64_t t = 0;
  EXPECT_TRUE(parse_i64("-5000\n", t));
  EXPECT_EQ(t, -5000);
  EXPECT_FALSE(parse_i64("12a", t));
  EXPECT_FALSE(parse_u64("99999999999999999999999", u)) << "overflow";
  EXPECT_FALSE(parse_u64("", u));
  StatReading st;
  EXPECT_FALSE(parse_stat("intr 1 2 3\n", st));
  EXPECT_FALSE(parse_stat("cpu  1 2\n", st)) << "too few columns";
  EXPECT_TRUE(parse_stat("cpu  1 2 3 4\ncpu0 1 2 3 4\n", st)) << "old kernels: fewer columns";
  EXPECT_EQ(st.cpu[0].iowait, 0u);
}

// ---------------------------------------------------------------- no allocation per tick
void steady_state_allocations(Sampler& s, const char* what) {
  History history(sbcmon::config::kHistoryLen, static_cast<std::size_t>(s.board().cores));
  std::string out;
  out.reserve(64 * 1024);
  Sample smp;
  Alerts alerts(AlertLimits{});
  // Warm-up: first-tick baselines, lazy opens, localtime's zone file.
  for (int i = 0; i < 3; ++i) {
    s.sample(smp);
    alerts.update(smp, s.board());
    history.push(smp);
    out.clear();
    encode_sample(smp, s.board(), out);
    out.clear();
    encode_seed(smp, smp.seq, out);
  }
  g_allocs = 0;
  g_counting = true;
  for (int i = 0; i < 1000; ++i) {
    s.sample(smp);
    alerts.update(smp, s.board());
    history.push(smp);
    out.clear();
    encode_sample(smp, s.board(), out);
    out.clear();
    encode_seed(smp, smp.seq, out);
  }
  g_counting = false;
  EXPECT_EQ(g_allocs.load(), 0) << what;
  EXPECT_EQ(history.size(), std::min<std::size_t>(1003, sbcmon::config::kHistoryLen));
}

TEST(NoAllocation, ThousandTicksOnTheFixture) {
  Tree t("pi4");
  Sampler s(t.proc().string(), t.sys().string());
  steady_state_allocations(s, "pi4 fixture");
}

TEST(NoAllocation, ThousandTicksOnThisMachine) {
  Sampler s;  // the real /proc and /sys
  steady_state_allocations(s, "live /proc");
}

// On the real /proc, uptime comes from CLOCK_BOOTTIME and statvfs takes the mount point as
// it is: the figures must be the ones /proc/uptime and statvfs give.
TEST(SamplerLive, UptimeAndFilesystemsMatchTheKernel) {
  Sampler s;
  auto uptime = [] {
    double u = -1;
    EXPECT_TRUE(parse_uptime(slurp("/proc/uptime"), u));
    return u;
  };
  Sample out;
  double before = uptime();
  s.sample(out);
  double after = uptime();
  EXPECT_GE(out.uptime_s, before - 0.001);  // both in centiseconds; parsing rounds
  EXPECT_LE(out.uptime_s, after + 0.001);
  ASSERT_GT(s.board().nfs, 0u) << "this machine has no storage mount in /proc/self/mounts";
  for (std::size_t i = 0; i < s.board().nfs; ++i) {
    struct statvfs sv;
    ASSERT_EQ(statvfs(s.board().fs[i].mount, &sv), 0) << s.board().fs[i].mount;
    if (sv.f_blocks == 0) continue;
    ASSERT_TRUE(out.fs_flags[i] & Sample::kFsValid) << s.board().fs[i].mount;
    EXPECT_EQ(out.fs_size[i], static_cast<std::uint64_t>(sv.f_blocks) * (sv.f_frsize ? sv.f_frsize : sv.f_bsize))
        << s.board().fs[i].mount;
  }
}

TEST(NoAllocation, CounterWorks) {
  g_allocs = 0;
  g_counting = true;
  auto p = std::make_unique<int>(3);
  g_counting = false;
  EXPECT_EQ(g_allocs.load(), 1);
}

// ---------------------------------------------------------------- storage: mount table
TEST(ParseMounts, Pi4KeepsBlockFilesystemsOnly) {
  static MountReading m;
  ASSERT_TRUE(parse_mounts(slurp(fs::path(SBCMON_TEST_FIXTURES) / "pi4/mounts"), m));
  ASSERT_EQ(m.count, 3u);
  EXPECT_STREQ(m.entries[0].mountpoint, "/");
  EXPECT_STREQ(m.entries[0].device, "/dev/mmcblk0p2");
  EXPECT_STREQ(m.entries[0].fstype, "ext4");
  EXPECT_FALSE(m.entries[0].ro);
  EXPECT_STREQ(m.entries[1].mountpoint, "/boot/firmware");
  EXPECT_STREQ(m.entries[1].fstype, "vfat");
  EXPECT_STREQ(m.entries[2].mountpoint, "/media/pi/USB STICK") << "\\040 is a space";
  EXPECT_STREQ(m.entries[2].fstype, "exfat");
  EXPECT_TRUE(m.entries[2].ro);
}

TEST(ParseMounts, BindMountOfTheSameDeviceIsShownOnce) {
  static MountReading m;
  ASSERT_TRUE(parse_mounts(slurp(fs::path(SBCMON_TEST_FIXTURES) / "bbb/mounts"), m));
  ASSERT_EQ(m.count, 1u);
  EXPECT_STREQ(m.entries[0].mountpoint, "/");
  EXPECT_STREQ(m.entries[0].device, "/dev/mmcblk1p1");
}

TEST(ParseMounts, OverlayOnlyAsTheRoot) {
  static MountReading m;
  ASSERT_TRUE(parse_mounts("overlayroot / overlay ro,relatime,lowerdir=/media/root-ro 0 0\n"
                           "overlay /var/lib/docker/overlay2/abc/merged overlay rw 0 0\n",
                           m));
  ASSERT_EQ(m.count, 1u);
  EXPECT_STREQ(m.entries[0].mountpoint, "/");
  EXPECT_TRUE(m.entries[0].ro);
}

TEST(ParseMounts, DamagedInputIsSkippedNeverInvented) {
  static MountReading m;
  EXPECT_FALSE(parse_mounts("", m));
  EXPECT_EQ(m.count, 0u);
  EXPECT_FALSE(parse_mounts("garbage\n\x01\x02\x03\n", m));
  EXPECT_EQ(m.count, 0u);
  // Truncated mid-line: no options field, so not a line at all.
  EXPECT_FALSE(parse_mounts("/dev/mmcblk0p2 / ext4", m));
  EXPECT_EQ(m.count, 0u);
  // A relative mount point, a device that is not a path, an escaped NUL, an over-long path.
  std::string longpath = "/" + std::string(200, 'x');
  ASSERT_TRUE(parse_mounts("/dev/sda1 relative ext4 rw 0 0\n"
                           "rootfs / ext4 rw 0 0\n"
                           "/dev/sdb1 /a\\000b ext4 rw 0 0\n"
                           "/dev/sdc1 " + longpath + " ext4 rw 0 0\n"
                           "/dev/sdd1 /ok xfs rw 0 0\n",
                           m));
  ASSERT_EQ(m.count, 1u);
  EXPECT_STREQ(m.entries[0].mountpoint, "/ok");
}

TEST(ParseMounts, TableIsBounded) {
  static MountReading m;
  std::string text;
  for (int i = 0; i < 200; ++i) text += "/dev/sd" + std::to_string(i) + " /m" + std::to_string(i) + " ext4 rw 0 0\n";
  ASSERT_TRUE(parse_mounts(text, m));
  EXPECT_EQ(m.count, kMaxMountParse);
}

// ---------------------------------------------------------------- storage: diskstats
TEST(ParseDiskstats, WholeDevicesOnly) {
  EXPECT_TRUE(is_whole_disk("mmcblk0"));
  EXPECT_FALSE(is_whole_disk("mmcblk0p1"));
  EXPECT_FALSE(is_whole_disk("mmcblk1boot0"));
  EXPECT_FALSE(is_whole_disk("mmcblk1rpmb"));
  EXPECT_TRUE(is_whole_disk("sda"));
  EXPECT_TRUE(is_whole_disk("sdaa"));
  EXPECT_FALSE(is_whole_disk("sda1"));
  EXPECT_TRUE(is_whole_disk("nvme0n1"));
  EXPECT_FALSE(is_whole_disk("nvme0n1p2"));
  EXPECT_TRUE(is_whole_disk("zram0"));
  EXPECT_TRUE(is_whole_disk("vda"));
  EXPECT_FALSE(is_whole_disk("vda1"));
  EXPECT_FALSE(is_whole_disk("loop3"));
  EXPECT_FALSE(is_whole_disk("ram0"));
  EXPECT_FALSE(is_whole_disk(""));

  static DiskReading d;
  ASSERT_TRUE(parse_diskstats(slurp(fs::path(SBCMON_TEST_FIXTURES) / "pi4/diskstats"), d));
  ASSERT_EQ(d.count, 3u);
  EXPECT_STREQ(d.entries[0].name, "mmcblk0");
  EXPECT_EQ(d.entries[0].read_sectors, 1019418u);
  EXPECT_EQ(d.entries[0].written_sectors, 2405928u);
  EXPECT_EQ(d.entries[0].io_ms, 118520u);
  EXPECT_STREQ(d.entries[1].name, "sda");
  EXPECT_STREQ(d.entries[2].name, "zram0");
}

TEST(ParseDiskstats, DamagedInputIsSkippedNeverInvented) {
  static DiskReading d;
  EXPECT_FALSE(parse_diskstats("", d));
  EXPECT_FALSE(parse_diskstats("not diskstats at all\n", d));
  // Truncated: fewer than the 11 counters after the name.
  EXPECT_FALSE(parse_diskstats(" 179 0 mmcblk0 14210 6032 1019418 21030 31842", d));
  EXPECT_EQ(d.count, 0u);
  // Overflowing counter and a letter in a field: that line only is skipped.
  ASSERT_TRUE(parse_diskstats(" 8 0 sda 1 2 99999999999999999999999 4 5 6 7 8 9 10 11\n"
                              " 8 16 sdb 1 2 3 4 5 6 x 8 9 10 11\n"
                              " 8 32 sdc 1 2 3 4 5 6 7 8 9 10 11\n",
                              d));
  ASSERT_EQ(d.count, 1u);
  EXPECT_STREQ(d.entries[0].name, "sdc");
  EXPECT_EQ(d.entries[0].written_sectors, 7u);
  // Partitions after a good line are not parsed, but a whole disk after them still is,
  // and a damaged whole-disk line is still refused.
  ASSERT_TRUE(parse_diskstats(" 8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
                              " 8 1 sda1 x\n"
                              " 7 0 loop0 1 2\n"
                              " 8 16 sdb 1 2 3 4 5 6\n"
                              " 8 32 sdc 1 2 30 4 5 6 70 8 9 100 11\n",
                              d));
  ASSERT_EQ(d.count, 2u);
  EXPECT_STREQ(d.entries[1].name, "sdc");
  EXPECT_EQ(d.entries[1].read_sectors, 30u);
  EXPECT_EQ(d.entries[1].written_sectors, 70u);
  EXPECT_EQ(d.entries[1].io_ms, 100u);
  // Counters that are only checked, not kept, are refused on overflow all the same.
  ASSERT_TRUE(parse_diskstats(" 8 0 sda 18446744073709551616 2 3 4 5 6 7 8 9 10 11\n"
                              " 8 16 sdb 00000000000000000000001 2 3 4 5 6 7 8 9 10 11\n",
                              d));
  ASSERT_EQ(d.count, 1u);
  EXPECT_STREQ(d.entries[0].name, "sdb") << "leading zeros are no overflow";
  // Found by proc_diskstats_fuzz: a NUL inside the name made "sda1\0b" pass as whole.
  const std::string nul(" 8 1 sda1\0b 1 2 3 4 5 6 7 8 9 10 11\n", 36);
  EXPECT_FALSE(parse_diskstats(nul, d));
  EXPECT_EQ(d.count, 0u);
}

TEST(ParseNetDev, BytesOfEachDirectionAndDamagedLinesSkipped) {
  static NetReading n;
  const std::string head = "Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n";
  ASSERT_TRUE(parse_net_dev(head +
                                "  eth0: 1000 2 0 0 0 0 0 0 3000 4 0 0 0 0 0 0\n"
                                "  eth1: 1 99999999999999999999999 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n"
                                "  eth2: 1 2 0 0 x 0 0 0 3 4 0 0 0 0 0 0\n"
                                "  eth3: 1 2 0 0 0 0 0\n"
                                " wlan0: 18446744073709551615 0 0 0 0 0 0 0 7 0 0 0 0 0 0 0\n",
                            n));
  ASSERT_EQ(n.count, 2u) << "overflow, a letter and a short line are each skipped";
  EXPECT_STREQ(n.entries[0].name, "eth0");
  EXPECT_EQ(n.entries[0].rx, 1000u);
  EXPECT_EQ(n.entries[0].tx, 3000u);
  EXPECT_STREQ(n.entries[1].name, "wlan0");
  EXPECT_EQ(n.entries[1].rx, UINT64_MAX);
  EXPECT_EQ(n.entries[1].tx, 7u);
}

TEST(ParseOperstate, KernelWords) {
  EXPECT_EQ(parse_operstate("up\n"), OperState::kUp);
  EXPECT_EQ(parse_operstate("dormant"), OperState::kDormant);
  EXPECT_EQ(parse_operstate("lowerlayerdown"), OperState::kLowerLayerDown);
  EXPECT_EQ(parse_operstate(""), OperState::kAbsent);
  EXPECT_EQ(parse_operstate("upp"), OperState::kAbsent);
  EXPECT_STREQ(operstate_name(OperState::kDown), "down");
  EXPECT_STREQ(operstate_name(OperState::kAbsent), "");
}

// statvfs of a fixture folder as the sampler computes its figures.
struct Vfs {
  std::uint64_t size, used, avail;
};
Vfs vfs_of(const fs::path& p) {
  struct statvfs v {};
  EXPECT_EQ(statvfs(p.c_str(), &v), 0) << p;
  const std::uint64_t unit = v.f_frsize;
  return {v.f_blocks * unit, (v.f_blocks - v.f_bfree) * unit, v.f_bavail * unit};
}

TEST(SamplerStorage, Pi4FilesystemsFromTheMountTableAndStatvfs) {
  Rig r("pi4");
  const BoardInfo& b = r.s.board();
  ASSERT_EQ(b.nfs, 3u) << "listed before the first tick";
  EXPECT_STREQ(b.fs[0].mount, "/");
  EXPECT_STREQ(b.fs[1].mount, "/boot/firmware");
  EXPECT_STREQ(b.fs[1].device, "/dev/mmcblk0p1");
  EXPECT_STREQ(b.fs[2].mount, "/media/pi/USB STICK");
  Sample s = r.tick();
  ASSERT_EQ(s.nfs, 3u);
  const Vfs v = vfs_of(r.tree / "self/root/boot/firmware");
  EXPECT_TRUE(s.fs_flags[1] & Sample::kFsValid);
  EXPECT_EQ(s.fs_size[1], v.size) << "statvfs of <proc root>/self/root/boot/firmware";
  EXPECT_GT(s.fs_size[1], 0u);
  EXPECT_LE(s.fs_used[1] + s.fs_avail[1], s.fs_size[1]);
  EXPECT_FALSE(s.fs_flags[1] & Sample::kFsReadOnly);
  EXPECT_TRUE(s.fs_flags[2] & Sample::kFsReadOnly) << "mounted ro";
  std::string o;
  encode_sample(s, b, o);
  J j = parse_json(o);
  ASSERT_EQ(j["fs"].a.size(), 3u);
  EXPECT_EQ(j["fs"][2]["mount"].s, "/media/pi/USB STICK");
  EXPECT_TRUE(j["fs"][2]["ro"].b);
  EXPECT_EQ(j["fs"][1]["size"].n, double(v.size));
  o.clear();
  encode_board(b, 1000, 600, o);
  J jb = parse_json(o);
  ASSERT_EQ(jb["filesystems"].a.size(), 3u);
  EXPECT_EQ(jb["filesystems"][1]["type"].s, "vfat");
  EXPECT_EQ(jb["disks"].a.size(), 3u);
}

TEST(SamplerStorage, MountPointGoneOrTableMissingIsAbsentNeverZero) {
  Rig r("pi4");
  fs::remove_all(r.tree / "self/root/media");
  Sample s = r.tick();
  EXPECT_FALSE(s.fs_flags[2] & Sample::kFsValid);
  std::string o;
  encode_sample(s, r.s.board(), o);
  J j = parse_json(o);
  EXPECT_TRUE(j["fs"][2]["size"].is_null());
  EXPECT_TRUE(j["fs"][2]["ro"].is_null());
  fs::remove(r.tree / "mounts");
  s = r.tick();
  for (std::size_t i = 0; i < s.nfs; ++i) EXPECT_FALSE(s.fs_flags[i] & Sample::kFsValid) << i;
  put(r.tree / "mounts", "garbage");
  s = r.tick();
  for (std::size_t i = 0; i < s.nfs; ++i) EXPECT_FALSE(s.fs_flags[i] & Sample::kFsValid) << i;
}

TEST(SamplerStorage, NoMountTableMeansNoFilesystems) {
  Tree t("pi4");
  fs::remove(t / "mounts");
  Sampler s(t.proc().string(), t.sys().string());
  EXPECT_EQ(s.board().nfs, 0u);
  Sample smp;
  s.sample(smp, kT0, kSec);
  EXPECT_EQ(smp.nfs, 0u);
  std::string o;
  encode_sample(smp, s.board(), o);
  EXPECT_NE(o.find("\"fs\":[]"), std::string::npos) << o;
}

TEST(SamplerStorage, Pi4DiskRatesBusyAndWrittenSinceBoot) {
  Rig r("pi4");
  const BoardInfo& b = r.s.board();
  ASSERT_EQ(b.ndisks, 3u);
  EXPECT_STREQ(b.disks[0].s, "mmcblk0");
  Sample s = r.tick();
  EXPECT_TRUE(absent(s.disk_rd[0])) << "first reading is a baseline";
  EXPECT_EQ(s.disk_written[0], 2405928.0 * 512);
  r.tree.swap_in("diskstats", ".t1");
  s = r.tick();
  EXPECT_NEAR(s.disk_rd[0], 1048576.0, 1e-3);   // 2048 sectors in 1 s
  EXPECT_NEAR(s.disk_wr[0], 2097152.0, 1e-3);   // 4096 sectors
  EXPECT_NEAR(s.disk_busy[0], 25.0, 1e-4);      // 250 ms of io_ticks in 1 s
  EXPECT_EQ(s.disk_written[0], 2410024.0 * 512);
  EXPECT_NEAR(s.disk_wr[1], 0.0, 1e-6) << "sda idle";
  EXPECT_NEAR(s.disk_wr[2], 4096.0, 1e-3) << "zram0";
  std::uint64_t rd = 0, wr = 0, io = 0;
  ASSERT_TRUE(r.s.disk_counters(0, rd, wr, io));
  EXPECT_EQ(wr, 2410024ull * 512);
  EXPECT_EQ(io, 118770u);
  std::string o;
  encode_sample(s, b, o);
  EXPECT_NE(o.find("{\"dev\":\"mmcblk0\",\"rd\":1048576.0,\"wr\":2097152.0,\"busy\":25.0,\"written\":1233932288}"),
            std::string::npos) << o;
}

TEST(SamplerStorage, BeagleBone32BitSectorCounterWraps) {
  Rig r("bbb");
  ASSERT_EQ(r.s.board().ndisks, 1u) << "boot areas and ram are not disks";
  r.tick();
  r.tree.swap_in("diskstats", ".t1");
  Sample s = r.tick();
  EXPECT_NEAR(s.disk_wr[0], 512000.0, 1e-3);
  EXPECT_NEAR(s.disk_busy[0], 50.0, 1e-4);
}

TEST(SamplerStorage, UsbDiskComesAndGoesLikeAnInterface) {
  Rig r("pi4");
  const std::string base = slurp(r.tree / "diskstats");
  r.tick();
  const std::uint32_t gen = r.s.board().generation;
  // Unplugged: sda's lines vanish; its figures are absent, its slot stays.
  std::string unplugged;
  std::istringstream in(base);
  for (std::string line; std::getline(in, line);) {
    if (line.find(" sda") == std::string::npos) unplugged += line + "\n";
  }
  put(r.tree / "diskstats", unplugged);
  Sample s = r.tick();
  EXPECT_TRUE(absent(s.disk_wr[1]));
  EXPECT_TRUE(absent(s.disk_written[1]));
  // Back: a new baseline, not a burst.
  put(r.tree / "diskstats", base);
  s = r.tick();
  EXPECT_TRUE(absent(s.disk_wr[1]));
  EXPECT_EQ(r.s.board().generation, gen) << "no new name";
  // A new device is appended and the board changes generation.
  put(r.tree / "diskstats", base + "   8      16 sdb 1 0 8 0 1 0 8 0 0 1 1 0 0 0 0 0 0\n");
  s = r.tick();
  ASSERT_EQ(r.s.board().ndisks, 4u);
  EXPECT_STREQ(r.s.board().disks[3].s, "sdb");
  EXPECT_NE(r.s.board().generation, gen);
}

// On a real board the known disks are read from /sys/block/<disk>/stat between full
// reads of /proc/diskstats (which formats every loop and ram device too).
TEST(SamplerStorage, KnownDisksComeFromTheirSysfsStatBetweenRescans) {
  Rig r("pi4");
  auto stat_file = [&](const char* disk) { return r.tree.sys() / "block" / disk / "stat"; };
  const char* kLines[][2] = {
      {"mmcblk0", "14210 6032 1019418 21030 31842 29340 2405928 284190 0 118520 305220 0 0 0 0 3120 1050\n"},
      {"sda", "1200 0 96000 800 40 0 8192 120 0 700 920 0 0 0 0 0 0\n"},
      {"zram0", "120 0 960 2 300 0 2400 10 0 20 12 0 0 0 0 0 0\n"}};
  for (const auto& l : kLines) {
    fs::create_directories(stat_file(l[0]).parent_path());
    put(stat_file(l[0]), l[1]);
  }
  r.tick();  // diskstats read in full; the three files answer
  // Only mmcblk0's own file moves: 2048 more sectors read, 4096 written, 250 ms busy.
  put(stat_file("mmcblk0"), "14300 6032 1021466 21100 31900 29340 2410024 284300 0 118770 305500 0 0 0 0 3120 1050\n");
  Sample s = r.tick();
  EXPECT_NEAR(s.disk_rd[0], 1048576.0, 1e-3) << "read from /sys/block/mmcblk0/stat";
  EXPECT_NEAR(s.disk_wr[0], 2097152.0, 1e-3);
  EXPECT_NEAR(s.disk_busy[0], 25.0, 1e-4);
  EXPECT_EQ(s.disk_written[0], 2410024.0 * 512);
  EXPECT_NEAR(s.disk_wr[1], 0.0, 1e-6) << "sda idle";
  // A disk whose file fails is read from diskstats that same tick, never shown absent.
  fs::remove(stat_file("sda"));
  put(r.tree / "diskstats", slurp(r.tree / "diskstats"));
  s = r.tick();
  EXPECT_FALSE(absent(s.disk_wr[1])) << "sda from diskstats";
  EXPECT_NEAR(s.disk_rd[0], 0.0, 1e-6) << "mmcblk0: diskstats is behind its file; 0, not negative";
  // A disk plugged in shows up at the next full read, within ten ticks.
  put(r.tree / "diskstats", slurp(r.tree / "diskstats") + "   8      16 sdb 1 0 8 0 1 0 8 0 0 1 1 0 0 0 0 0 0\n");
  int ticks = 0;
  while (r.s.board().ndisks < 4 && ticks < 10) {
    r.tick();
    ++ticks;
  }
  ASSERT_EQ(r.s.board().ndisks, 4u) << "after " << ticks << " ticks";
  EXPECT_STREQ(r.s.board().disks[3].s, "sdb");
}

TEST(SamplerStorage, MissingOrGarbageDiskstatsIsAbsent) {
  Rig r("pi4");
  r.tick();
  fs::remove(r.tree / "diskstats");
  Sample s = r.tick();
  for (std::size_t i = 0; i < s.ndisk; ++i) {
    EXPECT_TRUE(absent(s.disk_wr[i]));
    EXPECT_TRUE(absent(s.disk_written[i]));
  }
  put(r.tree / "diskstats", "\xff\xfe garbage");
  s = r.tick();
  for (std::size_t i = 0; i < s.ndisk; ++i) EXPECT_TRUE(absent(s.disk_busy[i]));
  std::string o;
  encode_sample(s, r.s.board(), o);
  EXPECT_NE(o.find("{\"dev\":\"mmcblk0\",\"rd\":null,\"wr\":null,\"busy\":null,\"written\":null}"), std::string::npos) << o;
}

TEST(SamplerNet, LinkStateAndSpeed) {
  Rig r("pi4");
  Sample s = r.tick();
  EXPECT_EQ(static_cast<OperState>(s.net_oper[0]), OperState::kUp);
  EXPECT_EQ(s.net_speed[0], 1000.0f);
  EXPECT_EQ(static_cast<OperState>(s.net_oper[1]), OperState::kDown);
  EXPECT_TRUE(absent(s.net_speed[1])) << "no speed file";
  put(r.tree / "sys/class/net/eth0/speed", "-1\n");  // what a down link reports
  fs::remove(r.tree / "sys/class/net/eth0/operstate");
  s = r.tick();
  EXPECT_TRUE(absent(s.net_speed[0]));
  EXPECT_EQ(s.net_oper[0], 0) << "absent, not down";
}

TEST(SamplerNet, ALinkThatComesUpShowsItsSpeedOnThatTick) {
  Rig r("pi4");
  put(r.tree / "sys/class/net/eth0/operstate", "down\n");
  put(r.tree / "sys/class/net/eth0/speed", "-1\n");
  for (int i = 0; i < 40; ++i) EXPECT_TRUE(absent(r.tick().net_speed[0])) << i;
  // Cable plugged in: the kernel switches operstate and speed together.
  put(r.tree / "sys/class/net/eth0/operstate", "up\n");
  put(r.tree / "sys/class/net/eth0/speed", "100\n");
  Sample s = r.tick();
  EXPECT_EQ(static_cast<OperState>(s.net_oper[0]), OperState::kUp);
  EXPECT_EQ(s.net_speed[0], 100.0f);
  // A link with a speed is read every tick (a renegotiation, a bond gaining a port).
  put(r.tree / "sys/class/net/eth0/speed", "1000\n");
  EXPECT_EQ(r.tick().net_speed[0], 1000.0f);
}

TEST(SamplerNet, ASpeedThatAppearsWithoutALinkChangeIsShownWithinTheBackoff) {
  Rig r("pi4");
  put(r.tree / "sys/class/net/eth0/speed", "-1\n");  // up, but no speed yet (or a driver without one)
  for (int i = 0; i < 40; ++i) r.tick();
  put(r.tree / "sys/class/net/eth0/speed", "2500\n");
  int waited = 0;
  while (absent(r.tick().net_speed[0]) && waited < 100) ++waited;
  EXPECT_LE(waited, 16) << "asked again at least every 16 ticks";
  EXPECT_EQ(r.tick().net_speed[0], 2500.0f);
}

TEST(SamplerNet, UsbNicRemovedAndPluggedBackShowsAgainWithItsLink) {
  Rig r("pi4");
  const std::string dev = slurp(r.tree / "net/dev");
  const std::string eth0 = dev.substr(dev.find("  eth0"), dev.find(" wlan0") - dev.find("  eth0"));
  Sample s = r.tick();
  ASSERT_EQ(s.net_speed[0], 1000.0f);
  // Unplugged: its /proc/net/dev line and its /sys/class/net directory go away.
  put(r.tree / "net/dev", dev.substr(0, dev.find("  eth0")) + dev.substr(dev.find(" wlan0")));
  fs::remove_all(r.tree / "sys/class/net/eth0");
  s = r.tick();
  EXPECT_TRUE(absent(s.net_rx[0]));
  EXPECT_EQ(s.net_oper[0], 0) << "absent, not down";
  EXPECT_TRUE(absent(s.net_speed[0]));
  for (int i = 0; i < 30; ++i) r.tick();
  // Plugged back in (new inodes, as a new netdev gets), at a lower speed.
  fs::create_directories(r.tree / "sys/class/net/eth0");
  put(r.tree / "sys/class/net/eth0/operstate", "up\n");
  put(r.tree / "sys/class/net/eth0/speed", "100\n");
  put(r.tree / "net/dev", dev);
  int waited = 0;
  while ((s = r.tick(), absent(s.net_speed[0])) && waited < 100) ++waited;
  EXPECT_LE(waited, 16) << "a vanished file is looked for again at least every 16 ticks";
  EXPECT_EQ(static_cast<OperState>(s.net_oper[0]), OperState::kUp);
  EXPECT_EQ(s.net_speed[0], 100.0f);
  EXPECT_EQ(r.s.board().nifaces, 2u) << "the same slot, not a new one";
  s = r.tick();  // its first sighting back was a new baseline; now a rate again
  EXPECT_EQ(s.net_rx[0], 0.0) << eth0;
}

// ---------------------------------------------------------------- full tables
// A /proc/net/dev line for `name` with these byte counters.
std::string dev_line(const std::string& name, std::uint64_t rx, std::uint64_t tx) {
  return "  " + name + ": " + std::to_string(rx) + " 1 0 0 0 0 0 0 " + std::to_string(tx) +
         " 1 0 0 0 0 0 0\n";
}

// Samples at monotonic second `sec` (the Rig's clock jumps there).
Sample tick_at(Rig& r, std::int64_t sec) {
  r.n = sec - 1;
  return r.tick();
}

TEST(SamplerFullTables, NewInterfaceTakesTheSlotGoneLongestOnceGoneAMinute) {
  Rig r("pi4");
  const std::string dev = slurp(r.tree / "net/dev");  // lo, eth0, wlan0
  ASSERT_EQ(kMaxIfaces, 8u);
  auto veths = [&](std::initializer_list<int> which) {
    std::string out;
    for (int i : which) out += dev_line("veth" + std::to_string(i), 5000000, 5000000);
    return out;
  };
  // Six containers: their veths fill slots 2..7.
  put(r.tree / "net/dev", dev + veths({0, 1, 2, 3, 4, 5}));
  tick_at(r, 1);
  ASSERT_EQ(r.s.board().nifaces, 8u);
  EXPECT_STREQ(r.s.board().ifaces[4].s, "veth2");
  fs::create_directories(r.tree / "sys/class/net/veth2");
  put(r.tree / "sys/class/net/veth2/operstate", "down\n");
  // veth2's container stops at 2 s, the others at 11 s.
  put(r.tree / "net/dev", dev + veths({0, 1, 3, 4, 5}));
  tick_at(r, 2);
  put(r.tree / "net/dev", dev);
  tick_at(r, 11);
  const std::uint32_t gen = r.s.board().generation;
  // docker0 restarted, its link up at 10 Gb/s.
  fs::create_directories(r.tree / "sys/class/net/docker0");
  put(r.tree / "sys/class/net/docker0/operstate", "up\n");
  put(r.tree / "sys/class/net/docker0/speed", "10000\n");
  put(r.tree / "net/dev", dev + dev_line("docker0", 100, 200));
  tick_at(r, 61);  // veth2 gone 59 s: not yet
  EXPECT_EQ(r.s.board().nifaces, 8u);
  EXPECT_EQ(r.s.board().generation, gen) << "a slot gone less than a minute is kept";
  for (std::size_t i = 0; i < 8; ++i) EXPECT_STRNE(r.s.board().ifaces[i].s, "docker0") << i;
  Sample s = tick_at(r, 62);  // 60 s: veth2's slot, the one gone longest
  EXPECT_STREQ(r.s.board().ifaces[4].s, "docker0");
  EXPECT_STREQ(r.s.board().ifaces[5].s, "veth3") << "no other entry moves";
  EXPECT_GT(r.s.board().generation, gen) << "pages get the new name";
  EXPECT_EQ(r.s.board().iface_reused[4], r.s.board().generation);
  EXPECT_EQ(r.s.board().iface_reused[5], 0u);
  EXPECT_EQ(s.nnet, 8u);
  EXPECT_TRUE(absent(s.net_rx[4])) << "first sighting in the slot is a baseline";
  EXPECT_TRUE(absent(s.net_tx[4]));
  EXPECT_EQ(static_cast<OperState>(s.net_oper[4]), OperState::kUp) << "docker0's operstate, not veth2's";
  EXPECT_EQ(s.net_speed[4], 10000.0f);
  std::uint64_t rx = 0, tx = 0;
  ASSERT_TRUE(r.s.net_bytes(4, rx, tx));
  EXPECT_EQ(rx, 100u) << "docker0's own counters";
  put(r.tree / "net/dev", dev + dev_line("docker0", 600, 200));
  s = tick_at(r, 63);
  EXPECT_NEAR(s.net_rx[4], 500.0, 1e-6) << "a rate from docker0's counters, not veth2's";
  EXPECT_NEAR(s.net_tx[4], 0.0, 1e-6);
  std::string o;
  encode_board(r.s.board(), 1000, 600, o);
  EXPECT_NE(o.find("\"docker0\""), std::string::npos) << o;
  EXPECT_EQ(o.find("\"veth2\""), std::string::npos) << o;
  // A VPN comes up listed before veth3, whose container is back: veth3 keeps its slot and
  // tun0 takes veth0's (gone since 11 s, like the others; the first of those).
  const std::uint32_t gen2 = r.s.board().generation;
  put(r.tree / "net/dev", dev + dev_line("tun0", 1, 1) + dev_line("docker0", 600, 200) + veths({3}));
  s = tick_at(r, 70);
  EXPECT_EQ(r.s.board().generation, gen2) << "gone 59 s";
  EXPECT_TRUE(absent(s.net_rx[5])) << "veth3 back: a baseline in its own slot";
  s = tick_at(r, 71);
  EXPECT_STREQ(r.s.board().ifaces[2].s, "tun0");
  EXPECT_STREQ(r.s.board().ifaces[5].s, "veth3");
  EXPECT_NEAR(s.net_rx[5], 0.0, 1e-6);
  EXPECT_TRUE(absent(s.net_rx[2]));
  EXPECT_EQ(r.s.board().iface_reused[2], r.s.board().generation);
  EXPECT_STREQ(r.s.board().ifaces[4].s, "docker0");
}

TEST(SamplerFullTables, NewMountTakesTheSlotOfAStickGoneAMinute) {
  Rig r("pi4");
  const std::string mounts = slurp(r.tree / "mounts");  // /, /boot/firmware, the USB stick
  ASSERT_EQ(r.s.board().nfs, 3u);
  ASSERT_GE(kMaxFs, 4u);
  std::string sticks;
  for (std::size_t i = 0; i < kMaxFs - 3; ++i) {
    const std::string name = "stick" + std::to_string(i);
    fs::create_directories(r.tree / ("self/root/media/pi/" + name));
    sticks += "/dev/sdc" + std::to_string(i + 1) + " /media/pi/" + name + " vfat rw 0 0\n";
  }
  put(r.tree / "mounts", mounts + sticks);
  tick_at(r, 1);
  ASSERT_EQ(r.s.board().nfs, kMaxFs);
  // All the sticks are taken out at 5 s, and a new one is plugged in.
  fs::create_directories(r.tree / "self/root/media/pi/NEW");
  const std::string fresh = "/dev/sdd1 /media/pi/NEW ext4 ro 0 0\n";
  put(r.tree / "mounts", mounts);
  tick_at(r, 5);
  const std::uint32_t gen = r.s.board().generation;
  put(r.tree / "mounts", mounts + fresh);
  Sample s = tick_at(r, 64);
  EXPECT_EQ(r.s.board().generation, gen) << "gone 59 s: kept";
  for (std::size_t i = 0; i < kMaxFs; ++i) EXPECT_STRNE(r.s.board().fs[i].mount, "/media/pi/NEW") << i;
  s = tick_at(r, 65);
  EXPECT_STREQ(r.s.board().fs[3].mount, "/media/pi/NEW") << "the first of the slots gone longest";
  EXPECT_STREQ(r.s.board().fs[3].device, "/dev/sdd1");
  EXPECT_STREQ(r.s.board().fs[3].type, "ext4");
  EXPECT_GT(r.s.board().generation, gen);
  EXPECT_EQ(r.s.board().fs_reused[3], r.s.board().generation);
  EXPECT_STREQ(r.s.board().fs[2].mount, "/media/pi/USB STICK") << "present ones stay put";
  EXPECT_TRUE(s.fs_flags[3] & Sample::kFsValid) << "its figures at once";
  EXPECT_TRUE(s.fs_flags[3] & Sample::kFsReadOnly);
  EXPECT_EQ(s.fs_size[3], vfs_of(r.tree / "self/root/media/pi/NEW").size);
  if (kMaxFs > 4) {
    EXPECT_FALSE(s.fs_flags[4] & Sample::kFsValid) << "the other sticks stay gone";
  }
}

TEST(SamplerFullTables, NewDiskTakesTheSlotGoneLongestWithABaseline) {
  Rig r("pi4");
  const std::string base = slurp(r.tree / "diskstats");  // mmcblk0, sda, zram0
  ASSERT_EQ(r.s.board().ndisks, 3u);
  ASSERT_GE(kMaxDisks, 4u);
  ASSERT_LE(kMaxDisks, 26u);
  auto disk = [](const std::string& name, std::uint64_t written) {
    return "   8      32 " + name + " 1 0 8 0 1 0 " + std::to_string(written) + " 0 0 1 1 0 0 0 0 0 0\n";
  };
  std::string extra;
  for (std::size_t i = 0; i < kMaxDisks - 3; ++i) extra += disk(std::string("sd") + char('b' + i), 999999);
  put(r.tree / "diskstats", base + extra);
  tick_at(r, 1);
  ASSERT_EQ(r.s.board().ndisks, kMaxDisks);
  // sdb unplugged at 2 s, the rest at 3 s; a new stick (sdz) then arrives.
  put(r.tree / "diskstats", base + extra.substr(extra.find('\n') + 1));
  tick_at(r, 2);
  put(r.tree / "diskstats", base);
  tick_at(r, 3);
  const std::uint32_t gen = r.s.board().generation;
  put(r.tree / "diskstats", base + disk("sdz", 100));
  tick_at(r, 61);
  EXPECT_EQ(r.s.board().generation, gen) << "gone 59 s: kept";
  Sample s = tick_at(r, 62);
  EXPECT_STREQ(r.s.board().disks[3].s, "sdz") << "sdb's slot, gone longest";
  EXPECT_STREQ(r.s.board().disks[4].s, "sdc");
  EXPECT_GT(r.s.board().generation, gen);
  EXPECT_EQ(r.s.board().disk_reused[3], r.s.board().generation);
  EXPECT_TRUE(absent(s.disk_wr[3])) << "a baseline, not a drop from sdb's counters";
  EXPECT_TRUE(absent(s.disk_busy[3]));
  EXPECT_EQ(s.disk_written[3], 100.0 * 512);
  put(r.tree / "diskstats", base + disk("sdz", 108));
  s = tick_at(r, 63);
  EXPECT_NEAR(s.disk_wr[3], 8.0 * 512, 1e-3);
  std::uint64_t rd = 0, wr = 0, io = 0;
  ASSERT_TRUE(r.s.disk_counters(3, rd, wr, io));
  EXPECT_EQ(wr, 108u * 512);
}

TEST(NoAllocation, FullTablesWithNewcomersWaiting) {
  Tree t("pi4");
  const std::string dev = slurp(t / "net/dev");
  std::string more;
  for (int i = 0; i < 9; ++i) more += dev_line("veth" + std::to_string(i), 1, 1);
  put(t / "net/dev", dev + more);
  Sampler s(t.proc().string(), t.sys().string());
  ASSERT_EQ(s.board().nifaces, kMaxIfaces);
  // Some gone (less than a minute of this run), newcomers waiting for a slot every tick.
  put(t / "net/dev", dev + more.substr(more.find('\n') + 1) + dev_line("tun0", 1, 1));
  steady_state_allocations(s, "full interface table");
  EXPECT_EQ(s.board().nifaces, kMaxIfaces);
}

// ---------------------------------------------------------------- alerts
Sample quiet_sample(std::int64_t t) {
  Sample s{};
  s.t_ms = t;
  s.ntemp = 1;
  s.temp_c[0] = 50.0f;
  s.mem_valid = true;
  s.mem_total = 1000;
  s.mem_avail = 500;
  s.load[0] = 0.5f;
  s.nfs = 1;
  s.fs_flags[0] = Sample::kFsValid;
  s.fs_size[0] = 1000;
  s.fs_used[0] = 100;
  s.fs_avail[0] = 850;
  s.throttle = decode_throttled(0);
  return s;
}

BoardInfo alert_board() {
  BoardInfo b;
  b.cores = 4;
  b.ntemp = 1;
  std::snprintf(b.temp_names[0].s, kNameLen, "cpu-thermal");
  b.temp_warn_c = 80.0f;
  b.nfs = 1;
  std::snprintf(b.fs[0].mount, kPathLen, "/");
  return b;
}

const AlertStatus& alert(const Sample& s, AlertId id) { return s.alerts[static_cast<std::size_t>(id)]; }

TEST(Alerts, QuietBoardIsOkEverywhere) {
  Alerts a(AlertLimits{});
  Sample s = quiet_sample(kT0);
  a.update(s, alert_board());
  for (std::size_t i = 0; i < kAlertCount; ++i) EXPECT_EQ(s.alerts[i].state, AlertState::kOk) << i;
  std::string o;
  encode_sample(s, alert_board(), o);
  J j = parse_json(o);
  ASSERT_EQ(j["alerts"].a.size(), kAlertCount);
  EXPECT_EQ(j["alerts"][0]["name"].s, "temperature");
  EXPECT_EQ(j["alerts"][0]["state"].s, "ok");
  EXPECT_TRUE(j["alerts"][0]["since"].is_null());
}

TEST(Alerts, TemperatureAtTheTripPointFiresWithItsStartTimeAndClearsBelowHysteresis) {
  Alerts a(AlertLimits{});
  BoardInfo b = alert_board();
  Sample s = quiet_sample(kT0);
  s.temp_c[0] = 80.8f;
  a.update(s, b);
  EXPECT_EQ(alert(s, AlertId::kTemperature).state, AlertState::kFiring);
  EXPECT_EQ(alert(s, AlertId::kTemperature).since_ms, kT0);
  s = quiet_sample(kT0 + 1000);
  s.temp_c[0] = 78.5f;  // below the limit but within 2 °C: still firing, same start
  a.update(s, b);
  EXPECT_EQ(alert(s, AlertId::kTemperature).state, AlertState::kFiring);
  EXPECT_EQ(alert(s, AlertId::kTemperature).since_ms, kT0);
  std::string o;
  encode_sample(s, b, o);
  J j = parse_json(o);
  EXPECT_EQ(j["alerts"][0]["state"].s, "firing");
  EXPECT_EQ(j["alerts"][0]["since"].n, double(kT0));
  EXPECT_EQ(j["alerts"][0]["limit"].n, 80.0);
  EXPECT_EQ(j["alerts"][0]["what"].s, "cpu-thermal");
  s = quiet_sample(kT0 + 2000);
  s.temp_c[0] = 77.9f;
  a.update(s, b);
  EXPECT_EQ(alert(s, AlertId::kTemperature).state, AlertState::kOk);
}

TEST(Alerts, SetTemperatureOverridesTheTripPoint) {
  AlertLimits l;
  l.temp_c = 60;
  Alerts a(l);
  Sample s = quiet_sample(kT0);
  s.temp_c[0] = 65.0f;
  a.update(s, alert_board());
  EXPECT_EQ(alert(s, AlertId::kTemperature).state, AlertState::kFiring);
  EXPECT_EQ(alert(s, AlertId::kTemperature).limit, 60.0f);
}

TEST(Alerts, NoInputIsAbsentNotOk) {
  Alerts a(AlertLimits{});
  BoardInfo b = alert_board();
  b.temp_warn_c = kAbsent;  // no trip point and no set value
  Sample s = quiet_sample(kT0);
  s.throttle = Throttle{};  // not a Pi
  s.mem_valid = false;
  s.load[0] = kAbsent;
  s.fs_flags[0] = 0;
  a.update(s, b);
  for (std::size_t i = 0; i < kAlertCount; ++i) EXPECT_EQ(s.alerts[i].state, AlertState::kAbsent) << i;
  std::string o;
  encode_sample(s, b, o);
  EXPECT_NE(o.find("{\"name\":\"power\",\"state\":null,\"since\":null,\"value\":null,\"limit\":null,\"what\":null}"),
            std::string::npos) << o;
}

TEST(Alerts, UnderVoltageOrThrottledNowFiresPastEventsDoNot) {
  Alerts a(AlertLimits{});
  Sample s = quiet_sample(kT0);
  s.throttle = decode_throttled(0x50005);
  a.update(s, alert_board());
  EXPECT_EQ(alert(s, AlertId::kPower).state, AlertState::kFiring);
  s = quiet_sample(kT0 + 1000);
  s.throttle = decode_throttled(0x50000);
  a.update(s, alert_board());
  EXPECT_EQ(alert(s, AlertId::kPower).state, AlertState::kOk);
  AlertLimits off;
  off.power = false;
  Alerts b(off);
  s.throttle = decode_throttled(0x5);
  b.update(s, alert_board());
  EXPECT_EQ(alert(s, AlertId::kPower).state, AlertState::kAbsent) << "turned off";
}

TEST(Alerts, FilesystemOverNinetyPercentAsDfCountsIt) {
  Alerts a(AlertLimits{});
  Sample s = quiet_sample(kT0);
  s.fs_used[0] = 910;
  s.fs_avail[0] = 90;  // 91 % of used + avail
  a.update(s, alert_board());
  EXPECT_EQ(alert(s, AlertId::kFilesystem).state, AlertState::kFiring);
  EXPECT_NEAR(alert(s, AlertId::kFilesystem).value, 91.0f, 1e-4);
  std::string o;
  encode_sample(s, alert_board(), o);
  EXPECT_NE(o.find("\"name\":\"filesystem\",\"state\":\"firing\""), std::string::npos) << o;
  EXPECT_NE(o.find("\"what\":\"/\""), std::string::npos) << o;
  AlertLimits off;
  off.fs_pct = 0;
  Alerts b(off);
  b.update(s, alert_board());
  EXPECT_EQ(alert(s, AlertId::kFilesystem).state, AlertState::kAbsent);
}

TEST(Alerts, MemoryAvailableUnderTenPercent) {
  Alerts a(AlertLimits{});
  Sample s = quiet_sample(kT0);
  s.mem_avail = 95;
  a.update(s, alert_board());
  EXPECT_EQ(alert(s, AlertId::kMemory).state, AlertState::kFiring);
  s = quiet_sample(kT0 + 1000);
  s.mem_avail = 105;  // 10.5 %: within the 1-point hysteresis
  a.update(s, alert_board());
  EXPECT_EQ(alert(s, AlertId::kMemory).state, AlertState::kFiring);
  s.mem_avail = 120;
  a.update(s, alert_board());
  EXPECT_EQ(alert(s, AlertId::kMemory).state, AlertState::kOk);
}

TEST(Alerts, LoadOverTheCoresMustLastLoadSeconds) {
  AlertLimits l;
  l.load_s = 60;
  Alerts a(l);
  Sample s{};
  for (int i = 0; i <= 60; ++i) {
    s = quiet_sample(kT0 + i * 1000);
    s.load[0] = 4.5f;
    a.update(s, alert_board());
    if (i < 60) {
      ASSERT_EQ(alert(s, AlertId::kLoad).state, AlertState::kOk) << "after " << i << " s";
    }
  }
  EXPECT_EQ(alert(s, AlertId::kLoad).state, AlertState::kFiring);
  EXPECT_EQ(alert(s, AlertId::kLoad).since_ms, kT0 + 60000);
  s = quiet_sample(kT0 + 61000);
  s.load[0] = 3.9f;
  a.update(s, alert_board());
  EXPECT_EQ(alert(s, AlertId::kLoad).state, AlertState::kOk);
  s = quiet_sample(kT0 + 62000);
  s.load[0] = 4.5f;
  a.update(s, alert_board());
  EXPECT_EQ(alert(s, AlertId::kLoad).state, AlertState::kOk) << "the wait starts again";
}

TEST(Alerts, Pi4FixtureHotZoneFires) {
  Rig r("pi4");
  Alerts a(AlertLimits{});
  Sample s = r.tick();
  a.update(s, r.s.board());
  EXPECT_EQ(alert(s, AlertId::kTemperature).state, AlertState::kOk);
  EXPECT_EQ(alert(s, AlertId::kPower).state, AlertState::kOk);
  r.tree.swap_in("sys/class/thermal/thermal_zone0/temp", ".hot");
  r.tree.swap_in(kThrottled, ".undervoltage");
  s = r.tick();
  a.update(s, r.s.board());
  EXPECT_EQ(alert(s, AlertId::kTemperature).state, AlertState::kFiring);
  EXPECT_EQ(alert(s, AlertId::kTemperature).limit, 80.0f) << "the Pi firmware's soft limit";
  EXPECT_EQ(alert(s, AlertId::kPower).state, AlertState::kFiring);
  EXPECT_EQ(alert(s, AlertId::kMemory).state, AlertState::kOk);
}

// ---------------------------------------------------------------- processes
TEST(ParseProc, StatWithSpacesAndParenthesesInTheName) {
  ProcStat ps;
  ASSERT_TRUE(parse_proc_stat(slurp(fs::path(SBCMON_TEST_FIXTURES) / "pi4/2001/stat"), ps));
  EXPECT_STREQ(ps.comm, "(my app) v2");
  EXPECT_EQ(ps.state, 'S');
  EXPECT_EQ(ps.utime, 300u);
  EXPECT_EQ(ps.stime, 200u);
  EXPECT_EQ(ps.starttime, 12000u);
  ASSERT_TRUE(parse_proc_stat(slurp(fs::path(SBCMON_TEST_FIXTURES) / "pi4/1234/stat"), ps));
  EXPECT_EQ(ps.state, 'Z');
}

TEST(ParseProc, DamagedInputIsRefused) {
  ProcStat ps;
  const std::string good = slurp(fs::path(SBCMON_TEST_FIXTURES) / "pi4/812/stat");
  EXPECT_FALSE(parse_proc_stat("", ps));
  EXPECT_FALSE(parse_proc_stat("812 python3 R 1 2 3", ps)) << "no parentheses";
  EXPECT_FALSE(parse_proc_stat(good.substr(0, good.find(" 4512")), ps)) << "truncated before starttime";
  EXPECT_FALSE(parse_proc_stat("812 (x) RR 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20", ps));
  EXPECT_FALSE(parse_proc_stat("812 (x) R 1 2 3 4 5 6 7 8 9 10 x 12 13 14 15 16 17 18 19 20", ps));
  EXPECT_FALSE(parse_proc_stat(") 812 (", ps));
  std::uint64_t pages = 7;
  EXPECT_FALSE(parse_statm_rss("", pages));
  EXPECT_FALSE(parse_statm_rss("52000", pages));
  EXPECT_FALSE(parse_statm_rss("52000 -1", pages));
  EXPECT_EQ(pages, 7u) << "untouched on failure";
  EXPECT_TRUE(parse_statm_rss("52000 25600 1200", pages));
  EXPECT_EQ(pages, 25600u);
  std::uint32_t uid = 5;
  EXPECT_FALSE(parse_status_uid("Name:\tx\nGid:\t0\n", uid));
  EXPECT_FALSE(parse_status_uid("Uid:\t\n", uid));
  EXPECT_FALSE(parse_status_uid("Uid:\t99999999999\t0\n", uid));
  EXPECT_EQ(uid, 5u);
  EXPECT_TRUE(parse_status_uid("Name:\tx\nUid:\t1000\t1000\t1000\t1000\n", uid));
  EXPECT_EQ(uid, 1000u);
}

struct ProcRig {
  explicit ProcRig(const char* board) : tree(board), scanner(tree.proc().string(), 100, 4096) {}
  ProcTop& scan() {
    EXPECT_TRUE(scanner.scan(top, kT0 + n * 1000, (n + 1) * kSec));
    ++n;
    return top;
  }
  Tree tree;
  ProcScanner scanner;
  ProcTop top;
  std::int64_t n = 0;
};

TEST(Processes, FirstScanRanksByMemoryAndHasNoCpuFigure) {
  ProcRig r("pi4");
  const ProcTop& t = r.scan();
  EXPECT_EQ(t.seen, 5u) << "numeric entries only";
  EXPECT_EQ(t.untracked, 0u);
  EXPECT_EQ(t.ncpu, 0u) << "no previous reading: absent, never 0 %";
  ASSERT_EQ(t.nrss, 5u);
  EXPECT_EQ(t.by_rss[0].pid, 812);
  EXPECT_STREQ(t.by_rss[0].name, "python3");
  EXPECT_EQ(t.by_rss[0].rss, 25600u * 4096);
  EXPECT_STREQ(t.by_rss[0].user, "pi");
  EXPECT_EQ(t.by_rss[1].pid, 2001);
  EXPECT_STREQ(t.by_rss[1].user, "www-data");
  EXPECT_EQ(t.by_rss[2].pid, 1);
  EXPECT_STREQ(t.by_rss[2].user, "root");
  EXPECT_EQ(t.by_rss[4].pid, 1234);
  EXPECT_EQ(t.by_rss[4].state, 'Z');
  EXPECT_EQ(t.by_rss[4].rss, 0u);
}

TEST(Processes, CpuOverTheIntervalAndOneThatExitedIsGone) {
  ProcRig r("pi4");
  r.scan();
  for (const char* pid : {"1", "812", "1234", "2001"}) r.tree.swap_in(std::string(pid) + "/stat", ".t1");
  fs::remove_all(r.tree / "3003");  // apt-check exited between the two scans
  const ProcTop& t = r.scan();
  EXPECT_EQ(t.seen, 4u);
  ASSERT_EQ(t.ncpu, 4u);
  EXPECT_EQ(t.by_cpu[0].pid, 812);
  EXPECT_NEAR(t.by_cpu[0].cpu_pct, 90.0f, 1e-4);  // 90 ticks of 100 in 1 s
  EXPECT_EQ(t.by_cpu[1].pid, 2001);
  EXPECT_NEAR(t.by_cpu[1].cpu_pct, 3.0f, 1e-4);
  EXPECT_EQ(t.by_cpu[2].pid, 1);
  EXPECT_NEAR(t.by_cpu[2].cpu_pct, 1.0f, 1e-4);
  EXPECT_EQ(t.by_cpu[3].pid, 1234);
  EXPECT_NEAR(t.by_cpu[3].cpu_pct, 0.0f, 1e-6);
  for (std::size_t i = 0; i < t.nrss; ++i) EXPECT_NE(t.by_rss[i].pid, 3003);
  std::string o;
  encode_processes(t, o);
  J j = parse_json(o);
  EXPECT_EQ(j["cpu"][0]["name"].s, "python3");
  EXPECT_EQ(j["cpu"][0]["cpu"].n, 90.0);
  EXPECT_EQ(j["cpu"][0]["user"].s, "pi");
  EXPECT_EQ(j["cpu"][1]["name"].s, "(my app) v2");
  EXPECT_EQ(j["cpu"][3]["state"].s, "Z");
  EXPECT_EQ(j["seen"].n, 4);
}

TEST(Processes, ReusedPidIsANewProcess) {
  ProcRig r("pi4");
  r.scan();
  std::string st = slurp(r.tree / "812/stat.t1");
  st.replace(st.find(" 4512 "), 6, " 9999 ");
  put(r.tree / "812/stat", st);
  const ProcTop& t = r.scan();
  for (std::size_t i = 0; i < t.ncpu; ++i) EXPECT_NE(t.by_cpu[i].pid, 812) << "no CPU figure across two processes";
}

TEST(Processes, DamagedFilesLeaveThatProcessOutOrItsFigureAbsent) {
  ProcRig r("pi4");
  put(r.tree / "812/stat", "812 (python3");           // truncated: the process is not listed
  fs::remove(r.tree / "2001/statm");                  // gone between reads: rss 0 of a listed process
  put(r.tree / "1/status", "garbage");                // no Uid line: user absent
  const ProcTop& t = r.scan();
  EXPECT_EQ(t.nrss, 4u);
  for (std::size_t i = 0; i < t.nrss; ++i) {
    EXPECT_NE(t.by_rss[i].pid, 812);
    if (t.by_rss[i].pid == 1) {
      std::string o;
      ProcTop one;
      one.nrss = 1;
      one.by_rss[0] = t.by_rss[i];
      encode_processes(one, o);
      EXPECT_NE(o.find("\"uid\":null,\"user\":null"), std::string::npos) << o;
    }
  }
}

TEST(Processes, ProcessesBeyondTheTableAreCountedNotShown) {
  Tree t("bbb");
  const std::string stat = slurp(t / "455/stat");
  for (std::size_t i = 0; i < kMaxProcs + 5; ++i) {
    const std::string pid = std::to_string(10000 + i);
    fs::create_directory(t / pid);
    put(t / (pid + "/stat"), pid + stat.substr(stat.find(' ')));
  }
  ProcScanner sc(t.proc().string(), 100, 4096);
  ProcTop top;
  ASSERT_TRUE(sc.scan(top, kT0, kSec));
  EXPECT_EQ(top.seen, kMaxProcs + 5 + 3);
  EXPECT_EQ(top.untracked, 8u);
  EXPECT_EQ(top.nrss, kTopProcs);
}

TEST(Processes, MissingProcRootFails) {
  ProcScanner sc("/nonexistent/sbcmon-proc", 100, 4096);
  ProcTop top;
  EXPECT_FALSE(sc.scan(top, kT0, kSec));
  EXPECT_EQ(top.nrss, 0u);
}

TEST(NoAllocation, HundredProcessScansOnTheFixture) {
  ProcRig r("pi4");
  r.scan();
  std::string out;
  out.reserve(16 * 1024);
  g_allocs = 0;
  g_counting = true;
  for (int i = 0; i < 100; ++i) {
    r.scan();
    out.clear();
    encode_processes(r.top, out);
  }
  g_counting = false;
  EXPECT_EQ(g_allocs.load(), 0);
}

}  // namespace
