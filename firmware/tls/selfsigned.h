// A self-signed certificate for the board, made once with mbedTLS and kept in
// the state directory, so TLS works out of the box on a LAN without a CA.
#pragma once

#include <string>

namespace sbcmon::tls {

struct CertPaths {
  std::string cert;  // PEM certificate
  std::string key;   // PEM private key (mode 0600)
};

// Returns the paths of `<state_dir>/sbcmon.crt` and `<state_dir>/sbcmon.key`,
// generating an EC P-256 key and a 10-year self-signed certificate for
// `hostname` (plus "localhost" and 127.0.0.1/::1) when they do not both exist.
// Existing files are reused untouched. False with a one-line `error`.
bool ensure_self_signed(const std::string& state_dir, const std::string& hostname,
                        CertPaths& out, std::string& error);

}  // namespace sbcmon::tls
