// Command-line options: Kconfig gives the defaults, flags override them.
// Pure: parsing never prints or exits; main() decides what to do with the result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
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
  std::vector<std::string> peers;        // --peer: sibling boards' origins, normalised
  std::size_t memory_budget;   // bytes all clients together may make sbcmon hold
  std::size_t max_connections; // open connections (lowered to fit the fd limit)
  std::size_t sessions_per_addr;   // sessions per client address; 0 = no limit
  std::size_t unjoined_per_addr;   // of those, not yet connected to a namespace; 0 = no limit
  int alert_temp_c;            // temperature alert, °C; 0 = the board's passive trip point
  bool alert_power;            // under-voltage / throttling alert on
  int alert_fs_pct;            // filesystem fuller than this % fires; 0 = off
  int alert_mem_pct;           // MemAvailable under this % fires; 0 = off
  std::uint32_t alert_load_s;  // load1 > cores this long fires; 0 = off
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

// A --peer value ("http://pi4.local:8080", a trailing "/" allowed) as the
// origin a browser sends for that board's page: scheme and host lower-cased,
// the scheme's default port dropped. nullopt when it is not http(s)://host[:port].
std::optional<std::string> peer_origin(const std::string& url);

// The host name of a normalised origin ("http://pi4.local:8080" -> "pi4.local",
// "http://[fe80::1]" -> "fe80::1").
std::string origin_host(const std::string& origin);

// The origins a board accepts (its --allow-origin plus its peers) and the Host
// names it answers (its --allow-host plus the peers' names), each listed once.
std::vector<std::string> accepted_origins(const Options& opts);
std::vector<std::string> accepted_hosts(const Options& opts);

// The --help text.
std::string usage();

}  // namespace sbcmon::app
