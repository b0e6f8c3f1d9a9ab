// Command-line parsing for sbcmon; ranges match the Kconfig ranges.
#include "app/cli.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "config/config.h"

namespace sbcmon::app {
namespace {

bool parse_uint(const std::string& text, std::uint64_t& out) {
  if (text.empty() || text.size() > 19) return false;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

std::string range_error(std::string_view flag, const std::string& value, std::uint64_t lo,
                        std::uint64_t hi, std::string_view unit) {
  std::string e = "invalid value '" + value + "' for " + std::string(flag) + ": expected ";
  e += std::to_string(lo) + ".." + std::to_string(hi);
  if (!unit.empty()) e += " " + std::string(unit);
  return e;
}

}  // namespace

Options default_options() {
  Options o;
  o.port = config::kHttpPort;
  o.bind = config::kBindAddress;
  o.interval_ms = config::kSamplePeriodMs;
  o.ping_interval_ms = config::kPingIntervalMs;
  o.ping_timeout_ms = config::kPingTimeoutMs;
  o.max_payload = config::kMaxPayload;
  o.connect_timeout_ms = config::kConnectTimeoutMs;
  return o;
}

bool parse_duration_ms(const std::string& text, std::uint64_t& out_ms) {
  std::string num = text;
  double scale = 1.0;
  if (num.size() > 2 && num.compare(num.size() - 2, 2, "ms") == 0) {
    num.resize(num.size() - 2);
  } else if (num.size() > 1 && num.back() == 's') {
    num.pop_back();
    scale = 1000.0;
  }
  if (num.empty() || num.find_first_not_of("0123456789.") != std::string::npos ||
      num.front() == '.' || num.back() == '.') {
    return false;
  }
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(num.c_str(), &end);
  if (errno != 0 || end != num.c_str() + num.size() || !std::isfinite(v)) return false;
  const double ms = v * scale;
  if (ms < 0 || ms > 1e12 || std::floor(ms) != ms) return false;
  out_ms = static_cast<std::uint64_t>(ms);
  return true;
}

std::string usage() {
  return "Usage: sbcmon [options]\n"
         "Live system monitor: serves a page and Socket.IO on one port.\n"
         "\n"
         "  --port N              TCP port (1..65535; default " + std::to_string(config::kHttpPort) + ")\n"
         "  --bind ADDR           address to listen on (default: every address)\n"
         "  --interval T          sample period, 100ms..60s (e.g. 500ms, 2s; default " +
         std::to_string(config::kSamplePeriodMs) + "ms)\n"
         "  --proc-root DIR       read /proc from DIR (for fixtures and tests)\n"
         "  --sys-root DIR        read /sys from DIR\n"
         "  --ping-interval T     Engine.IO pingInterval (default " +
         std::to_string(config::kPingIntervalMs) + "ms)\n"
         "  --ping-timeout T      Engine.IO pingTimeout (default " +
         std::to_string(config::kPingTimeoutMs) + "ms)\n"
         "  --max-payload BYTES   largest message accepted (default " +
         std::to_string(config::kMaxPayload) + ")\n"
         "  --conformance         serve only socket.io's conformance-test endpoints\n"
         "  --version             print the version and build configuration\n"
         "  --help                print this help\n";
}

ParseResult parse_args(int argc, const char* const* argv, Options& opts) {
  auto fail = [](std::string msg) { return ParseResult{ParseStatus::kError, std::move(msg)}; };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0) {
      const auto eq = arg.find('=');
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg.resize(eq);
        has_inline = true;
      }
    }
    const auto flag_only = [&](bool& target) -> ParseResult {
      if (has_inline) return fail(arg + " takes no value");
      target = true;
      return {};
    };
    if (arg == "--help" || arg == "-h") {
      if (auto r = flag_only(opts.help); r.status != ParseStatus::kOk) return r;
      continue;
    }
    if (arg == "--version" || arg == "-V") {
      if (auto r = flag_only(opts.version); r.status != ParseStatus::kOk) return r;
      continue;
    }
    if (arg == "--conformance") {
      if (auto r = flag_only(opts.conformance); r.status != ParseStatus::kOk) return r;
      continue;
    }
    static const char* const kValued[] = {"--port", "--bind", "--interval", "--proc-root",
                                          "--sys-root", "--ping-interval", "--ping-timeout",
                                          "--max-payload"};
    bool known = false;
    for (const char* k : kValued) known = known || arg == k;
    if (!known) return fail("unknown option '" + arg + "' (see --help)");
    if (!has_inline) {
      if (i + 1 >= argc) return fail(arg + " needs a value");
      value = argv[++i];
    }
    std::uint64_t n = 0;
    if (arg == "--port") {
      if (!parse_uint(value, n) || n < 1 || n > 65535) return fail(range_error(arg, value, 1, 65535, ""));
      opts.port = static_cast<int>(n);
    } else if (arg == "--bind") {
      if (value.empty() || value.size() > 63) return fail("invalid value '" + value + "' for --bind");
      opts.bind = value;
    } else if (arg == "--interval") {
      if (!parse_duration_ms(value, n) || n < 100 || n > 60000)
        return fail(range_error(arg, value, 100, 60000, "ms"));
      opts.interval_ms = static_cast<std::uint32_t>(n);
    } else if (arg == "--proc-root" || arg == "--sys-root") {
      if (value.empty()) return fail(arg + " needs a directory");
      (arg == "--proc-root" ? opts.proc_root : opts.sys_root) = value;
    } else if (arg == "--ping-interval" || arg == "--ping-timeout") {
      if (!parse_duration_ms(value, n) || n < 100 || n > 600000)
        return fail(range_error(arg, value, 100, 600000, "ms"));
      (arg == "--ping-interval" ? opts.ping_interval_ms : opts.ping_timeout_ms) =
          static_cast<std::uint32_t>(n);
    } else if (arg == "--max-payload") {
      if (!parse_uint(value, n) || n < 1024 || n > 100000000)
        return fail(range_error(arg, value, 1024, 100000000, "bytes"));
      opts.max_payload = static_cast<std::size_t>(n);
    }
  }
  return {};
}

}  // namespace sbcmon::app
