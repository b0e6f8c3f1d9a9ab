// A self-signed certificate for the board, made once (with the TLS library
// libwebsockets uses: mbedTLS or OpenSSL, see selfsigned_backend.h) and kept in
// the state directory, so TLS works out of the box on a LAN without a CA.
#pragma once

#include <string>

namespace sbcmon::tls {

struct CertPaths {
  std::string cert;  // PEM certificate
  std::string key;   // PEM private key (mode 0600)
  std::string warning;  // set when an existing key is readable by group or others
};

// Returns the paths of `<state_dir>/sbcmon.crt` and `<state_dir>/sbcmon.key`,
// generating an EC P-256 key and a 10-year self-signed certificate for
// `hostname` (plus "localhost" and 127.0.0.1/::1) when they do not both exist.
// Existing files are reused untouched. A missing `state_dir` is created 0700; one
// writable by others is refused (anyone could plant files there); new files are
// created with O_EXCL|O_NOFOLLOW, never through a planted link. False with a
// one-line `error`.
bool ensure_self_signed(const std::string& state_dir, const std::string& hostname,
                        CertPaths& out, std::string& error);

}  // namespace sbcmon::tls
