#include "net/latency.h"

#include <time.h>

#include <cstdio>
#include <cstdlib>

namespace sbcmon::net {

namespace {
std::uint64_t clock_us(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}
}  // namespace

TickLatency::TickLatency() {
  const char* p = std::getenv("SBCMON_BENCH_LATENCY");
  if (p == nullptr || *p == '\0') return;
  path_ = p;
  // Default-initialised, not make_unique's zeroing: the table is larger than malloc's mmap
  // threshold, so its pages stay untouched (and out of the anon figure the bench measures,
  // as the floor's static table does) until a tick is written to them.
  rec_.reset(new Record[kTicks]);
}

void TickLatency::close_tick() {
  if (!open_ || frames_ == 0 || n_ >= kTicks) return;
  rec_[n_++] = {tick_wall_ms_, static_cast<std::uint32_t>(first_us_ - tick_us_),
                static_cast<std::uint32_t>(last_us_ - tick_us_), frames_};
}

void TickLatency::tick() {
  if (!enabled()) return;
  close_tick();
  open_ = true;
  frames_ = 0;
  tick_us_ = clock_us(CLOCK_MONOTONIC);
  tick_wall_ms_ = clock_us(CLOCK_REALTIME) / 1000u;
}

void TickLatency::frame(std::size_t bytes) {
  if (!enabled() || !open_ || bytes < kMinFrame) return;
  const std::uint64_t now = clock_us(CLOCK_MONOTONIC);
  if (frames_++ == 0) first_us_ = now;
  last_us_ = now;
}

void TickLatency::write() const {
  if (!enabled()) return;
  std::FILE* f = std::fopen(path_, "we");
  if (f == nullptr) return;
  for (std::size_t i = 0; i < n_; ++i) {
    std::fprintf(f, "%llu %u %u %u\n", static_cast<unsigned long long>(rec_[i].wall_ms),
                 rec_[i].first_us, rec_[i].last_us, rec_[i].frames);
  }
  std::fclose(f);
}

}  // namespace sbcmon::net
