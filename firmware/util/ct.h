// Constant-time comparison of secrets: the one copy the firmware uses (the
// Bearer token on data routes, the Socket.IO auth token).
#pragma once

#include <cstddef>
#include <string_view>

namespace sbcmon::util {

// True when `given` equals `secret`. Every byte of `secret` is looked at whatever
// matches, so the time depends on the secret's length only, never on `given`.
inline bool secret_equal(std::string_view given, std::string_view secret) {
  unsigned diff = given.size() == secret.size() ? 0u : 1u;
  for (std::size_t i = 0; i < secret.size(); ++i) {
    const char g = i < given.size() ? given[i] : '\0';
    diff |= static_cast<unsigned>(static_cast<unsigned char>(g) ^
                                  static_cast<unsigned char>(secret[i]));
  }
  return diff == 0;
}

}  // namespace sbcmon::util
