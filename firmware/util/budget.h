// One memory budget for everything a client can make sbcmon hold: partial
// binary attachments, POST bodies being read, websocket messages being
// reassembled and outbound queues. Pure and header-only; single-threaded.
#pragma once

#include <cstddef>

namespace sbcmon::util {

// What a reservation is for. Inbound buffers (what clients send) may fill only
// kInboundShare of the budget, so hoarded uploads never starve the live feed
// that outbound queues carry to everyone else.
enum class Use : unsigned char { kInbound, kOutbound };

class MemoryBudget {
 public:
  static constexpr unsigned kInboundNumerator = 3;  // inbound may take 3/4
  static constexpr unsigned kInboundDenominator = 4;

  // `limit` bytes in all; 0 means unlimited.
  explicit MemoryBudget(std::size_t limit = 0) : limit_(limit) {}

  // Reserves `n` bytes for `use`. False (and nothing reserved) when that would
  // go over the budget; the caller then refuses or closes the session that asked.
  bool reserve(std::size_t n, Use use) {
    if (limit_ != 0) {
      const std::size_t cap =
          use == Use::kInbound ? limit_ / kInboundDenominator * kInboundNumerator : limit_;
      if (n > cap || used_ > cap - n) return false;
    }
    used_ += n;
    if (used_ > peak_) peak_ = used_;
    return true;
  }

  // Returns `n` bytes reserved before (never more than is held).
  void release(std::size_t n) { used_ -= n < used_ ? n : used_; }

  std::size_t used() const { return used_; }
  std::size_t peak() const { return peak_; }
  std::size_t limit() const { return limit_; }
  void set_limit(std::size_t limit) { limit_ = limit; }

 private:
  std::size_t limit_;
  std::size_t used_ = 0;
  std::size_t peak_ = 0;
};

}  // namespace sbcmon::util
