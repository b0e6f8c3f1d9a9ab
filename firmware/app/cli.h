// Command-line options: Kconfig gives the defaults, flags override them.
// Pure: parsing never prints or exits; main() decides what to do with the result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sbcmon::app {

struct Options {
  int port;
  std::string bind;            // "" = every address
  std::uint32_t interval_ms;   // sample period
  std::string proc_root = "/proc";
  std::string sys_root = "/sys";
  std::uint32_t ping_interval_ms;
  std::uint32_t ping_timeout_ms;
  std::size_t max_payload;
  std::uint32_t connect_timeout_ms;
  std::string config_file;     // --config: key = value lines, overridden by flags
  std::string user;            // drop to this user after binding ("" = stay)
  std::string token_file;      // shared access token ("" = no token)
  std::vector<std::string> allow_origins;  // extra origins allowed besides same-origin
  bool tls;                    // serve HTTPS/WSS
  std::string tls_cert;        // PEM; "" with tls = self-signed in state_dir
  std::string tls_key;
  std::string state_dir = "/var/lib/sbcmon";  // only the self-signed certificate lives here
  bool redirect_http = false;  // plain HTTP on the TLS port is redirected to HTTPS
  std::size_t max_sessions;    // <= the Kconfig table size
  std::uint32_t handshakes_per_s;  // per client address; 0 = unlimited
  std::size_t max_queue;       // packets queued per session, <= the Kconfig cap
  std::size_t max_header_bytes;  // largest HTTP request header
  std::vector<std::string> allow_hosts;  // Host names answered besides the board's own
  std::size_t memory_budget;   // bytes all clients together may make sbcmon hold
  std::size_t max_connections; // open connections (lowered to fit the fd limit)
  std::size_t sessions_per_addr;   // sessions per client address; 0 = no limit
  std::size_t unjoined_per_addr;   // of those, not yet connected to a namespace; 0 = no limit
  bool conformance = false;    // serve only what socket.io's conformance tests expect
  bool help = false;
  bool version = false;
};

// Options with every value at its Kconfig default.
Options default_options();

enum class ParseStatus { kOk, kError };

struct ParseResult {
  ParseStatus status = ParseStatus::kOk;
  std::string error;  // one line naming the flag and what is wrong, when kError
};

// Parses argv into `opts` (which should start as default_options()). Accepts
// "--flag value" and "--flag=value". On error `opts` may be partly updated.
ParseResult parse_args(int argc, const char* const* argv, Options& opts);

// Reads `key = value` lines (keys are the long flags without "--"; '#' starts a
// comment) from `path` into `opts`. False with "path:line: what" in `error`.
bool load_config_file(const std::string& path, Options& opts, std::string& error);

// The value of --config in argv, or "" when absent (so it can be loaded before
// the flags that override it).
std::string find_config_flag(int argc, const char* const* argv);

// Parses a duration: "500", "500ms", "2s", "1.5s" -> milliseconds. False if malformed.
bool parse_duration_ms(const std::string& text, std::uint64_t& out_ms);

// Parses a size: "4096", "512k", "8M" (k = KiB, M = MiB, G = GiB) -> bytes. False if malformed.
bool parse_size(const std::string& text, std::uint64_t& out_bytes);

// The --help text.
std::string usage();

}  // namespace sbcmon::app
