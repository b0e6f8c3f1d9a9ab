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

TEST(Cli, HelpListsEveryFlag) {
  const std::string u = sbcmon::app::usage();
  for (const char* flag : {"--port", "--bind", "--interval", "--proc-root", "--sys-root",
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
