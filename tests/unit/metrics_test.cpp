// Prometheus exposition: the exact text for the pi4 fixture, absent figures left out
// (bbb, missing files), label escaping, and the format's structural rules.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include "metrics/prometheus.h"
#include "sampler/alerts.h"
#include "sampler/sampler.h"

namespace {

namespace fs = std::filesystem;
using sbcmon::metrics::encode;
using sbcmon::metrics::escape_label;
using sbcmon::metrics::Inputs;
using sbcmon::metrics::NetBytes;
using sbcmon::metrics::ServerCounters;
using sbcmon::sampler::BoardInfo;
using sbcmon::sampler::kMaxIfaces;
using sbcmon::sampler::Sample;
using sbcmon::sampler::Sampler;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A private copy of a fixture board, so files can be swapped between ticks.
class Tree {
 public:
  explicit Tree(const char* board) {
    std::string tmpl = (fs::temp_directory_path() / "sbcmon-metrics-XXXXXX").string();
    EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = fs::path(tmpl) / board;
    fs::copy(fs::path(SBCMON_TEST_FIXTURES) / board, root_, fs::copy_options::recursive);
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(root_.parent_path(), ec);
  }
  fs::path proc() const { return root_; }
  fs::path sys() const { return root_ / "sys"; }
  // Rewrites `rel` in place (same inode, as the kernel does) with `rel + suffix`.
  void swap_in(const std::string& rel, const std::string& suffix) const {
    const std::string content = slurp(root_ / (rel + suffix));
    std::ofstream out(root_ / rel, std::ios::binary | std::ios::trunc);
    out << content;
  }
  void remove(const std::string& rel) const { fs::remove(root_ / rel); }

 private:
  fs::path root_;
};

constexpr std::int64_t kT0 = 1764070000000;  // wall ms of the first sample
constexpr std::int64_t kSec = 1000000000;

// A sampler on a fixture copy, ticked with deterministic clocks, and the inputs of one
// exposition with every host-dependent figure pinned.
struct Rig {
  explicit Rig(const char* board) : tree(board), s(tree.proc().string(), tree.sys().string()) {}
  void tick() {
    s.sample(sample, kT0 + n * 1000, (n + 1) * kSec);
    ++n;
  }
  std::string text() {
    board = s.board();
    board.arch = "aarch64";  // uname() of the host running the test, not the fixture's
    for (std::size_t i = 0; i < kMaxIfaces; ++i)
      net[i].valid = s.net_bytes(i, net[i].rx, net[i].tx);
    Inputs in;
    in.sample = &sample;
    in.board = &board;
    in.stat = s.last_stat();
    in.user_hz = 100;  // the fixtures' USER_HZ
    in.net = net;
    in.server = &server;
    in.sample_duration_s = 0.000125;
    in.history_bytes = 163200;
    in.version = "0.1.0";
    in.board_name = "rpi4";
    std::string out;
    encode(in, out);
    return out;
  }
  Tree tree;
  Sampler s;
  Sample sample{};
  BoardInfo board;
  NetBytes net[kMaxIfaces];
  ServerCounters server{2, 7, 1, 1, 345, 99};
  std::int64_t n = 0;
};

// The families present in an exposition (names from TYPE lines).
std::set<std::string> families(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) out.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  return out;
}

const char* const kPi4Expected =
    R"(# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 266402.94
node_cpu_seconds_total{cpu="0",mode="iowait"} 218.74
node_cpu_seconds_total{cpu="0",mode="irq"} 0
node_cpu_seconds_total{cpu="0",mode="nice"} 12.03
node_cpu_seconds_total{cpu="0",mode="softirq"} 987.65
node_cpu_seconds_total{cpu="0",mode="steal"} 0
node_cpu_seconds_total{cpu="0",mode="system"} 2018.8
node_cpu_seconds_total{cpu="0",mode="user"} 4123.57
node_cpu_seconds_total{cpu="1",mode="idle"} 266699.22
node_cpu_seconds_total{cpu="1",mode="iowait"} 183.21
node_cpu_seconds_total{cpu="1",mode="irq"} 0
node_cpu_seconds_total{cpu="1",mode="nice"} 9.87
node_cpu_seconds_total{cpu="1",mode="softirq"} 412.1
node_cpu_seconds_total{cpu="1",mode="steal"} 0
node_cpu_seconds_total{cpu="1",mode="system"} 1890.11
node_cpu_seconds_total{cpu="1",mode="user"} 3981.7
node_cpu_seconds_total{cpu="2",mode="idle"} 267005.52
node_cpu_seconds_total{cpu="2",mode="iowait"} 160.02
node_cpu_seconds_total{cpu="2",mode="irq"} 0
node_cpu_seconds_total{cpu="2",mode="nice"} 14.11
node_cpu_seconds_total{cpu="2",mode="softirq"} 338.71
node_cpu_seconds_total{cpu="2",mode="steal"} 0
node_cpu_seconds_total{cpu="2",mode="system"} 1763.99
node_cpu_seconds_total{cpu="2",mode="user"} 3776.12
node_cpu_seconds_total{cpu="3",mode="idle"} 266349.89
node_cpu_seconds_total{cpu="3",mode="iowait"} 198.76
node_cpu_seconds_total{cpu="3",mode="irq"} 0
node_cpu_seconds_total{cpu="3",mode="nice"} 11.08
node_cpu_seconds_total{cpu="3",mode="softirq"} 364.4
node_cpu_seconds_total{cpu="3",mode="steal"} 0
node_cpu_seconds_total{cpu="3",mode="system"} 1987.61
node_cpu_seconds_total{cpu="3",mode="user"} 4220.06
# HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.
# TYPE node_memory_MemTotal_bytes gauge
node_memory_MemTotal_bytes 3973427200
# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.
# TYPE node_memory_MemAvailable_bytes gauge
node_memory_MemAvailable_bytes 3437289472
# HELP node_memory_SwapTotal_bytes Memory information field SwapTotal_bytes.
# TYPE node_memory_SwapTotal_bytes gauge
node_memory_SwapTotal_bytes 104853504
# HELP node_memory_SwapFree_bytes Memory information field SwapFree_bytes.
# TYPE node_memory_SwapFree_bytes gauge
node_memory_SwapFree_bytes 104853504
# HELP node_load1 1m load average.
# TYPE node_load1 gauge
node_load1 0.52
# HELP node_load5 5m load average.
# TYPE node_load5 gauge
node_load5 0.38
# HELP node_load15 15m load average.
# TYPE node_load15 gauge
node_load15 0.31
# HELP node_time_seconds System time in seconds since epoch (1970), as sampled.
# TYPE node_time_seconds gauge
node_time_seconds 1764070001
# HELP node_boot_time_seconds Node boot time, in unixtime.
# TYPE node_boot_time_seconds gauge
node_boot_time_seconds 1763796088.63
# HELP node_thermal_zone_temp Zone temperature in Celsius
# TYPE node_thermal_zone_temp gauge
node_thermal_zone_temp{type="cpu-thermal",zone="0"} 47.712
# HELP node_cpu_scaling_frequency_hertz Current scaled CPU thread frequency in hertz.
# TYPE node_cpu_scaling_frequency_hertz gauge
node_cpu_scaling_frequency_hertz{cpu="0"} 1500000000
node_cpu_scaling_frequency_hertz{cpu="1"} 1500000000
node_cpu_scaling_frequency_hertz{cpu="2"} 1500000000
node_cpu_scaling_frequency_hertz{cpu="3"} 1500000000
# HELP node_network_receive_bytes_total Network device statistic receive_bytes.
# TYPE node_network_receive_bytes_total counter
node_network_receive_bytes_total{device="eth0"} 987655555
node_network_receive_bytes_total{device="wlan0"} 0
# HELP node_network_transmit_bytes_total Network device statistic transmit_bytes.
# TYPE node_network_transmit_bytes_total counter
node_network_transmit_bytes_total{device="eth0"} 123456888
node_network_transmit_bytes_total{device="wlan0"} 0
# HELP node_network_up Value is 1 if operstate is 'up', 0 otherwise.
# TYPE node_network_up gauge
node_network_up{device="eth0"} 1
node_network_up{device="wlan0"} 0
# HELP node_network_speed_bytes Network device property: speed_bytes
# TYPE node_network_speed_bytes gauge
node_network_speed_bytes{device="eth0"} 125000000
# HELP sbcmon_cpu_busy_percent Per-core busy percent over the last sample period (absent on the first).
# TYPE sbcmon_cpu_busy_percent gauge
sbcmon_cpu_busy_percent{cpu="0"} 16
sbcmon_cpu_busy_percent{cpu="1"} 55
sbcmon_cpu_busy_percent{cpu="2"} 3
sbcmon_cpu_busy_percent{cpu="3"} 100
# HELP sbcmon_rpi_throttled Raspberry Pi firmware throttle flag (get_throttled), 1 = set; only flags read.
# TYPE sbcmon_rpi_throttled gauge
sbcmon_rpi_throttled{flag="under_voltage"} 0
sbcmon_rpi_throttled{flag="arm_frequency_capped"} 0
sbcmon_rpi_throttled{flag="throttled"} 0
sbcmon_rpi_throttled{flag="soft_temp_limit"} 0
sbcmon_rpi_throttled{flag="under_voltage_occurred"} 0
sbcmon_rpi_throttled{flag="arm_frequency_capped_occurred"} 0
sbcmon_rpi_throttled{flag="throttled_occurred"} 0
sbcmon_rpi_throttled{flag="soft_temp_limit_occurred"} 0
# HELP node_uname_info Labeled system information as provided by the uname system call.
# TYPE node_uname_info gauge
node_uname_info{machine="aarch64",nodename="pi4",release="6.6.51+rpt-rpi-v8",sysname="Linux"} 1
# HELP sbcmon_board_info The board's model (device tree or DMI); always 1.
# TYPE sbcmon_board_info gauge
sbcmon_board_info{model="Raspberry Pi 4 Model B Rev 1.4"} 1
# HELP sbcmon_sample_duration_seconds Time taken by the last sample of /proc and /sys.
# TYPE sbcmon_sample_duration_seconds gauge
sbcmon_sample_duration_seconds 0.000125
# HELP sbcmon_history_bytes Memory the history ring holds, sized once at start-up for the cores present.
# TYPE sbcmon_history_bytes gauge
sbcmon_history_bytes 163200
# HELP sbcmon_sessions Engine.IO sessions open now.
# TYPE sbcmon_sessions gauge
sbcmon_sessions 2
# HELP sbcmon_sessions_opened_total Engine.IO sessions opened.
# TYPE sbcmon_sessions_opened_total counter
sbcmon_sessions_opened_total 7
# HELP sbcmon_sessions_refused_total Engine.IO handshakes refused because the session table was full.
# TYPE sbcmon_sessions_refused_total counter
sbcmon_sessions_refused_total 1
# HELP sbcmon_sessions_dropped_total Engine.IO sessions closed for falling behind (queue over its cap).
# TYPE sbcmon_sessions_dropped_total counter
sbcmon_sessions_dropped_total 1
# HELP sbcmon_packets_queued_total Engine.IO packets queued to clients.
# TYPE sbcmon_packets_queued_total counter
sbcmon_packets_queued_total 345
# HELP sbcmon_http_requests_total HTTP requests answered or held.
# TYPE sbcmon_http_requests_total counter
sbcmon_http_requests_total 99
# HELP sbcmon_build_info sbcmon version and the board it was configured for; always 1.
# TYPE sbcmon_build_info gauge
sbcmon_build_info{board="rpi4",version="0.1.0"} 1
)";

TEST(MetricsPi4, ExactExpositionAfterTwoSamples) {
  Rig r("pi4");
  r.tick();
  r.tree.swap_in("stat", ".t1");
  r.tree.swap_in("net/dev", ".t1");
  r.tick();
  // statvfs figures are this machine's (the fixture's folders live on its disk):
  // they have their own test below.
  r.sample.nfs = 0;
  EXPECT_EQ(r.text(), kPi4Expected);
}

// The value of the series `name{labels}` in `text`, or "" when absent.
std::string series_value(const std::string& text, const std::string& series) {
  const std::string key = "\n" + series + " ";
  const auto at = text.find(key);
  if (at == std::string::npos) return "";
  const auto from = at + key.size();
  return text.substr(from, text.find('\n', from) - from);
}

TEST(MetricsPi4, FilesystemDiskAndAlertSeriesWithNodeExporterNames) {
  Rig r("pi4");
  r.tick();
  r.tree.swap_in("diskstats", ".t1");
  r.tree.swap_in("sys/class/thermal/thermal_zone0/temp", ".hot");
  r.tick();
  sbcmon::sampler::Alerts alerts(sbcmon::sampler::AlertLimits{});
  alerts.update(r.sample, r.s.board());
  sbcmon::metrics::DiskBytes disks[sbcmon::sampler::kMaxDisks];
  for (std::size_t i = 0; i < sbcmon::sampler::kMaxDisks; ++i)
    disks[i].valid = r.s.disk_counters(i, disks[i].read, disks[i].written, disks[i].io_ms);
  r.board = r.s.board();
  Inputs in;
  in.sample = &r.sample;
  in.board = &r.board;
  in.disks = disks;
  std::string text;
  encode(in, text);

  struct statvfs v {};
  ASSERT_EQ(statvfs((r.tree.proc() / "self/root/boot/firmware").c_str(), &v), 0);
  const std::string boot = R"({device="/dev/mmcblk0p1",fstype="vfat",mountpoint="/boot/firmware"})";
  EXPECT_EQ(series_value(text, "node_filesystem_size_bytes" + boot),
            std::to_string(static_cast<std::uint64_t>(v.f_blocks) * v.f_frsize)) << text;
  EXPECT_NE(series_value(text, "node_filesystem_avail_bytes" + boot), "");
  EXPECT_EQ(series_value(text, "node_filesystem_readonly" + boot), "0");
  EXPECT_EQ(series_value(text, R"(node_filesystem_readonly{device="/dev/sda1",fstype="exfat",mountpoint="/media/pi/USB STICK"})"), "1");
  EXPECT_EQ(series_value(text, R"(node_disk_written_bytes_total{device="mmcblk0"})"), "1233932288");
  EXPECT_EQ(series_value(text, R"(node_disk_read_bytes_total{device="mmcblk0"})"), std::to_string(1021466ull * 512));
  EXPECT_EQ(series_value(text, R"(node_disk_io_time_seconds_total{device="mmcblk0"})"), "118.77");
  EXPECT_EQ(series_value(text, R"(node_disk_written_bytes_total{device="mmcblk0p1"})"), "") << "no partitions";
  EXPECT_EQ(series_value(text, R"(sbcmon_alert_firing{alert="temperature"})"), "1");
  EXPECT_EQ(series_value(text, R"(sbcmon_alert_firing{alert="power"})"), "0");
  EXPECT_EQ(series_value(text, R"(sbcmon_alert_firing{alert="memory"})"), "0");
}

TEST(MetricsBbb, NoSensorMeansNoTemperatureAlertSeries) {
  Rig r("bbb");
  r.tick();
  sbcmon::sampler::Alerts alerts(sbcmon::sampler::AlertLimits{});
  alerts.update(r.sample, r.s.board());
  const std::string text = r.text();
  EXPECT_EQ(text.find(R"(sbcmon_alert_firing{alert="temperature"})"), std::string::npos) << text;
  EXPECT_EQ(text.find(R"(sbcmon_alert_firing{alert="power"})"), std::string::npos) << "not a Pi";
  EXPECT_NE(text.find(R"(sbcmon_alert_firing{alert="memory"} 0)"), std::string::npos) << text;
}

// Every family has exactly one HELP and one TYPE line before its samples, every sample
// belongs to the family announced last, and no value is NaN or Inf.
TEST(MetricsPi4, EveryFamilyHasHelpAndTypeFirst) {
  Rig r("pi4");
  r.tick();
  r.tree.swap_in("stat", ".t1");
  r.tick();
  std::istringstream in(r.text());
  std::map<std::string, int> help, type;
  std::string current;
  int samples = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0) {
      current = line.substr(7, line.find(' ', 7) - 7);
      ++help[current];
    } else if (line.rfind("# TYPE ", 0) == 0) {
      ++type[line.substr(7, line.find(' ', 7) - 7)];
      EXPECT_EQ(line.substr(7, current.size()), current) << line;
    } else {
      ++samples;
      const std::string name = line.substr(0, line.find_first_of("{ "));
      EXPECT_EQ(name, current) << line;
      const std::string value = line.substr(line.rfind(' ') + 1);
      EXPECT_EQ(value.find_first_not_of("0123456789.e+-"), std::string::npos) << line;
    }
  }
  EXPECT_GT(samples, 50);
  for (const auto& [name, count] : help)
    EXPECT_EQ(count, 1) << name;
  EXPECT_EQ(help.size(), type.size());
}

TEST(MetricsPi4, FirstSampleHasNoBusyPercentButCumulativeSeconds) {
  Rig r("pi4");
  r.tick();
  const std::string text = r.text();
  const auto fam = families(text);
  EXPECT_EQ(fam.count("sbcmon_cpu_busy_percent"), 0u) << "a baseline is not 0 % busy";
  EXPECT_EQ(fam.count("node_cpu_seconds_total"), 1u);
  EXPECT_NE(text.find("node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 4123.45\n"),
            std::string::npos);
}

TEST(MetricsPi4, OfflineCoreHasNoSeries) {
  Rig r("pi4");
  r.tick();
  r.tree.swap_in("stat", ".t1");
  r.tick();
  r.tree.swap_in("stat", ".t2_cpu2_offline");
  r.tick();
  const std::string text = r.text();
  EXPECT_EQ(text.find("cpu=\"2\""), std::string::npos);
  EXPECT_NE(text.find("sbcmon_cpu_busy_percent{cpu=\"3\"} 99\n"), std::string::npos);
  EXPECT_NE(text.find("node_cpu_seconds_total{cpu=\"3\",mode=\"idle\"}"), std::string::npos);
}

TEST(MetricsPi4, UnderVoltageFlagsAreOne) {
  Rig r("pi4");
  r.tree.swap_in("sys/devices/platform/soc/soc:firmware/get_throttled", ".undervoltage");
  r.tick();
  const std::string text = r.text();
  EXPECT_NE(text.find("sbcmon_rpi_throttled{flag=\"under_voltage\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("sbcmon_rpi_throttled{flag=\"throttled_occurred\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("sbcmon_rpi_throttled{flag=\"arm_frequency_capped\"} 0\n"),
            std::string::npos);
}

// The BeagleBone has no thermal sensor and no Pi firmware: those families are left out,
// never reported as 0. Its swap is a known 0 and stays.
TEST(MetricsBbb, AbsentFiguresAreLeftOut) {
  Rig r("bbb");
  r.tick();
  r.tree.swap_in("stat", ".t1");
  r.tick();
  const std::string text = r.text();
  const auto fam = families(text);
  EXPECT_EQ(fam.count("node_thermal_zone_temp"), 0u);
  EXPECT_EQ(fam.count("sbcmon_rpi_throttled"), 0u);
  EXPECT_EQ(text.find("zone="), std::string::npos);
  EXPECT_EQ(text.find("flag="), std::string::npos);
  EXPECT_NE(text.find("sbcmon_cpu_busy_percent{cpu=\"0\"} 32\n"), std::string::npos);
  EXPECT_NE(text.find("node_memory_MemTotal_bytes 508088320\n"), std::string::npos);
  EXPECT_NE(text.find("node_memory_SwapTotal_bytes 0\n"), std::string::npos);
  EXPECT_NE(text.find("node_cpu_scaling_frequency_hertz{cpu=\"0\"} 1000000000\n"),
            std::string::npos);
}

TEST(MetricsBbb, MissingProcFilesDropTheirFamilies) {
  Rig r("bbb");
  r.tree.remove("meminfo");
  r.tree.remove("loadavg");
  r.tree.remove("uptime");
  r.tree.remove("stat");
  r.tick();
  const std::string text = r.text();
  const auto fam = families(text);
  for (const char* gone : {"node_memory_MemTotal_bytes", "node_memory_MemAvailable_bytes",
                           "node_memory_SwapTotal_bytes", "node_memory_SwapFree_bytes",
                           "node_load1", "node_load5", "node_load15", "node_boot_time_seconds",
                           "node_cpu_seconds_total", "sbcmon_cpu_busy_percent"}) {
    EXPECT_EQ(fam.count(gone), 0u) << gone;
  }
  EXPECT_EQ(fam.count("node_time_seconds"), 1u);  // the wall clock is always known
  EXPECT_EQ(fam.count("sbcmon_build_info"), 1u);
}

TEST(MetricsNoSample, OnlyServerFiguresBeforeTheFirstSample) {
  ServerCounters c;
  Inputs in;
  in.server = &c;
  in.version = "0.1.0";
  in.board_name = "host";
  std::string out;
  encode(in, out);
  const auto fam = families(out);
  EXPECT_EQ(fam.count("node_uname_info"), 0u);
  EXPECT_EQ(fam.count("sbcmon_sample_duration_seconds"), 0u);
  EXPECT_EQ(fam.count("sbcmon_history_bytes"), 0u);
  EXPECT_EQ(fam.count("sbcmon_sessions"), 1u);
  EXPECT_NE(out.find("sbcmon_build_info{board=\"host\",version=\"0.1.0\"} 1\n"), std::string::npos);
}

TEST(MetricsEscaping, LabelValues) {
  std::string out;
  escape_label("a\\b\"c\nd", out);
  EXPECT_EQ(out, "a\\\\b\\\"c\\nd");
  out.clear();
  escape_label("Raspberry Pi 4 Model B Rev 1.4", out);
  EXPECT_EQ(out, "Raspberry Pi 4 Model B Rev 1.4");
}

TEST(MetricsEscaping, HostileIdentityIsEscapedInTheExposition) {
  Rig r("pi4");
  r.tick();
  r.board = r.s.board();
  // Re-encode with an identity that a board could really report (DMI strings are free text).
  r.board.model = "Box \"9\" \\ rev\nB";
  r.board.hostname = "h\"x";
  Inputs in;
  in.sample = &r.sample;
  in.board = &r.board;
  std::string out;
  encode(in, out);
  EXPECT_NE(out.find("sbcmon_board_info{model=\"Box \\\"9\\\" \\\\ rev\\nB\"} 1\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("nodename=\"h\\\"x\""), std::string::npos);
  // One logical line per sample: a raw newline inside a label would split it.
  EXPECT_EQ(out.find("rev\nB"), std::string::npos);
}

}  // namespace
