// sbcmon: parse the command line, start the server, run the loop.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <unistd.h>

#include "app/cli.h"
#include "app/conformance.h"
#include "assets/assets.h"
#include "config/config.h"
#include "net/server.h"
#include "net/system.h"
#include "tls/selfsigned.h"
#if __has_include("app/monitor.h")
#include "app/monitor.h"
#define SBCMON_HAVE_MONITOR 1
#endif

namespace {

// Reads the shared token from `path`: the first line, surrounding blanks removed.
bool read_token(const std::string& path, std::string& token, std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) {
    error = "--token-file " + path + ": " + std::strerror(errno);
    return false;
  }
  char buf[256] = {};
  const bool got = std::fgets(buf, sizeof(buf), f) != nullptr;
  std::fclose(f);
  token = got ? buf : "";
  const auto end = token.find_last_not_of(" \t\r\n");
  token.resize(end == std::string::npos ? 0 : end + 1);
  const auto begin = token.find_first_not_of(" \t");
  token.erase(0, begin == std::string::npos ? token.size() : begin);
  if (token.size() < 8) {
    error = "--token-file " + path + ": the token must be at least 8 characters";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sbcmon;
  app::Options opts = app::default_options();
  const std::string config_file = app::find_config_flag(argc, argv);
  if (!config_file.empty()) {
    std::string error;
    if (!app::load_config_file(config_file, opts, error)) {
      std::fprintf(stderr, "sbcmon: %s\n", error.c_str());
      return 2;
    }
  }
  const app::ParseResult parsed = app::parse_args(argc, argv, opts);
  if (parsed.status != app::ParseStatus::kOk) {
    std::fprintf(stderr, "sbcmon: %s\n", parsed.error.c_str());
    return 2;
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
      opts.tls_cert = paths.cert;
      opts.tls_key = paths.key;
    }
    cfg.tls_cert = opts.tls_cert;
    cfg.tls_key = opts.tls_key;
    cfg.redirect_http = opts.redirect_http;
  }
  cfg.token = token;
  cfg.allow_origins = opts.allow_origins;
  cfg.max_sessions = opts.max_sessions;
  cfg.handshakes_per_s = opts.handshakes_per_s;
  cfg.max_queue = opts.max_queue;
  cfg.max_header_bytes = opts.max_header_bytes;
  cfg.port = opts.port;
  cfg.bind = opts.bind;
  cfg.ping_interval_ms = opts.ping_interval_ms;
  cfg.ping_timeout_ms = opts.ping_timeout_ms;
  cfg.max_payload = opts.max_payload;
  cfg.connect_timeout_ms = opts.connect_timeout_ms;
  if (opts.conformance) {
    // The values socket.io's conformance suite expects of a server under test.
    cfg.ping_interval_ms = 300;
    cfg.ping_timeout_ms = 200;
    cfg.max_payload = 1000000;
    cfg.connect_timeout_ms = 1000;
    cfg.serve_page = false;
    cfg.engine_echo = true;
    cfg.handshakes_per_s = 0;
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
