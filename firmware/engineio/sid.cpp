// Session ids from mbedTLS CTR_DRBG (AES-256) seeded from the OS entropy sources.
#include "engineio/sid.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include <cstdint>

namespace sbcmon::engineio {
namespace {
constexpr std::size_t kSidBytes = 15;
// 15 bytes are exactly 20 base64 digits: no padding, no partial group.
static_assert(kSidBytes * 4 / 3 == kSidLength && kSidBytes % 3 == 0, "sid size");
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr unsigned char kPersonalization[] = "sbcmon-engineio-sid";
}  // namespace

struct SidGenerator::State {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  bool seeded = false;
  State() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
  }
  ~State() {
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;
};

SidGenerator::SidGenerator() : state_(std::make_unique<State>()) {
  state_->seeded = mbedtls_ctr_drbg_seed(&state_->drbg, mbedtls_entropy_func, &state_->entropy,
                                         kPersonalization, sizeof(kPersonalization) - 1) == 0;
}

SidGenerator::~SidGenerator() = default;

bool SidGenerator::ok() const { return state_ && state_->seeded; }

bool SidGenerator::next(Sid& out) {
  if (!ok()) return false;
  unsigned char raw[kSidBytes];
  // The DRBG reseeds itself from entropy at its reseed interval.
  if (mbedtls_ctr_drbg_random(&state_->drbg, raw, sizeof(raw)) != 0) return false;
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
