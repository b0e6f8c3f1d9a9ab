// Command-line parsing: flags override Kconfig defaults; bad values are refused
// with a message naming the flag.
#include "app/cli.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "config/config.h"

namespace {

using sbcmon::app::Options;
using sbcmon::app::ParseStatus;

sbcmon::app::ParseResult parse(std::vector<const char*> args, Options& o) {
  args.insert(args.begin(), "sbcmon");
  return sbcmon::app::parse_args(static_cast<int>(args.size()), args.data(), o);
}

TEST(Cli, DefaultsComeFromKconfig) {
  Options o = sbcmon::app::default_options();
  ASSERT_EQ(parse({}, o).status, ParseStatus::kOk);
  EXPECT_EQ(o.port, sbcmon::config::kHttpPort);
  EXPECT_EQ(o.interval_ms, sbcmon::config::kSamplePeriodMs);
  EXPECT_EQ(o.proc_root, "/proc");
  EXPECT_EQ(o.sys_root, "/sys");
  EXPECT_FALSE(o.conformance);
}

TEST(Cli, FlagsOverrideInBothSpellings) {
  Options o = sbcmon::app::default_options();
  ASSERT_EQ(parse({"--port", "9090", "--interval=250ms", "--bind", "127.0.0.1", "--proc-root",
                   "/tmp/p", "--sys-root=/tmp/s", "--ping-interval", "2s"},
                  o)
                .status,
            ParseStatus::kOk);
  EXPECT_EQ(o.port, 9090);
  EXPECT_EQ(o.interval_ms, 250u);
  EXPECT_EQ(o.bind, "127.0.0.1");
  EXPECT_EQ(o.proc_root, "/tmp/p");
  EXPECT_EQ(o.sys_root, "/tmp/s");
  EXPECT_EQ(o.ping_interval_ms, 2000u);
}

TEST(Cli, DurationsAcceptPlainMillisecondsAndSeconds) {
  std::uint64_t ms = 0;
  EXPECT_TRUE(sbcmon::app::parse_duration_ms("500", ms));
  EXPECT_EQ(ms, 500u);
  EXPECT_TRUE(sbcmon::app::parse_duration_ms("1.5s", ms));
  EXPECT_EQ(ms, 1500u);
  EXPECT_TRUE(sbcmon::app::parse_duration_ms("20ms", ms));
  EXPECT_EQ(ms, 20u);
  for (const char* bad : {"", "s", "ms", "-1", "1.0001s", "abc", "1e3", ".5s", "5m"}) {
    EXPECT_FALSE(sbcmon::app::parse_duration_ms(bad, ms)) << bad;
  }
}

TEST(Cli, OutOfRangeAndMalformedValuesNameTheFlag) {
  struct Case {
    std::vector<const char*> args;
    const char* needle;
  };
  const Case cases[] = {
      {{"--port", "0"}, "--port"},
      {{"--port", "70000"}, "--port"},
      {{"--port", "80x"}, "--port"},
      {{"--interval", "50"}, "--interval"},
      {{"--interval", "61s"}, "--interval"},
      {{"--max-payload", "12"}, "--max-payload"},
      {{"--max-queue", "3"}, "--max-queue"},
      {{"--max-queue", "1000000"}, "--max-queue"},
      {{"--max-header-bytes", "70000"}, "--max-header-bytes"},
      {{"--max-sessions", "0"}, "--max-sessions"},
      {{"--alert-temp", "151"}, "--alert-temp"},
      {{"--alert-temp", "-5"}, "--alert-temp"},
      {{"--alert-fs", "101"}, "--alert-fs"},
      {{"--alert-mem", "ten"}, "--alert-mem"},
      {{"--alert-load", "86401"}, "--alert-load"},
      {{"--alert-power", "maybe"}, "--alert-power"},
      {{"--port"}, "--port needs a value"},
      {{"--frobnicate"}, "unknown option '--frobnicate'"},
      {{"--help=yes"}, "--help takes no value"},
  };
  for (const Case& c : cases) {
    Options o = sbcmon::app::default_options();
    const auto r = parse(c.args, o);
    EXPECT_EQ(r.status, ParseStatus::kError) << c.needle;
    EXPECT_NE(r.error.find(c.needle), std::string::npos) << r.error;
  }
}

TEST(Cli, AlertThresholdsDefaultToKconfigAndFlagsSetOrTurnThemOff) {
  Options o = sbcmon::app::default_options();
  EXPECT_EQ(o.alert_temp_c, sbcmon::config::kAlertTempC);
  EXPECT_EQ(o.alert_power, sbcmon::config::kAlertPower);
  EXPECT_EQ(o.alert_fs_pct, sbcmon::config::kAlertFsPct);
  EXPECT_EQ(o.alert_mem_pct, sbcmon::config::kAlertMemPct);
  EXPECT_EQ(o.alert_load_s, static_cast<std::uint32_t>(sbcmon::config::kAlertLoadS));
  ASSERT_EQ(parse({"--alert-temp", "70", "--alert-power=off", "--alert-fs", "0", "--alert-mem=5",
                   "--alert-load", "60"},
                  o)
                .status,
            ParseStatus::kOk);
  EXPECT_EQ(o.alert_temp_c, 70);
  EXPECT_FALSE(o.alert_power);
  EXPECT_EQ(o.alert_fs_pct, 0);
  EXPECT_EQ(o.alert_mem_pct, 5);
  EXPECT_EQ(o.alert_load_s, 60u);
  ASSERT_EQ(parse({"--alert-power", "on"}, o).status, ParseStatus::kOk);
  EXPECT_TRUE(o.alert_power);
}

TEST(Cli, HelpListsEveryFlag) {
  const std::string u = sbcmon::app::usage();
  for (const char* flag : {"--port", "--bind", "--interval", "--proc-root", "--sys-root",
                           "--alert-temp", "--alert-power", "--alert-fs", "--alert-mem", "--alert-load",
                           "--conformance", "--version", "--help"}) {
    EXPECT_NE(u.find(flag), std::string::npos) << flag;
  }
}

}  // namespace

namespace {

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/sbcmon-cli-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  return path;
}

TEST(CliConfigFile, KeysAreTheLongFlagsAndFlagsOverrideThem) {
  const std::string path = write_temp(
      "# sbcmon.conf\n\nport = 9100\ninterval = 2s   # every two seconds\nbind=\"127.0.0.1\"\n"
      "allow_origin = http://dash.lan:3000\n");
  Options o = sbcmon::app::default_options();
  std::string error;
  ASSERT_TRUE(sbcmon::app::load_config_file(path, o, error)) << error;
  EXPECT_EQ(o.port, 9100);
  EXPECT_EQ(o.interval_ms, 2000u);
  EXPECT_EQ(o.bind, "127.0.0.1");
  ASSERT_EQ(o.allow_origins.size(), 1u);
  EXPECT_EQ(o.allow_origins[0], "http://dash.lan:3000");
  ASSERT_EQ(parse({"--port", "9200"}, o).status, ParseStatus::kOk);
  EXPECT_EQ(o.port, 9200);
  std::remove(path.c_str());
}

TEST(CliConfigFile, ErrorsNameTheFileAndLine) {
  const std::string path = write_temp("port = 9100\ninterval = 5\n");
  Options o = sbcmon::app::default_options();
  std::string error;
  EXPECT_FALSE(sbcmon::app::load_config_file(path, o, error));
  EXPECT_NE(error.find(path + ":2: invalid value '5' for --interval"), std::string::npos) << error;
  const std::string bad = write_temp("just words\n");
  EXPECT_FALSE(sbcmon::app::load_config_file(bad, o, error));
  EXPECT_NE(error.find(":1: expected 'key = value'"), std::string::npos) << error;
  EXPECT_FALSE(sbcmon::app::load_config_file("/nonexistent/sbcmon.conf", o, error));
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
  std::remove(path.c_str());
  std::remove(bad.c_str());
}

TEST(CliConfigFile, AlertKeysAsTheShippedSbcmonConfSpellsThem) {
  const std::string path = write_temp("alert_temp = 75\nalert_power = off\nalert_fs = 95\nalert_mem = 0\nalert_load = 120\n");
  Options o = sbcmon::app::default_options();
  std::string error;
  ASSERT_TRUE(sbcmon::app::load_config_file(path, o, error)) << error;
  unlink(path.c_str());
  EXPECT_EQ(o.alert_temp_c, 75);
  EXPECT_FALSE(o.alert_power);
  EXPECT_EQ(o.alert_fs_pct, 95);
  EXPECT_EQ(o.alert_mem_pct, 0);
  EXPECT_EQ(o.alert_load_s, 120u);
}

}  // namespace

namespace {

TEST(CliConfigFile, ADirectoryIsAnErrorNotDefaults) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : P_tmpdir) + "/sbcmon-cli-dir-XXXXXX";
  char* dir = mkdtemp(tmpl.data());
  ASSERT_NE(dir, nullptr);
  Options o = sbcmon::app::default_options();
  std::string error;
  EXPECT_FALSE(sbcmon::app::load_config_file(dir, o, error));
  EXPECT_NE(error.find("is a directory"), std::string::npos) << error;
  rmdir(dir);
}

TEST(CliBudgets, FlagsForEveryBudget) {
  Options o = sbcmon::app::default_options();
  EXPECT_EQ(o.memory_budget, sbcmon::config::kMemoryBudget);
  EXPECT_EQ(o.max_connections, sbcmon::config::kMaxConnections);
  ASSERT_EQ(parse({"--memory-budget", "4M", "--max-connections", "100", "--sessions-per-addr", "0",
                   "--unjoined-per-addr=2", "--allow-host", "monitor.lan", "--allow-host", ".example.com"},
                  o)
                .status,
            ParseStatus::kOk);
  EXPECT_EQ(o.memory_budget, 4u << 20);
  EXPECT_EQ(o.max_connections, 100u);
  EXPECT_EQ(o.sessions_per_addr, 0u);
  EXPECT_EQ(o.unjoined_per_addr, 2u);
  ASSERT_EQ(parse({"--connect-timeout", "2s"}, o).status, ParseStatus::kOk);
  EXPECT_EQ(o.connect_timeout_ms, 2000u);
  ASSERT_EQ(o.allow_hosts.size(), 2u);
  EXPECT_EQ(o.allow_hosts[1], ".example.com");
  for (const char* bad : {"--memory-budget=12", "--memory-budget=8X", "--memory-budget=5G",
                          "--max-connections=3", "--connect-timeout=10ms", "--allow-host=a/b", "--allow-host=*.x", "--allow-host="}) {
    Options p = sbcmon::app::default_options();
    const auto r = parse({bad}, p);
    EXPECT_EQ(r.status, ParseStatus::kError) << bad;
    EXPECT_NE(r.error.find(std::string(bad).substr(0, std::string(bad).find('='))), std::string::npos) << r.error;
  }
  std::uint64_t n = 0;
  EXPECT_TRUE(sbcmon::app::parse_size("512k", n));
  EXPECT_EQ(n, 512u * 1024);
  EXPECT_TRUE(sbcmon::app::parse_size("8MiB", n));
  EXPECT_EQ(n, 8u << 20);
  EXPECT_FALSE(sbcmon::app::parse_size("k", n));
  EXPECT_FALSE(sbcmon::app::parse_size("-1M", n));
  const std::string u = sbcmon::app::usage();
  for (const char* flag : {"--memory-budget", "--max-connections", "--sessions-per-addr",
                           "--unjoined-per-addr", "--allow-host", "--connect-timeout"}) {
    EXPECT_NE(u.find(flag), std::string::npos) << flag;
  }
}

}  // namespace

namespace {

TEST(CliPeers, PeersAreNormalisedToTheOriginABrowserSends) {
  using sbcmon::app::peer_origin;
  EXPECT_EQ(peer_origin("http://pi4.local:8080"), "http://pi4.local:8080");
  EXPECT_EQ(peer_origin("HTTP://Pi4.Local:8080/"), "http://pi4.local:8080");
  EXPECT_EQ(peer_origin("http://bbb.lan:80"), "http://bbb.lan");
  EXPECT_EQ(peer_origin("https://bbb.lan:443/"), "https://bbb.lan");
  EXPECT_EQ(peer_origin("https://bbb.lan:8443"), "https://bbb.lan:8443");
  EXPECT_EQ(peer_origin("http://[FE80::1]:8080"), "http://[fe80::1]:8080");
  EXPECT_EQ(peer_origin("http://192.168.1.20:8080"), "http://192.168.1.20:8080");
  for (const char* bad : {"pi4.local:8080", "ftp://pi4", "http://", "http://pi4/page", "http://pi4:0",
                          "http://pi4:99999", "http://pi4:", "http://user@pi4", "http://pi 4",
                          "http://[zz::1]", "http://pi4?x", "http://.pi4", "http://pi4:80x"}) {
    EXPECT_FALSE(peer_origin(bad).has_value()) << bad;
  }
}

TEST(CliPeers, PeersOpenTheirOriginsAndNamesAndNothingElse) {
  Options o = sbcmon::app::default_options();
  ASSERT_EQ(parse({"--peer", "http://pi4.local:8080", "--peer=http://10.0.0.7:8080/",
                   "--peer", "http://PI4.local:8080", "--allow-origin", "http://dash.lan:3000",
                   "--allow-host", "monitor.lan"},
                  o)
                .status,
            ParseStatus::kOk);
  EXPECT_EQ(o.peers, (std::vector<std::string>{"http://pi4.local:8080", "http://10.0.0.7:8080"}));
  EXPECT_EQ(sbcmon::app::accepted_origins(o),
            (std::vector<std::string>{"http://dash.lan:3000", "http://pi4.local:8080", "http://10.0.0.7:8080"}));
  // An IP literal is always answered; only the name is added.
  EXPECT_EQ(sbcmon::app::accepted_hosts(o), (std::vector<std::string>{"monitor.lan", "pi4.local"}));
  EXPECT_EQ(sbcmon::app::origin_host("http://[fe80::1]:8080"), "fe80::1");

  Options none = sbcmon::app::default_options();
  ASSERT_EQ(parse({}, none).status, ParseStatus::kOk);
  EXPECT_TRUE(sbcmon::app::accepted_origins(none).empty());
  EXPECT_TRUE(sbcmon::app::accepted_hosts(none).empty());
}

TEST(CliPeers, BadPeersNameTheFlagAndTheListIsBounded) {
  Options o = sbcmon::app::default_options();
  const auto r = parse({"--peer", "pi4.local"}, o);
  ASSERT_EQ(r.status, ParseStatus::kError);
  EXPECT_NE(r.error.find("--peer"), std::string::npos);
  EXPECT_TRUE(o.peers.empty());
  std::vector<std::string> urls;
  for (int i = 0; i < 17; ++i) urls.push_back("http://b" + std::to_string(i) + ".lan:8080");
  std::vector<const char*> args;
  for (const std::string& u : urls) {
    args.push_back("--peer");
    args.push_back(u.c_str());
  }
  Options many = sbcmon::app::default_options();
  const auto full = parse(args, many);
  ASSERT_EQ(full.status, ParseStatus::kError);
  EXPECT_NE(full.error.find("too many --peer"), std::string::npos);
  EXPECT_EQ(many.peers.size(), 16u);
  EXPECT_NE(sbcmon::app::usage().find("--peer URL"), std::string::npos);
}

TEST(CliPeers, PeerLinesInTheConfigFile) {
  const std::string path = write_temp("peer = http://pi4.local:8080\npeer = http://bbb.local:8080\n");
  Options o = sbcmon::app::default_options();
  std::string error;
  ASSERT_TRUE(sbcmon::app::load_config_file(path, o, error)) << error;
  EXPECT_EQ(o.peers, (std::vector<std::string>{"http://pi4.local:8080", "http://bbb.local:8080"}));
  std::remove(path.c_str());
  const std::string bad = write_temp("peer = pi4.local\n");
  Options b = sbcmon::app::default_options();
  EXPECT_FALSE(sbcmon::app::load_config_file(bad, b, error));
  EXPECT_NE(error.find(":1: invalid value 'pi4.local' for --peer"), std::string::npos) << error;
  std::remove(bad.c_str());
}

}  // namespace
