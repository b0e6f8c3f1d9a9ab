// sbcmon: parse the command line, start the server, run the loop.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "app/cli.h"
#include "app/conformance.h"
#include "app/lan_urls.h"
#include "assets/assets.h"
#include "config/config.h"
#include "net/http_policy.h"
#include "net/server.h"
#include "net/system.h"
#include "tls/selfsigned.h"
#if __has_include("app/monitor.h")
#include "app/monitor.h"
#define SBCMON_HAVE_MONITOR 1
#endif

namespace {

// Reads the shared token from `path`: the whole file, one trailing newline
// ("\n" or "\r\n") removed and nothing else, so what the operator wrote is the
// token byte for byte.
bool read_token(const std::string& path, std::string& token, std::string& error) {
  constexpr std::size_t kMaxToken = 4096;
  const std::string where = "--token-file " + path + ": ";
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    error = where + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    error = where + "not a regular file";
    return false;
  }
  std::string data;
  char buf[1024];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = where + std::strerror(errno);
      close(fd);
      return false;
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > kMaxToken + 2) break;
  }
  close(fd);
  if (!data.empty() && data.back() == '\n') data.pop_back();
  if (!data.empty() && data.back() == '\r') data.pop_back();
  if (data.size() > kMaxToken) {
    error = where + "the token is longer than " + std::to_string(kMaxToken) + " characters";
    return false;
  }
  if (data.empty()) {
    error = where + "the file is empty (write the token in it)";
    return false;
  }
  for (char c : data) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      error = where + "the token may be one line of printable characters only";
      return false;
    }
  }
  if (data.size() < 8) {
    error = where + "the token must be at least 8 characters";
    return false;
  }
  token = std::move(data);
  return true;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "(none)" : out;
}

// Options as start-up computed them: Kconfig defaults, the --config file, then
// the flags. False with `error` (exit status 2 at start-up).
bool load_options(int argc, char** argv, sbcmon::app::Options& opts, std::string& error) {
  using namespace sbcmon;
  opts = app::default_options();
  const std::string config_file = app::find_config_flag(argc, argv);
  if (!config_file.empty() && !app::load_config_file(config_file, opts, error)) return false;
  const app::ParseResult parsed = app::parse_args(argc, argv, opts);
  if (parsed.status != app::ParseStatus::kOk) {
    error = parsed.error;
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sbcmon;
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
  // Large blocks (a full history, and its frame for each client that connects) are
  // mapped and given back to the kernel when freed. Left alone, glibc raises this
  // threshold after the first such free and keeps later ones in the heap.
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(app::kMappedBlockBytes));
#endif
  app::Options opts;
  {
    std::string error;
    if (!load_options(argc, argv, opts, error)) {
      std::fprintf(stderr, "sbcmon: %s\n", error.c_str());
      return 2;
    }
  }
  if (opts.help) {
    std::fputs(app::usage().c_str(), stdout);
    return 0;
  }
  if (opts.version) {
    std::printf("sbcmon %s (board %s, history %zu samples, max %zu CPUs, max %zu sessions)\n",
                SBCMON_VERSION, config::kBoard, config::kHistoryLen, config::kMaxCpus,
                config::kMaxSessions);
    return 0;
  }

  std::string token;
  if (!opts.token_file.empty()) {
    std::string error;
    if (!read_token(opts.token_file, token, error)) {
      std::fprintf(stderr, "sbcmon: %s\n", error.c_str());
      return 2;
    }
  } else if (config::kAccessToken && !opts.conformance) {
    std::fprintf(stderr, "sbcmon: this build requires an access token: pass --token-file FILE\n");
    return 2;
  }

  net::ServerConfig cfg;
  if (opts.tls && !opts.conformance) {
    if (opts.tls_cert.empty() != opts.tls_key.empty()) {
      std::fprintf(stderr, "sbcmon: --tls-cert and --tls-key go together\n");
      return 2;
    }
    if (opts.tls_cert.empty()) {
      char host[256] = {};
      gethostname(host, sizeof(host) - 1);
      tls::CertPaths paths;
      std::string error;
      if (!tls::ensure_self_signed(opts.state_dir, host, paths, error)) {
        std::fprintf(stderr, "sbcmon: self-signed certificate: %s (set --state-dir or --tls-cert)\n",
                     error.c_str());
        return 1;
      }
      if (!paths.warning.empty()) std::fprintf(stderr, "sbcmon: warning: %s\n", paths.warning.c_str());
      opts.tls_cert = paths.cert;
      opts.tls_key = paths.key;
    }
    cfg.tls_cert = opts.tls_cert;
    cfg.tls_key = opts.tls_key;
    cfg.redirect_http = opts.redirect_http;
  }
  cfg.token = token;
  // Peers are the whole fleet set-up: their pages may connect here, and this
  // page may connect to them.
  cfg.allow_origins = app::accepted_origins(opts);
  cfg.connect_origins = opts.peers;
  cfg.max_sessions = opts.max_sessions;
  cfg.handshakes_per_s = opts.handshakes_per_s;
  cfg.max_queue = opts.max_queue;
  cfg.max_header_bytes = opts.max_header_bytes;
  cfg.allow_hosts = app::accepted_hosts(opts);
  // The page's headers are built in a 2 KiB buffer; the CSP must leave room.
  if (net::page_csp(cfg.connect_origins).size() > 1200) {
    std::fprintf(stderr, "sbcmon: the --peer list is too long for the page's headers; name fewer peers\n");
    return 2;
  }
  cfg.memory_budget = opts.memory_budget;
  cfg.max_connections = opts.max_connections;
  cfg.sessions_per_addr = opts.sessions_per_addr;
  cfg.unjoined_per_addr = opts.unjoined_per_addr;
  if (opts.memory_budget / 4 * 3 < opts.max_payload) {
    std::fprintf(stderr,
                 "sbcmon: --memory-budget %zu is too small for --max-payload %zu: inbound messages "
                 "may use 3/4 of the budget, so it must be at least %zu\n",
                 opts.memory_budget, opts.max_payload, opts.max_payload / 3 * 4 + 4);
    return 2;
  }
  cfg.port = opts.port;
  cfg.bind = opts.bind;
  cfg.ping_interval_ms = opts.ping_interval_ms;
  cfg.ping_timeout_ms = opts.ping_timeout_ms;
  cfg.max_payload = opts.max_payload;
  cfg.connect_timeout_ms = opts.connect_timeout_ms;
  if (opts.conformance) {
    // The values socket.io's conformance suite expects of a server under test; an
    // explicit --ping-interval/--ping-timeout wins (slow runs: valgrind, ASan).
    const app::Options defaults = app::default_options();
    if (opts.ping_interval_ms == defaults.ping_interval_ms) cfg.ping_interval_ms = 300;
    if (opts.ping_timeout_ms == defaults.ping_timeout_ms) cfg.ping_timeout_ms = 200;
    cfg.max_payload = 1000000;
    cfg.connect_timeout_ms = 1000;
    cfg.serve_page = false;
    cfg.engine_echo = true;
    cfg.handshakes_per_s = 0;
    cfg.sessions_per_addr = 0;
    cfg.unjoined_per_addr = 0;
  }

  net::Server server;
  std::string error;
  if (!server.start(cfg, error)) {
    std::fprintf(stderr, "sbcmon: %s\n", error.c_str());
    return 1;
  }
  // The port is bound: root is no longer needed for anything.
  if (!net::drop_privileges(opts.user, error)) {
    std::fprintf(stderr, "sbcmon: %s\n", error.c_str());
    return 1;
  }
  if (cfg.max_connections > server.connection_cap()) {
    std::fprintf(stderr, "sbcmon: serving at most %zu connections (the open-file limit is lower than "
                 "--max-connections %zu needs)\n", server.connection_cap(), cfg.max_connections);
  }
  // SIGHUP re-reads the token file and what of the config can change live; a
  // file that no longer parses keeps everything as it was.
  server.on_reload([&server, &opts, &token, argc, argv]() {
    app::Options fresh;
    std::string error;
    std::string fresh_token;
    if (!load_options(argc, argv, fresh, error) ||
        (!fresh.token_file.empty() && !read_token(fresh.token_file, fresh_token, error))) {
      std::fprintf(stderr, "sbcmon: SIGHUP: %s; nothing changed\n", error.c_str());
      return;
    }
    if (fresh.token_file.empty() && config::kAccessToken) {
      std::fprintf(stderr, "sbcmon: SIGHUP: this build requires an access token; nothing changed\n");
      return;
    }
    std::string changes;
    if (fresh_token != token) changes += fresh_token.empty() ? "; token removed" : "; token changed";
    if (fresh.allow_origins != opts.allow_origins) changes += "; allow-origin: " + joined(fresh.allow_origins);
    if (fresh.allow_hosts != opts.allow_hosts) changes += "; allow-host: " + joined(fresh.allow_hosts);
    // The page's CSP and peer list are fixed at start-up: keep the peers as they were.
    if (fresh.peers != opts.peers) changes += "; peer list changed and needs a restart";
    fresh.peers = opts.peers;
    if (fresh.port != opts.port || fresh.bind != opts.bind || fresh.tls != opts.tls ||
        fresh.interval_ms != opts.interval_ms || fresh.memory_budget != opts.memory_budget ||
        fresh.max_sessions != opts.max_sessions) {
      changes += "; other settings changed and need a restart";
    }
    server.reload_access(fresh_token, app::accepted_origins(fresh), app::accepted_hosts(fresh));
    token = fresh_token;
    opts.token_file = fresh.token_file;
    opts.allow_origins = fresh.allow_origins;
    opts.allow_hosts = fresh.allow_hosts;
    std::fprintf(stderr, "sbcmon: SIGHUP: reloaded%s\n", changes.empty() ? "; nothing changed" : changes.c_str());
  });
  if (opts.conformance) {
    if (!app::install_conformance(server.sio())) {
      std::fprintf(stderr, "sbcmon: cannot register the conformance namespaces\n");
      return 1;
    }
  } else {
#ifdef SBCMON_HAVE_MONITOR
    app::Monitor monitor(server, opts);
    if (!monitor.start(error)) {
      std::fprintf(stderr, "sbcmon: %s\n", error.c_str());
      return 1;
    }
    const std::string host = opts.bind.empty() || opts.bind == "0.0.0.0" || opts.bind == "::"
                                 ? "127.0.0.1"
                                 : opts.bind;
    std::fprintf(stderr, "sbcmon %s: serving %s://%s:%d/ (%s), sampling every %u ms\n",
                 SBCMON_VERSION, cfg.tls_cert.empty() ? "http" : "https", host.find(':') != std::string::npos ? ("[" + host + "]").c_str() : host.c_str(),
                 opts.port, opts.bind.empty() ? "every address" : opts.bind.c_str(), opts.interval_ms);
    app::print_lan_urls(stderr, opts.bind, opts.port, !cfg.tls_cert.empty());
    const int rc = server.run();
    std::fprintf(stderr, "sbcmon: stopped\n");
    return rc;
#endif
  }
  const std::string where = opts.bind.empty() ? "every address" : opts.bind;
  std::fprintf(stderr, "sbcmon %s: serving on port %d (%s)%s\n", SBCMON_VERSION, opts.port,
               where.c_str(), opts.conformance ? " in conformance mode" : "");
  const int rc = server.run();
  std::fprintf(stderr, "sbcmon: stopped\n");
  return rc;
}
