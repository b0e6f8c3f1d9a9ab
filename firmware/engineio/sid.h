// Session ids: 20 URL-safe characters from mbedTLS CTR_DRBG seeded by the OS.
#pragma once

#include <array>
#include <memory>
#include <string_view>

namespace sbcmon::engineio {

inline constexpr std::size_t kSidLength = 20;
using Sid = std::array<char, kSidLength>;

class SidGenerator {
 public:
  SidGenerator();
  ~SidGenerator();
  SidGenerator(const SidGenerator&) = delete;
  SidGenerator& operator=(const SidGenerator&) = delete;

  // True when the DRBG was seeded; a generator that failed to seed makes no ids.
  bool ok() const;
  // Fills `out` with a fresh id (base64url of 15 random bytes). False on DRBG failure.
  bool next(Sid& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

inline std::string_view view(const Sid& sid) { return {sid.data(), sid.size()}; }

}  // namespace sbcmon::engineio
