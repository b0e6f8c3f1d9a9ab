// Session ids from the kernel's CSPRNG (getrandom(2)): no generator state to keep
// in memory (mbedTLS's entropy context and CTR_DRBG held 38 KB for this).
#include "engineio/sid.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>

namespace sbcmon::engineio {
namespace {
constexpr std::size_t kSidBytes = 15;
// 15 bytes are exactly 20 base64 digits: no padding, no partial group.
static_assert(kSidBytes * 4 / 3 == kSidLength && kSidBytes % 3 == 0, "sid size");
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Fills `out` from the kernel's CSPRNG (blocks only until it is seeded at boot).
bool random_bytes(unsigned char* out, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = getrandom(out + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}
}  // namespace

SidGenerator::SidGenerator() {
  unsigned char probe[1];
  ok_ = random_bytes(probe, sizeof probe);
}

bool SidGenerator::next(Sid& out) {
  unsigned char raw[kSidBytes];
  if (!ok_ || !random_bytes(raw, sizeof raw)) return false;
  std::size_t o = 0;
  for (std::size_t i = 0; i < kSidBytes; i += 3) {
    const std::uint32_t v = (std::uint32_t{raw[i]} << 16) | (std::uint32_t{raw[i + 1]} << 8) | raw[i + 2];
    out[o++] = kB64Url[(v >> 18) & 63];
    out[o++] = kB64Url[(v >> 12) & 63];
    out[o++] = kB64Url[(v >> 6) & 63];
    out[o++] = kB64Url[v & 63];
  }
  return true;
}

}  // namespace sbcmon::engineio
