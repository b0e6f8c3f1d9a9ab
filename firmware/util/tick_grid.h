// The periodic task's next deadline on an absolute grid of `period` from the first:
// a slow tick never makes the period drift, and a loop that fell behind (the machine
// stalled it) skips the ticks it missed instead of running them back to back.
#pragma once

#include <cstdint>

namespace sbcmon::util {

// The first grid point after `due` (the deadline just served) that is later than `now`.
// `period` > 0; all in the same unit and clock (monotonic).
inline std::uint64_t next_tick(std::uint64_t due, std::uint64_t now, std::uint64_t period) {
  const std::uint64_t next = due + period;
  if (next > now) return next;
  return next + ((now - next) / period + 1) * period;  // missed: the next point ahead
}

}  // namespace sbcmon::util
