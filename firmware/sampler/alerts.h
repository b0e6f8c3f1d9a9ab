// The built-in alerts: each condition is evaluated on every sample against its
// threshold and reported ok / firing (with the time it started) or absent when the
// board has no input for it or it is turned off. Pure: time comes from the sample.
#pragma once

#include <cstdint>

#include "sampler/sample.h"

namespace sbcmon::sampler {

struct AlertLimits {
  float temp_c = 0;        // fire at this temperature; 0 = the board's passive trip point
  bool power = true;       // fire on under-voltage or throttling now (Pi firmware)
  float fs_pct = 90;       // fire when a filesystem is fuller than this (% used); 0 = off
  float mem_pct = 10;      // fire when MemAvailable is under this % of MemTotal; 0 = off
  std::uint32_t load_s = 300;  // fire once load1 > cores for this long (seconds); 0 = off
};

// The name of an alert as /metrics and the page spell it ("temperature", "power", ...).
const char* alert_name(AlertId id);

class Alerts {
 public:
  explicit Alerts(const AlertLimits& limits) : limits_(limits) {}

  // Evaluates every alert on `s` (its t_ms is the clock) and writes s.alerts.
  void update(Sample& s, const BoardInfo& board);

 private:
  // Moves alert `id` to firing or ok at `now_ms`, keeping the start time while it fires.
  void set(std::size_t id, bool firing, std::int64_t now_ms);

  AlertLimits limits_;
  AlertStatus state_[kAlertCount];
  std::int64_t load_over_since_ms_ = -1;  // first sample with load1 > cores; -1 = not over
};

}  // namespace sbcmon::sampler
