// Session ids: 20 URL-safe characters (15 bytes) from the kernel's CSPRNG.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace sbcmon::engineio {

inline constexpr std::size_t kSidLength = 20;
using Sid = std::array<char, kSidLength>;

class SidGenerator {
 public:
  // Checks once that the kernel gives random bytes (getrandom(2)).
  SidGenerator();
  SidGenerator(const SidGenerator&) = delete;
  SidGenerator& operator=(const SidGenerator&) = delete;

  // True when the kernel gave random bytes; a generator that got none makes no ids.
  bool ok() const { return ok_; }
  // Fills `out` with a fresh id (base64url of 15 random bytes). False when the kernel gives none.
  bool next(Sid& out);

 private:
  bool ok_ = false;
};

inline std::string_view view(const Sid& sid) { return {sid.data(), sid.size()}; }

}  // namespace sbcmon::engineio
