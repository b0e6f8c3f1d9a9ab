// Command-line parsing for sbcmon; ranges match the Kconfig ranges.
#include "app/cli.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <string_view>

#include <sys/stat.h>

#include "config/config.h"

namespace sbcmon::app {
namespace {

constexpr std::size_t kMaxPeers = 16;

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
  o.max_sessions = config::kMaxSessions;
  o.tls = config::kTls;
  o.handshakes_per_s = config::kHandshakesPerSecond;
  o.max_queue = config::kSessionQueueMax;
  o.max_header_bytes = config::kMaxHeaderBytes;
  o.memory_budget = config::kMemoryBudget;
  o.max_connections = config::kMaxConnections;
  o.sessions_per_addr = config::kSessionsPerAddr;
  o.unjoined_per_addr = config::kUnjoinedPerAddr;
  o.alert_temp_c = config::kAlertTempC;
  o.alert_power = config::kAlertPower;
  o.alert_fs_pct = config::kAlertFsPct;
  o.alert_mem_pct = config::kAlertMemPct;
  o.alert_load_s = static_cast<std::uint32_t>(config::kAlertLoadS);
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

bool parse_size(const std::string& text, std::uint64_t& out_bytes) {
  std::string num = text;
  std::uint64_t scale = 1;
  if (num.size() > 3 && num.compare(num.size() - 2, 2, "iB") == 0) num.resize(num.size() - 2);
  if (!num.empty()) {
    const char u = num.back();
    if (u == 'k' || u == 'K') scale = 1024;
    if (u == 'm' || u == 'M') scale = 1024 * 1024;
    if (u == 'g' || u == 'G') scale = 1024 * 1024 * 1024;
    if (scale != 1) num.pop_back();
  }
  std::uint64_t v = 0;
  if (!parse_uint(num, v) || v > (std::uint64_t{1} << 40) / scale) return false;
  out_bytes = v * scale;
  return true;
}

std::optional<std::string> peer_origin(const std::string& url) {
  std::string u = url;
  for (char& c : u) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  std::string scheme;
  if (u.rfind("http://", 0) == 0) {
    scheme = "http";
  } else if (u.rfind("https://", 0) == 0) {
    scheme = "https";
  } else {
    return std::nullopt;
  }
  std::string authority = u.substr(scheme.size() + 3);
  if (!authority.empty() && authority.back() == '/') authority.pop_back();
  if (authority.empty() || authority.size() > 260) return std::nullopt;
  std::string host = authority;
  std::string port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos || close == 1) return std::nullopt;
    host = authority.substr(0, close + 1);
    const std::string rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
    for (char c : host.substr(1, host.size() - 2)) {
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.')) return std::nullopt;
    }
  } else {
    const auto colon = authority.find(':');
    if (colon != std::string::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (host.empty() || host.front() == '.' || host.front() == '-') return std::nullopt;
    for (char c : host) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
        return std::nullopt;
    }
  }
  if (authority.find_first_of("/?#@ ") != std::string::npos) return std::nullopt;
  if (authority.find(':') != std::string::npos && authority.front() != '[' && port.empty()) return std::nullopt;
  std::uint64_t n = 0;
  if (!port.empty() && (!parse_uint(port, n) || n < 1 || n > 65535)) return std::nullopt;
  const bool default_port = port.empty() || (scheme == "http" && n == 80) || (scheme == "https" && n == 443);
  return scheme + "://" + host + (default_port ? "" : ":" + std::to_string(n));
}

std::string origin_host(const std::string& origin) {
  const auto start = origin.find("://");
  if (start == std::string::npos) return {};
  std::string authority = origin.substr(start + 3);
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    return close == std::string::npos ? std::string() : authority.substr(1, close - 1);
  }
  return authority.substr(0, authority.find(':'));
}

namespace {
void add_once(std::vector<std::string>& v, const std::string& s) {
  for (const std::string& have : v) {
    if (have == s) return;
  }
  v.push_back(s);
}
}  // namespace

std::vector<std::string> accepted_origins(const Options& opts) {
  std::vector<std::string> out = opts.allow_origins;
  for (const std::string& p : opts.peers) add_once(out, p);
  return out;
}

std::vector<std::string> accepted_hosts(const Options& opts) {
  std::vector<std::string> out = opts.allow_hosts;
  for (const std::string& p : opts.peers) {
    const std::string h = origin_host(p);
    // IP literals are answered anyway; a name goes on the list as it is.
    const bool ip = h.find(':') != std::string::npos || h.find_first_not_of("0123456789.") == std::string::npos;
    if (!h.empty() && !ip) add_once(out, h);
  }
  return out;
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
         "  --connect-timeout T   close a session that joins no namespace within T (default " +
         std::to_string(config::kConnectTimeoutMs) + "ms)\n"
         "  --max-payload BYTES   largest message accepted (default " +
         std::to_string(config::kMaxPayload) + ")\n"
         "  --tls / --no-tls      serve HTTPS and WSS on the port (default " +
         std::string(config::kTls ? "on" : "off") + ")\n"
         "  --tls-cert FILE       PEM certificate (implies --tls; default: self-signed)\n"
         "  --tls-key FILE        PEM private key for --tls-cert\n"
         "  --state-dir DIR       where the self-signed certificate is kept (/var/lib/sbcmon)\n"
         "  --redirect-http       answer plain HTTP on the TLS port with a redirect\n"
         "  --config FILE         read options from FILE (key = value; flags override)\n"
         "  --user NAME           drop to this user after binding (when started as root)\n"
         "  --token-file FILE     require the access token in FILE from every client\n"
         "  --allow-origin URL    also accept pages from this origin (repeatable)\n"
         "  --peer URL            a sibling board (e.g. http://pi4.local:8080; repeatable): its\n"
         "                        page may connect here and this page's Boards view shows it\n"
         "  --allow-host NAME     also answer requests for this Host (repeatable; .example.com\n"
         "                        for a domain; IP literals, localhost, the hostname and\n"
         "                        <hostname>.local always work)\n"
         "  --memory-budget SIZE  memory all clients together may make sbcmon hold (e.g. 8M;\n"
         "                        default " + std::to_string(config::kMemoryBudget >> 10) + "k)\n"
         "  --max-connections N   open connections, kept below the fd limit (default " +
         std::to_string(config::kMaxConnections) + ")\n"
         "  --sessions-per-addr N sessions one client address may hold (0 = no limit; default " +
         std::to_string(config::kSessionsPerAddr) + ")\n"
         "  --unjoined-per-addr N of those, not yet connected to a namespace (0 = no limit;\n"
         "                        default " + std::to_string(config::kUnjoinedPerAddr) + ")\n"
         "  --max-sessions N      concurrent Engine.IO sessions (1.." + std::to_string(config::kMaxSessions) + ")\n"
         "  --handshakes-per-s N  new sessions per second per client address (0 = no limit; default " +
         std::to_string(config::kHandshakesPerSecond) + ")\n"
         "  --max-queue N         packets queued per session before it is dropped (4.." +
         std::to_string(config::kSessionQueueMax) + ")\n"
         "  --max-header-bytes N  largest HTTP request header (1024..65535; default " +
         std::to_string(config::kMaxHeaderBytes) + ")\n"
         "  --alert-temp C        temperature alert in degrees C (0 = the board's trip point; default " +
         std::to_string(config::kAlertTempC) + ")\n"
         "  --alert-power on|off  under-voltage / throttling alert (default " +
         (config::kAlertPower ? "on" : "off") + ")\n"
         "  --alert-fs PCT        filesystem fuller than PCT % (0 = off; default " +
         std::to_string(config::kAlertFsPct) + ")\n"
         "  --alert-mem PCT       memory available under PCT % (0 = off; default " +
         std::to_string(config::kAlertMemPct) + ")\n"
         "  --alert-load S        load above the core count for S seconds (0 = off; default " +
         std::to_string(config::kAlertLoadS) + ")\n"
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
    if (arg == "--tls" || arg == "--redirect-http") {
      if (has_inline && (value == "true" || value == "yes" || value == "on" || value == "1")) {
        has_inline = false;
      } else if (has_inline && (value == "false" || value == "no" || value == "off" || value == "0")) {
        (arg == "--tls" ? opts.tls : opts.redirect_http) = false;
        continue;
      }
      if (auto r = flag_only(arg == "--tls" ? opts.tls : opts.redirect_http); r.status != ParseStatus::kOk)
        return r;
      continue;
    }
    if (arg == "--no-tls") {
      bool ignored = false;
      if (auto r = flag_only(ignored); r.status != ParseStatus::kOk) return r;
      opts.tls = false;
      continue;
    }
    static const char* const kValued[] = {
        "--port",        "--bind",       "--interval",     "--proc-root",    "--sys-root",
        "--ping-interval", "--ping-timeout", "--max-payload", "--config",     "--user",
        "--token-file",  "--allow-origin", "--max-sessions", "--handshakes-per-s", "--tls-cert",
        "--tls-key",     "--state-dir", "--max-queue", "--max-header-bytes", "--allow-host",
        "--memory-budget", "--max-connections", "--sessions-per-addr", "--unjoined-per-addr",
        "--connect-timeout", "--alert-temp", "--alert-power", "--alert-fs", "--alert-mem",
        "--alert-load", "--peer"};
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
    } else if (arg == "--connect-timeout") {
      if (!parse_duration_ms(value, n) || n < 100 || n > 600000)
        return fail(range_error(arg, value, 100, 600000, "ms"));
      opts.connect_timeout_ms = static_cast<std::uint32_t>(n);
    } else if (arg == "--ping-interval" || arg == "--ping-timeout") {
      if (!parse_duration_ms(value, n) || n < 100 || n > 600000)
        return fail(range_error(arg, value, 100, 600000, "ms"));
      (arg == "--ping-interval" ? opts.ping_interval_ms : opts.ping_timeout_ms) =
          static_cast<std::uint32_t>(n);
    } else if (arg == "--tls-cert" || arg == "--tls-key" || arg == "--state-dir") {
      if (value.empty()) return fail(arg + " needs a path");
      if (arg == "--tls-cert") {
        opts.tls_cert = value;
        opts.tls = true;
      } else if (arg == "--tls-key") {
        opts.tls_key = value;
      } else {
        opts.state_dir = value;
      }
    } else if (arg == "--config") {
      if (value.empty()) return fail("--config needs a file");
      opts.config_file = value;
    } else if (arg == "--user") {
      if (value.empty() || value.size() > 32) return fail("invalid value '" + value + "' for --user");
      opts.user = value;
    } else if (arg == "--token-file") {
      if (value.empty()) return fail("--token-file needs a file");
      opts.token_file = value;
    } else if (arg == "--allow-origin") {
      const bool scheme = value.rfind("http://", 0) == 0 || value.rfind("https://", 0) == 0;
      if (!scheme || value.find('/', value.find("//") + 2) != std::string::npos || opts.allow_origins.size() >= 16)
        return fail("invalid value '" + value + "' for --allow-origin: expected e.g. http://host:port");
      opts.allow_origins.push_back(value);
    } else if (arg == "--peer") {
      const std::optional<std::string> origin = peer_origin(value);
      if (!origin) return fail("invalid value '" + value + "' for --peer: expected e.g. http://pi4.local:8080");
      bool listed = false;
      for (const std::string& p : opts.peers) listed = listed || p == *origin;
      if (!listed && opts.peers.size() >= kMaxPeers) return fail("too many --peer (at most " + std::to_string(kMaxPeers) + ")");
      if (!listed) opts.peers.push_back(*origin);
    } else if (arg == "--allow-host") {
      bool ok = !value.empty() && value.size() <= 253 && opts.allow_hosts.size() < 16;
      for (char c : value) {
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '*');
      }
      if (!ok || (value.find('*') != std::string::npos && value != "*") || value == ".")
        return fail("invalid value '" + value + "' for --allow-host: expected a name, .domain or *");
      opts.allow_hosts.push_back(value);
    } else if (arg == "--memory-budget") {
      constexpr std::uint64_t kMin = 256 * 1024;
      constexpr std::uint64_t kMax = std::uint64_t{4} << 30;
      if (!parse_size(value, n) || n < kMin || n > kMax)
        return fail("invalid value '" + value + "' for --memory-budget: expected 256k..4G");
      opts.memory_budget = static_cast<std::size_t>(n);
    } else if (arg == "--max-connections") {
      if (!parse_uint(value, n) || n < 16 || n > 65536) return fail(range_error(arg, value, 16, 65536, ""));
      opts.max_connections = static_cast<std::size_t>(n);
    } else if (arg == "--sessions-per-addr" || arg == "--unjoined-per-addr") {
      if (!parse_uint(value, n) || n > 4096) return fail(range_error(arg, value, 0, 4096, ""));
      (arg == "--sessions-per-addr" ? opts.sessions_per_addr : opts.unjoined_per_addr) =
          static_cast<std::size_t>(n);
    } else if (arg == "--max-sessions") {
      if (!parse_uint(value, n) || n < 1 || n > config::kMaxSessions)
        return fail(range_error(arg, value, 1, config::kMaxSessions, ""));
      opts.max_sessions = static_cast<std::size_t>(n);
    } else if (arg == "--max-queue") {
      if (!parse_uint(value, n) || n < 4 || n > config::kSessionQueueMax)
        return fail(range_error(arg, value, 4, config::kSessionQueueMax, "packets"));
      opts.max_queue = static_cast<std::size_t>(n);
    } else if (arg == "--max-header-bytes") {
      if (!parse_uint(value, n) || n < 1024 || n > 65535) return fail(range_error(arg, value, 1024, 65535, "bytes"));
      opts.max_header_bytes = static_cast<std::size_t>(n);
    } else if (arg == "--handshakes-per-s") {
      if (!parse_uint(value, n) || n > 100000) return fail(range_error(arg, value, 0, 100000, ""));
      opts.handshakes_per_s = static_cast<std::uint32_t>(n);
    } else if (arg == "--alert-temp") {
      if (!parse_uint(value, n) || n > 150) return fail(range_error(arg, value, 0, 150, "degrees C"));
      opts.alert_temp_c = static_cast<int>(n);
    } else if (arg == "--alert-power") {
      if (value == "on" || value == "1" || value == "yes" || value == "true") {
        opts.alert_power = true;
      } else if (value == "off" || value == "0" || value == "no" || value == "false") {
        opts.alert_power = false;
      } else {
        return fail("invalid value '" + value + "' for --alert-power: expected on or off");
      }
    } else if (arg == "--alert-fs" || arg == "--alert-mem") {
      if (!parse_uint(value, n) || n > 100) return fail(range_error(arg, value, 0, 100, "%"));
      (arg == "--alert-fs" ? opts.alert_fs_pct : opts.alert_mem_pct) = static_cast<int>(n);
    } else if (arg == "--alert-load") {
      if (!parse_uint(value, n) || n > 86400) return fail(range_error(arg, value, 0, 86400, "seconds"));
      opts.alert_load_s = static_cast<std::uint32_t>(n);
    } else if (arg == "--max-payload") {
      if (!parse_uint(value, n) || n < 1024 || n > 100000000)
        return fail(range_error(arg, value, 1024, 100000000, "bytes"));
      opts.max_payload = static_cast<std::size_t>(n);
    }
  }
  return {};
}

std::string find_config_flag(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--config" && i + 1 < argc) return argv[i + 1];
    if (a.rfind("--config=", 0) == 0) return std::string(a.substr(9));
  }
  return {};
}

bool load_config_file(const std::string& path, Options& opts, std::string& error) {
  // stdio rather than <fstream>: iostreams drag ~400 KB of locale code into
  // the static firmware.
  std::FILE* in = std::fopen(path.c_str(), "re");
  if (in == nullptr) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{in};
  // fopen() happily opens a directory, and reading it then ends at once: that
  // would serve with the defaults on every address instead of the file's settings.
  struct stat st {};
  if (fstat(fileno(in), &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + (S_ISDIR(st.st_mode) ? ": is a directory, not a config file" : ": not a regular file");
    return false;
  }
  char buf[1024];
  int lineno = 0;
  while (std::fgets(buf, sizeof buf, in) != nullptr && lineno < 10000) {
    ++lineno;
    std::string line(buf);
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
    } else if (!std::feof(in)) {
      error = path + ":" + std::to_string(lineno) + ": line too long";
      return false;
    }
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      error = path + ":" + std::to_string(lineno) + ": expected 'key = value'";
      return false;
    }
    auto trim = [](std::string t) {
      const auto b = t.find_first_not_of(" \t\r");
      const auto e = t.find_last_not_of(" \t\r");
      return b == std::string::npos ? std::string() : t.substr(b, e - b + 1);
    };
    std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    for (char& c : key) c = c == '_' ? '-' : c;
    if (key == "config" || key == "help" || key == "version" || key == "conformance" || key == "no-tls") {
      error = path + ":" + std::to_string(lineno) + ": '" + key + "' cannot be set in a file";
      return false;
    }
    const std::string flag = "--" + key + "=" + value;
    const char* argv[] = {"sbcmon", flag.c_str()};
    const ParseResult r = parse_args(2, argv, opts);
    if (r.status != ParseStatus::kOk) {
      error = path + ":" + std::to_string(lineno) + ": " + r.error;
      return false;
    }
  }
  return true;
}

}  // namespace sbcmon::app
