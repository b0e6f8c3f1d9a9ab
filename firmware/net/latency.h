// Server-side broadcast latency for `make bench`: for each tick, how long after it the
// first and the last sample-sized websocket frame went to the kernel. Off (and free)
// unless SBCMON_BENCH_LATENCY names a file; then up to kTicks ticks are kept in a
// table allocated once, and written to that file when the server stops. No lws here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace sbcmon::net {

class TickLatency {
 public:
  static constexpr std::size_t kTicks = 8192;
  // Frames shorter than this are pings, pongs and handshakes, not the broadcast.
  static constexpr std::size_t kMinFrame = 64;

  TickLatency();  // reads SBCMON_BENCH_LATENCY
  bool enabled() const { return rec_ != nullptr; }
  void tick();                       // a tick starts: closes the previous one's record
  void frame(std::size_t bytes);     // one frame handed to the kernel
  void write() const;                // the records as "wall_ms first_us last_us frames" lines

 private:
  struct Record {
    std::uint64_t wall_ms;
    std::uint32_t first_us, last_us, frames;
  };
  void close_tick();
  std::unique_ptr<Record[]> rec_;
  std::size_t n_ = 0;
  const char* path_ = nullptr;
  std::uint64_t tick_us_ = 0, tick_wall_ms_ = 0, first_us_ = 0, last_us_ = 0;
  std::uint32_t frames_ = 0;
  bool open_ = false;
};

}  // namespace sbcmon::net
