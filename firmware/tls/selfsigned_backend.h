// What the two certificate backends share: selfsigned.cpp checks the state directory,
// reuses existing files, builds the request and writes the result; one backend makes
// the key and the signed certificate. selfsigned_mbedtls.cpp (the static firmware, and
// libwebsockets built on mbedTLS) or selfsigned_openssl.cpp (libwebsockets on OpenSSL),
// chosen by firmware/tls/CMakeLists.txt.
#pragma once

#include <string>
#include <vector>

namespace sbcmon::tls::backend {

struct Request {
  std::string common_name;               // subject and issuer: CN=<common_name>,O=sbcmon
  std::vector<unsigned char> alt_names;  // DER of the subjectAltName value
  std::string not_before;                // UTC, YYYYMMDDhhmmss
  std::string not_after;
};

struct Result {
  std::string key_pem;  // cleared by the caller once written
  std::string cert_pem;
};

// A new EC P-256 key and a v3 certificate for `req`, self-signed with SHA-256:
// random positive 16-byte serial, basicConstraints CA:FALSE, keyUsage
// digitalSignature + keyAgreement (critical), subjectKeyIdentifier and the given
// subjectAltName. False with `error` = "<step>: <reason>", e.g.
// "generating the key: <library message>".
bool make_certificate(const Request& req, Result& out, std::string& error);

}  // namespace sbcmon::tls::backend
